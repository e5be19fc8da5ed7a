"""The progress model: build events in, frozen snapshots out.

`ProgressModel` accumulates the events of one build (it is not thread-safe; its owner locks) and
`snapshot(now)` freezes what a live view needs at one instant: the steps in the order they started,
their sub-tasks, warnings and last log lines, and the header counts. Times are kept in the engine's
clock; like BuildKit's progress UI (util/progress/progressui/display.go, `localTimeDiff`), the
offset between the engine's clock and ours is measured when the first step starts, so running
steps show how long they have run by our clock even when the two clocks disagree.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import field
from datetime import datetime, timedelta

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
from buildwright.progress.units import seconds_between

# The engine appends this to the error of a step stopped because the build was cancelled
# (a sibling failed or the client went away); such steps are shown as CANCELED, not ERROR.
CANCELED_SUFFIX = "context canceled"


class StepState(enum.Enum):
    """Where a step is in its life."""

    RUNNING = "running"
    DONE = "done"
    CACHED = "cached"
    ERROR = "error"
    CANCELED = "canceled"


@valueclass
class TaskView:
    """One sub-task of a step (a context transfer, a layer export) at the snapshot's instant."""

    id: str
    current: int
    total: int
    seconds: float
    done: bool


@valueclass
class StepView:
    """One started step at the snapshot's instant."""

    digest: str
    name: str
    state: StepState
    seconds: float
    tasks: tuple[TaskView, ...]
    warnings: tuple[str, ...]
    logs: tuple[str, ...]
    log_bytes: int
    cause: str = ""  # why the step runs (`build --explain`)

    @property
    def finished(self) -> bool:
        return self.state is not StepState.RUNNING


@valueclass
class BuildSnapshot:
    """Everything the live view draws."""

    elapsed: float
    total: int
    completed: int
    steps: tuple[StepView, ...]


@valueclass(frozen=False)
class _Task:
    id: str
    current: int = 0
    total: int = 0
    started: datetime | None = None
    last: datetime | None = None
    done: bool = False


@valueclass(frozen=False)
class _Step:
    digest: str
    name: str
    started: datetime | None = None
    completed: datetime | None = None
    state: StepState | None = None  # None until it starts (queued)
    tasks: dict[str, _Task] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    logs: deque[str] = field(default_factory=deque)
    partial: str = ""
    log_bytes: int = 0
    cause: str = ""


class ProgressModel:
    """Accumulates one build's events; `snapshot` gives a frozen view of it.

    Args:
        log_lines: how many of a step's last log lines to keep for the live view.
    """

    def __init__(self, *, log_lines: int = 6) -> None:
        self._log_lines = max(1, log_lines)
        self._steps: dict[str, _Step] = {}
        self._order: list[str] = []  # digests in the order they started
        self._clock_offset: timedelta | None = None
        self._first_start: datetime | None = None

    def apply(self, event: BuildEvent, now: datetime) -> None:
        """Take one event; `now` (our clock) calibrates the engine's clock on the first start."""
        if isinstance(event, VertexQueued):
            self._step(event.digest, event.name)
        elif isinstance(event, VertexStarted):
            step = self._step(event.digest, event.name)
            self._start(step, event.started, now)
        elif isinstance(event, VertexCompleted):
            step = self._step(event.digest, event.name)
            self._start(step, event.started, now)
            step.completed = event.completed or event.started
            step.state = StepState.DONE
        elif isinstance(event, VertexCached):
            step = self._step(event.digest, event.name)
            self._start(step, None, now)
            step.state = StepState.CACHED
        elif isinstance(event, VertexFailed):
            step = self._step(event.digest, event.name)
            self._start(step, None, now)
            step.completed = event.completed or step.started
            step.state = StepState.CANCELED if event.error.endswith(CANCELED_SUFFIX) else StepState.ERROR
        elif isinstance(event, StatusProgress):
            self._progress(event)
        elif isinstance(event, LogChunk):
            self._log(event)
        elif isinstance(event, BuildWarning) and event.vertex in self._steps:
            self._steps[event.vertex].warnings.append(event.short)
        elif isinstance(event, StepCause) and event.digest in self._steps:
            self._steps[event.digest].cause = event.cause

    def snapshot(self, now: datetime) -> BuildSnapshot:
        """The build as of `now` (our clock)."""
        offset = self._clock_offset or timedelta(0)
        engine_now = now - offset
        steps = tuple(self._view(self._steps[d], engine_now) for d in self._order)
        completed = sum(1 for s in self._steps.values() if s.state is not None and s.state is not StepState.RUNNING)
        elapsed = seconds_between(self._first_start, engine_now) if self._first_start else 0.0
        return BuildSnapshot(elapsed=elapsed, total=len(self._steps), completed=completed, steps=steps)

    def _step(self, digest: str, name: str) -> _Step:
        step = self._steps.get(digest)
        if step is None:
            step = self._steps[digest] = _Step(digest, name)
            step.logs = deque(maxlen=self._log_lines)
        elif name and not step.name:
            step.name = name
        return step

    def _start(self, step: _Step, started: datetime | None, now: datetime) -> None:
        if step.state is not None:
            return
        if started is None:
            # Cached and failed steps may arrive without a start time; they start now.
            started = now - (self._clock_offset or timedelta(0))
        if self._clock_offset is None:
            self._clock_offset = now - started
        if self._first_start is None or started < self._first_start:
            self._first_start = started
        step.started = started
        step.state = StepState.RUNNING
        self._order.append(step.digest)

    def _progress(self, event: StatusProgress) -> None:
        step = self._steps.get(event.vertex)
        if step is None:
            return
        task = step.tasks.get(event.id)
        if task is None:
            # The first update of a task comes when it starts: its time is the task's start.
            task = step.tasks[event.id] = _Task(event.id, started=event.timestamp)
        task.current, task.total = event.current, event.total
        task.last = event.timestamp or task.last
        task.done = task.done or event.completed

    def _log(self, event: LogChunk) -> None:
        step = self._steps.get(event.vertex)
        if step is None:
            return
        step.log_bytes += len(event.data)
        text = step.partial + event.data.decode("utf-8", "replace")
        *lines, step.partial = text.split("\n")
        for line in lines:
            # A carriage return redraws the line (progress bars): the terminal shows what follows it.
            step.logs.append(line.rsplit("\r", 1)[-1])

    def _view(self, step: _Step, engine_now: datetime) -> StepView:
        state = step.state or StepState.RUNNING
        end = step.completed if state is not StepState.RUNNING else engine_now
        if state is StepState.CACHED:
            end = step.started
        tasks = tuple(
            TaskView(
                id=t.id,
                current=t.current,
                total=t.total,
                seconds=seconds_between(t.started, t.last if t.done else engine_now),
                done=t.done,
            )
            for t in step.tasks.values()
        )
        logs = tuple(step.logs)
        if step.partial:
            logs = (*logs, step.partial.rsplit("\r", 1)[-1])[-self._log_lines :]
        return StepView(
            digest=step.digest,
            name=step.name,
            state=state,
            seconds=seconds_between(step.started, end),
            tasks=tasks,
            warnings=tuple(step.warnings),
            logs=logs,
            log_bytes=step.log_bytes,
            cause=step.cause,
        )
