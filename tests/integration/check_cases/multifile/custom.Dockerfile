FROM busybox
CMD echo custom
