"""Logging set-up for the command line: quiet by default, debug on request; logs go to stderr.

`--log-format text` renders events for people (colours only on a terminal, never with NO_COLOR);
`--log-format json` writes one JSON object per event, for log collectors. Records from other
libraries logging through stdlib get the same fields (level, logger, timestamp). The handlers are in
`loghandlers`, imported when logging is set up: `--help` loads no logging.
"""

from __future__ import annotations

import enum
import sys
from typing import TextIO


class LogFormat(enum.StrEnum):
    """How log events are written."""

    TEXT = "text"
    JSON = "json"


def configure_logging(
    *, debug: bool, log_format: LogFormat | str = LogFormat.TEXT, stream: TextIO | None = None
) -> None:
    """Attach one handler writing to `stream` (default stderr) to the `buildwright` logger."""
    import logging

    from buildwright.cli.loghandlers import CurrentStderrHandler, DeferredFormatter, structlog_formatter

    out = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream) if stream is not None else CurrentStderrHandler()
    chosen = LogFormat(log_format)  # a bad format fails here, not at the first record
    handler.setFormatter(DeferredFormatter(lambda: structlog_formatter(chosen, out)))
    logger = logging.getLogger("buildwright")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    logger.propagate = False
