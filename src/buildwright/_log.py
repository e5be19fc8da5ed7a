"""The logger helper: library code logs through stdlib logging under `buildwright.*`.

Nothing here configures logging or adds handlers; the CLI (or an embedding application) attaches a
`structlog.stdlib.ProcessorFormatter` to decide what shows and how it renders.

structlog is imported when a level that is enabled is first logged, not when a module asks for a
logger: importing it (with the rich traceback support it loads) costs more than a quiet build
spends on everything it logs, and a quiet build logs nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import structlog


def _processors() -> list[Any]:
    import structlog

    return [
        structlog.stdlib.filter_by_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ]


class Logger:
    """A structlog logger over one stdlib logger, made the first time an enabled level is logged.

    The level check is the one structlog's `filter_by_level` makes, so what shows is unchanged.
    """

    __slots__ = ("_bound", "_stdlib")

    def __init__(self, name: str) -> None:
        self._stdlib = logging.getLogger(name)
        self._bound: structlog.stdlib.BoundLogger | None = None

    def _structlog(self) -> structlog.stdlib.BoundLogger:
        if self._bound is None:
            import structlog

            self._bound = structlog.wrap_logger(
                self._stdlib, processors=_processors(), wrapper_class=structlog.stdlib.BoundLogger
            )
        return self._bound

    def debug(self, event: str, **fields: Any) -> None:
        if self._stdlib.isEnabledFor(logging.DEBUG):
            self._structlog().debug(event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        if self._stdlib.isEnabledFor(logging.INFO):
            self._structlog().info(event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        if self._stdlib.isEnabledFor(logging.WARNING):
            self._structlog().warning(event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        if self._stdlib.isEnabledFor(logging.ERROR):
            self._structlog().error(event, **fields)


def get_logger(name: str) -> Logger:
    """Return a structlog logger over the stdlib logger `name` (pass `__name__`)."""
    return Logger(name)
