"""The plain progress renderer (like buildx `--progress=plain`) and the quiet one.

Each step gets a number when first seen; its lines are printed as `#N ...`: the name when it
starts, its log lines with the seconds since it started, `CACHED`, `DONE <seconds>` or `ERROR`.
"""

from __future__ import annotations

import threading
from datetime import datetime
from types import TracebackType
from typing import Protocol, TextIO

from buildwright.client.events import (
    BuildEvent,
    BuildWarning,
    LogChunk,
    StatusProgress,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexStarted,
)
from buildwright.errors import BuildConfigError

PROGRESS_MODES = ("auto", "plain", "quiet")


class Renderer(Protocol):
    """Receives every build event; used as a context manager around the build."""

    def handle(self, event: BuildEvent) -> None: ...

    def __enter__(self) -> Renderer: ...

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class QuietRenderer:
    """Shows nothing."""

    def handle(self, event: BuildEvent) -> None:
        del event

    def __enter__(self) -> QuietRenderer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        return None


class PlainRenderer:
    """Line-oriented progress for logs and CI; safe to call from several threads."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._numbers: dict[str, int] = {}
        self._names: dict[str, str] = {}
        self._started: dict[str, datetime | None] = {}
        self._last: str | None = None
        self._warnings: list[BuildWarning] = []

    def __enter__(self) -> PlainRenderer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            if self._warnings:
                count = len(self._warnings)
                self._write(f"\n {count} warning{'s' if count > 1 else ''} found:")
                for warning in self._warnings:
                    self._write(f" - {warning.short}")
            self._out.flush()

    def handle(self, event: BuildEvent) -> None:
        with self._lock:
            self._handle(event)
            self._out.flush()

    def _handle(self, event: BuildEvent) -> None:
        if isinstance(event, VertexStarted):
            self._started[event.digest] = event.started
            self._line(event.digest, event.name, None)
        elif isinstance(event, VertexCached):
            self._line(event.digest, event.name, "CACHED")
        elif isinstance(event, VertexCompleted):
            self._line(event.digest, event.name, f"DONE {_seconds(event.started, event.completed):.1f}s")
        elif isinstance(event, VertexFailed):
            self._line(event.digest, event.name, f"ERROR: {event.error}")
        elif isinstance(event, LogChunk):
            started = self._started.get(event.vertex)
            offset = _seconds(started, event.timestamp)
            for text in event.data.decode(errors="replace").splitlines():
                self._line(event.vertex, self._names.get(event.vertex, ""), f"{offset:.3f} {text}")
        elif isinstance(event, StatusProgress) and event.completed and event.name:
            amount = _amount(event.current, event.total)
            self._line(event.vertex, self._names.get(event.vertex, ""), f"{event.name} {amount}done".strip())
        elif isinstance(event, BuildWarning):
            self._warnings.append(event)

    def _line(self, digest: str, name: str, text: str | None) -> None:
        number = self._numbers.setdefault(digest, len(self._numbers) + 1)
        if name:
            self._names.setdefault(digest, name)
        if self._last != digest:
            # A header each time output switches to this step, as buildx prints it.
            if self._last is not None:
                self._write("")
            self._write(f"#{number} {self._names.get(digest, name)}")
            self._last = digest
        if text is not None:
            self._write(f"#{number} {text}")

    def _write(self, line: str) -> None:
        self._out.write(line + "\n")


def _seconds(start: datetime | None, end: datetime | None) -> float:
    if start is None or end is None:
        return 0.0
    return max(0.0, (end - start).total_seconds())


def _amount(current: int, total: int) -> str:
    if current <= 0:
        return ""
    if total > 0:
        return f"{_bytes(current)} / {_bytes(total)} "
    return f"{_bytes(current)} "


def _bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.2f}{unit}"
        value /= 1000
    return f"{size}B"


def make_renderer(mode: str, out: TextIO) -> PlainRenderer | QuietRenderer:
    """The renderer for a `--progress` value (auto is plain until the live terminal view lands)."""
    if mode not in PROGRESS_MODES:
        raise BuildConfigError(f"invalid progress mode {mode!r}: expected one of {', '.join(PROGRESS_MODES)}")
    if mode == "quiet":
        return QuietRenderer()
    return PlainRenderer(out)
