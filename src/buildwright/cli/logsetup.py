"""Logging set-up for the command line: quiet by default, debug on request; logs go to stderr.

`--log-format text` renders events for people (colours only on a terminal, never with NO_COLOR);
`--log-format json` writes one JSON object per event, for log collectors. Records from other
libraries logging through stdlib get the same fields (level, logger, timestamp).
"""

from __future__ import annotations

import enum
import logging
import os
import sys
from typing import Any, TextIO


class LogFormat(enum.StrEnum):
    """How log events are written."""

    TEXT = "text"
    JSON = "json"


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes: the live progress view swaps it for a
    proxy that prints above the view, so logs do not tear the frame."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        # Not setStream: it flushes the previous stream, which may be closed by now (a finished
        # CliRunner's, or a progress proxy that ended).
        self.stream = sys.stderr
        super().emit(record)


def _renderer(log_format: LogFormat, stream: TextIO) -> list[Any]:
    import structlog

    if log_format is LogFormat.JSON:
        return [structlog.processors.dict_tracebacks, structlog.processors.JSONRenderer()]
    colors = stream.isatty() and not os.environ.get("NO_COLOR")
    return [structlog.dev.ConsoleRenderer(colors=colors)]


def configure_logging(
    *, debug: bool, log_format: LogFormat | str = LogFormat.TEXT, stream: TextIO | None = None
) -> None:
    """Attach one handler writing to `stream` (default stderr) to the `buildwright` logger."""
    import structlog  # here, not at import: --help needs no logging

    out = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                structlog.stdlib.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *_renderer(LogFormat(log_format), out),
            ],
        )
    )
    logger = logging.getLogger("buildwright")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    logger.propagate = False
