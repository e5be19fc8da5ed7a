"""Instruction keywords (lower-case, as the reference's `command` package spells them)."""

from __future__ import annotations

ADD = "add"
ARG = "arg"
CMD = "cmd"
COPY = "copy"
ENTRYPOINT = "entrypoint"
ENV = "env"
EXPOSE = "expose"
FROM = "from"
HEALTHCHECK = "healthcheck"
LABEL = "label"
MAINTAINER = "maintainer"
ONBUILD = "onbuild"
RUN = "run"
SHELL = "shell"
STOPSIGNAL = "stopsignal"
USER = "user"
VOLUME = "volume"
WORKDIR = "workdir"

# Suggestion order for "did you mean"; the reference iterates a map, so ties are arbitrary there.
ALL = (
    ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL,
    MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME, WORKDIR,
)  # fmt: skip

# Instructions whose shell-form line may carry heredocs (also when wrapped by ONBUILD).
HEREDOC_CAPABLE = frozenset({ADD, COPY, RUN})
