"""Per-step results of one build, folded from its status events: timings and cache hits.

The status stream reports each vertex as it is queued, started, completed, cached or failed (see
`events.py`); a `StepRecorder` keeps the latest facts per vertex, in the order the engine first
showed them, and hands out frozen `StepResult`s once the build is over.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from buildwright._values import valueclass
from buildwright.client.events import (
    BuildEvent,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexQueued,
    VertexStarted,
)


@valueclass
class StepResult:
    """One step (LLB vertex) of a build.

    Attributes:
        name: the step's progress name (`[2/3] RUN make`, `[internal] load build context`, ...).
        digest: the vertex digest.
        cached: the result came from the engine's cache.
        started, completed: engine timestamps (UTC); None when the engine did not report one
            (a cache hit is often reported before its completion time, which then never comes).
        error: why the step failed, or "".
    """

    name: str
    digest: str
    cached: bool = False
    started: datetime | None = None
    completed: datetime | None = None
    error: str = ""

    @property
    def duration(self) -> float | None:
        """Seconds the step ran, when both timestamps are known."""
        if self.started is None or self.completed is None:
            return None
        return (self.completed - self.started).total_seconds()


class StepRecorder:
    """Folds BuildEvents into StepResults; `feed` may be called from the status thread while
    `steps` is read from another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: dict[str, StepResult] = {}

    def feed(self, event: BuildEvent) -> None:
        if not isinstance(event, VertexQueued | VertexStarted | VertexCompleted | VertexCached | VertexFailed):
            return
        with self._lock:
            step = self._steps.get(event.digest) or StepResult(name=event.name, digest=event.digest)
            if event.name:
                step = replace(step, name=event.name)
            if isinstance(event, VertexStarted):
                step = replace(step, started=event.started or step.started, completed=None)
            elif isinstance(event, VertexCompleted):
                step = replace(step, started=event.started or step.started, completed=event.completed)
            elif isinstance(event, VertexCached):
                step = replace(
                    step,
                    cached=True,
                    started=event.started or step.started,
                    completed=event.completed or step.completed,
                )
            elif isinstance(event, VertexFailed):
                step = replace(step, error=event.error, completed=event.completed or step.completed)
            self._steps[event.digest] = step

    def steps(self) -> tuple[StepResult, ...]:
        """The steps seen so far, in the order the engine first reported them."""
        with self._lock:
            return tuple(self._steps.values())
