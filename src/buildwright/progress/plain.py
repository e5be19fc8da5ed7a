"""The plain renderer: line-oriented progress for logs and CI, like buildx `--progress=plain`.

Each step gets a number when it is first printed, and its output is a block of `#N ...` lines
(BuildKit's util/progress/progressui/printer.go): the step's name, its sub-tasks
(`#5 transferring context: 2.30MB 0.3s done`), warnings (`#5 WARN: ...`), log lines with the
seconds since the step started (`#7 0.284 hello`), then `#N DONE 1.2s`, `#N CACHED`,
`#N ERROR: ...` or `#N CANCELED`. Blocks are separated by a blank line; when another step's
output interrupts a step that is still running, the interrupted block ends with `#N ...`.

buildx redraws at most every 100ms, so a sub-task that finishes quickly shows as one line and a
step's final sub-task lines come before its `DONE`. Events arrive one at a time instead, so the
last unfinished line of a sub-task and a step's closing line are held back until something else
happens; a sub-task that keeps running is still printed every 5 seconds.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta
from types import TracebackType
from typing import TextIO

from buildwright._values import valueclass
from buildwright.client.events import (
    BuildEvent,
    BuildWarning,
    LogChunk,
    StatusProgress,
    StepCause,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexQueued,
    VertexStarted,
)
from buildwright.progress.model import CANCELED_SUFFIX
from buildwright.progress.summary import warnings_summary
from buildwright.progress.units import format_bytes, format_log_offset, seconds_between

# A sub-task still running is printed again only after this much progress or time (printer.go).
_MIN_PROGRESS = 0.05
_MIN_INTERVAL = timedelta(seconds=5)
# How many of a failed step's last log lines the closing error block repeats (printer.go).
_ERROR_LOG_LINES = 10
# Sub-task durations at or under this are not printed.
_MIN_SHOWN_SECONDS = 0.01


@valueclass(frozen=False)
class _Partial:
    """The start of a log line whose end has not arrived yet."""

    prefix: str
    text: str


@valueclass
class _Printed:
    current: int
    timestamp: datetime | None


class PlainRenderer:
    """Writes `#N` progress lines to `out`; safe to call from several threads.

    Args:
        out: where to write (stderr in the CLI).
        detailed_warnings: print each warning's detail and link in the final summary.
        error_logs: at the end, repeat each failed step's name and last log lines between `------`
            rules, as buildx's printer does (the CLI's build errors carry them already).
    """

    def __init__(self, out: TextIO, *, detailed_warnings: bool = False, error_logs: bool = False) -> None:
        self._out = out
        self._detailed = detailed_warnings
        self._error_logs = error_logs
        self._recent: dict[str, deque[str]] = {}
        self._failed: list[str] = []
        self._lock = threading.Lock()
        self._numbers: dict[str, int] = {}
        self._names: dict[str, str] = {}
        self._started: dict[str, datetime | None] = {}
        self._finished: set[str] = set()
        self._current: str | None = None
        self._printed_any = False
        self._partial: dict[str, _Partial] = {}
        self._task_started: dict[tuple[str, str], datetime | None] = {}
        self._task_printed: dict[str, _Printed] = {}
        self._warnings: list[BuildWarning] = []
        self._held_tasks: dict[tuple[str, str], StatusProgress] = {}
        self._held_finish: dict[str, str] = {}

    def __enter__(self) -> PlainRenderer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            self._release(keep=None)
            for digest in list(self._partial):
                self._open(digest)
                self._flush_partial(digest)
            if self._error_logs:
                for digest in self._failed:
                    self._write("------")
                    self._write(f" > {self._names.get(digest, '')}:")
                    for line in self._recent.get(digest, ()):
                        self._write(line)
                    self._write("------")
            for line in warnings_summary(self._warnings, detailed=self._detailed):
                self._write(line)
            self._out.flush()

    def handle(self, event: BuildEvent) -> None:
        """Print what `event` adds."""
        with self._lock:
            self._handle(event)
            self._out.flush()

    def _handle(self, event: BuildEvent) -> None:
        if isinstance(event, StatusProgress):
            self._release(keep=event.vertex)
        elif isinstance(event, LogChunk | BuildWarning):
            self._release_tasks()
            self._release(keep=event.vertex)
        elif isinstance(event, StepCause):
            self._release_tasks()
            self._release(keep=event.digest)
        else:
            self._release(keep=None)
        if isinstance(event, VertexQueued):
            self._name(event.digest, event.name)
        elif isinstance(event, VertexStarted):
            self._name(event.digest, event.name)
            self._started[event.digest] = event.started
            self._open(event.digest)
        elif isinstance(event, VertexCompleted):
            self._name(event.digest, event.name)
            self._started.setdefault(event.digest, event.started)
            self._finish(event.digest, f"DONE {seconds_between(event.started, event.completed):.1f}s")
        elif isinstance(event, VertexCached):
            self._name(event.digest, event.name)
            self._finish(event.digest, "CACHED")
        elif isinstance(event, VertexFailed):
            self._name(event.digest, event.name)
            canceled = event.error.endswith(CANCELED_SUFFIX)
            if not canceled and event.digest not in self._failed:
                self._failed.append(event.digest)
            self._finish(event.digest, "CANCELED" if canceled else f"ERROR: {event.error}")
        elif isinstance(event, StatusProgress):
            self._task(event)
        elif isinstance(event, LogChunk):
            self._log(event)
        elif isinstance(event, StepCause):
            self._open(event.digest)
            self._line(event.digest, f"RUNS BECAUSE {event.cause}")
        elif isinstance(event, BuildWarning):
            self._warnings.append(event)
            # A warning about no step in particular shows only in the summary at the end.
            if event.vertex:
                self._open(event.vertex)
                self._line(event.vertex, f"WARN: {event.short}")

    def _name(self, digest: str, name: str) -> None:
        if name:
            self._names.setdefault(digest, name)

    def _open(self, digest: str) -> None:
        """Make `digest` the step being printed: end the open block, start this one's."""
        if digest == self._current:
            return
        if self._current is not None:
            self._flush_partial(self._current)
            if self._current not in self._finished:
                self._line(self._current, "...")
        if self._printed_any:
            self._write("")
        self._printed_any = True
        self._numbers.setdefault(digest, len(self._numbers) + 1)
        self._line(digest, self._names.get(digest, ""))
        self._current = digest

    def _finish(self, digest: str, text: str) -> None:
        self._open(digest)
        self._flush_partial(digest)
        # Held: sub-task updates sent with the step's completion come after it in the event order.
        self._held_finish[digest] = text

    def _release(self, *, keep: str | None) -> None:
        """Print what was held back, except what belongs to step `keep`."""
        for key in [k for k in self._held_tasks if k[0] != keep]:
            self._print_task(self._held_tasks.pop(key))
        for digest in [d for d in self._held_finish if d != keep]:
            text = self._held_finish.pop(digest)
            self._open(digest)
            self._line(digest, text)
            self._finished.add(digest)
            if self._current == digest:
                self._current = None

    def _release_tasks(self) -> None:
        for key in list(self._held_tasks):
            self._print_task(self._held_tasks.pop(key))

    def _task(self, event: StatusProgress) -> None:
        key = (event.vertex, event.id)
        # Events carry no start time for a sub-task; its first update is sent when it starts.
        started = self._task_started.setdefault(key, event.timestamp)
        if event.completed:
            self._held_tasks.pop(key, None)
            self._print_task(event)
            return
        last = self._task_printed.get(event.id)
        since = last.timestamp if last is not None else started
        waited = event.timestamp - since if event.timestamp is not None and since is not None else timedelta(0)
        progress = (event.current - last.current) / event.total if last is not None and event.total > 0 else 0.0
        if waited >= _MIN_INTERVAL or (last is not None and progress >= _MIN_PROGRESS):
            self._held_tasks.pop(key, None)
            self._print_task(event)
        else:
            self._held_tasks[key] = event

    def _print_task(self, event: StatusProgress) -> None:
        started = self._task_started.get((event.vertex, event.id))
        self._task_printed[event.id] = _Printed(event.current, event.timestamp)
        amount = ""
        if event.total:
            amount = f" {format_bytes(event.current)} / {format_bytes(event.total)}"
        elif event.current:
            amount = f" {format_bytes(event.current)}"
        duration = ""
        elapsed = seconds_between(started, event.timestamp)
        if elapsed > _MIN_SHOWN_SECONDS:
            duration = f" {elapsed:.1f}s"
        done = " done" if event.completed else ""
        self._open(event.vertex)
        self._line(event.vertex, f"{event.id}{amount}{duration}{done}")
        if event.completed and event.vertex in self._finished and event.vertex not in self._held_finish:
            self._current = None

    def _log(self, event: LogChunk) -> None:
        digest = event.vertex
        offset = format_log_offset(seconds_between(self._started.get(digest), event.timestamp))
        pieces = event.data.decode("utf-8", "replace").split("\n")
        partial = self._partial.pop(digest, None)
        complete, rest = pieces[:-1], pieces[-1]
        if complete:
            self._open(digest)
            first, *others = complete
            if partial is not None:
                self._log_line(digest, f"{partial.prefix} {partial.text}{first}")
            else:
                self._log_line(digest, f"{offset} {first}")
            for text in others:
                self._log_line(digest, f"{offset} {text}")
        elif partial is not None:
            rest = partial.text + rest
            offset = partial.prefix
        if rest:
            self._partial[digest] = _Partial(offset, rest)

    def _flush_partial(self, digest: str) -> None:
        partial = self._partial.pop(digest, None)
        if partial is not None:
            self._log_line(digest, f"{partial.prefix} {partial.text}")

    def _log_line(self, digest: str, text: str) -> None:
        self._line(digest, text)
        self._recent.setdefault(digest, deque(maxlen=_ERROR_LOG_LINES)).append(text)

    def _line(self, digest: str, text: str) -> None:
        number = self._numbers.setdefault(digest, len(self._numbers) + 1)
        self._write(f"#{number} {text}")

    def _write(self, line: str) -> None:
        self._out.write(line + "\n")
