target "default" {
  dockerfile-inline = "FROM alpine\nARG X\nRUN echo $${X} %%{y} > /out\n"
  labels = { "l" = "$${keep}" }
  annotations = ["index:key=$${v}"]
}
