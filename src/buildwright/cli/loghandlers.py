"""The logging handler and formatter `logsetup.configure_logging` installs (stdlib logging, and
structlog for the first record that is written)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from buildwright.cli.logsetup import LogFormat


class CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
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


class DeferredFormatter(logging.Formatter):
    """Builds the real (structlog) formatter for the first record it formats: a command that logs
    nothing, as a quiet build, never imports structlog and what it loads (rich tracebacks)."""

    def __init__(self, build: Callable[[], logging.Formatter]) -> None:
        super().__init__()
        self._build = build
        self._formatter: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._formatter is None:
            self._formatter = self._build()
        return self._formatter.format(record)


def structlog_formatter(log_format: LogFormat, out: TextIO) -> logging.Formatter:
    import structlog

    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_renderer(log_format, out),
        ],
    )
