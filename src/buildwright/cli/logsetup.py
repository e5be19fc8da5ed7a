"""Logging set-up for the command line: quiet by default, debug on request; logs go to stderr."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(*, debug: bool, json_format: bool = False) -> None:
    """Attach one stderr handler to the `buildwright` logger, rendering structlog events."""
    renderer: structlog.types.Processor
    if json_format:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    logger = logging.getLogger("buildwright")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    logger.propagate = False
