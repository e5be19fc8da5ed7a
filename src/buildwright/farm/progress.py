"""One progress view over every node: each job's events, tagged with its target and node.

Jobs run on several engines at once, and two engines may report the same vertex digest (the
same base image pulled on both), so each job's digests are prefixed with the job's label before
the events reach the one renderer, and each step's name carries `[target@node ...]`, as buildx
prefixes a bake target's steps. Events arrive from many threads; the sink is called under a lock.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from buildwright.client.events import (
    BuildEvent,
    BuildWarning,
    LogChunk,
    StatusProgress,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexQueued,
    VertexStarted,
)

EventSink = Callable[[BuildEvent], None]
# How the renderers know a step that ended without failing on its own (shown CANCELED, not ERROR).
CANCELED_SUFFIX = "context canceled"


def tag_name(label: str, name: str) -> str:
    """`[1/2] RUN x` -> `[app@node-a 1/2] RUN x`; an untagged name gets `[app@node-a] ` in front."""
    if name.startswith("["):
        return f"[{label} {name[1:]}"
    return f"[{label}] {name}"


class MergedProgress:
    """Hands each job a callback that tags its events and forwards them to one sink."""

    def __init__(self, sink: EventSink | None) -> None:
        self._sink = sink
        self._lock = threading.Lock()
        self._notes = itertools.count(1)
        # Per job: its steps begun and not ended (tagged digest -> name), closed if its node is lost.
        self._open: dict[str, dict[str, str]] = {}

    def abandon(self, job_id: str, reason: str) -> None:
        """The job's node was lost: its steps still open end as canceled (the job runs again elsewhere)."""
        if self._sink is None:
            return
        now = datetime.now(UTC)
        with self._lock:
            for digest, name in self._open.pop(job_id, {}).items():
                self._sink(VertexFailed(digest, name, f"{reason}: {CANCELED_SUFFIX}", now))

    def note(self, title: str, lines: Sequence[str]) -> None:
        """A step of the farm's own (`[farm] ...`) whose log is `lines`: where legs go, which moved.

        It goes through the same renderer as the engines' steps, so plain and tty output show it
        in order with them."""
        if self._sink is None:
            return
        digest = f"farm:note:{next(self._notes)}"
        name = f"[farm] {title}"
        now = datetime.now(UTC)
        data = "".join(f"{line}\n" for line in lines).encode()
        events: list[BuildEvent] = [VertexQueued(digest, name), VertexStarted(digest, name, now)]
        if data:
            events.append(LogChunk(digest, 1, data, now))
        events.append(VertexCompleted(digest, name, now, datetime.now(UTC)))
        with self._lock:
            for event in events:
                self._sink(event)

    def for_job(self, label: str, job_id: str) -> EventSink | None:
        if self._sink is None:
            return None
        sink = self._sink

        def own(digest: str) -> str:
            return f"{job_id}/{digest}" if digest else digest

        def forward(event: BuildEvent) -> None:
            tagged: BuildEvent
            if isinstance(event, StatusProgress | LogChunk | BuildWarning):
                tagged = replace(event, vertex=own(event.vertex))
            elif isinstance(event, VertexQueued):
                inputs = tuple(own(i) for i in event.inputs)
                tagged = replace(event, digest=own(event.digest), name=tag_name(label, event.name), inputs=inputs)
            else:
                tagged = replace(event, digest=own(event.digest), name=tag_name(label, event.name))
            with self._lock:
                steps = self._open.setdefault(job_id, {})
                if isinstance(tagged, VertexQueued | VertexStarted):
                    steps[tagged.digest] = tagged.name
                elif isinstance(tagged, VertexCompleted | VertexCached | VertexFailed):
                    steps.pop(tagged.digest, None)
                sink(tagged)

        return forward
