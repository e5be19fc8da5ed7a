"""Typed build events, converted from `Control.Status` stream messages.

The engine resends a vertex each time something about it changes; the converter keeps what it has
already reported per vertex and emits only transitions (queued -> started -> completed/cached/error),
so consumers (progress renderers) see each fact once. Every event is a frozen value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from buildwright._pb import control_pb2
from buildwright._values import valueclass


@valueclass
class VertexQueued:
    """A step the engine will run (or look up in cache)."""

    digest: str
    name: str
    inputs: tuple[str, ...] = ()


@valueclass
class VertexStarted:
    digest: str
    name: str
    started: datetime | None


@valueclass
class VertexCompleted:
    digest: str
    name: str
    started: datetime | None
    completed: datetime | None


@valueclass
class VertexCached:
    """The step's result came from cache (possibly reported after the step first showed as completed)."""

    digest: str
    name: str
    started: datetime | None = None
    completed: datetime | None = None


@valueclass
class VertexFailed:
    digest: str
    name: str
    error: str
    completed: datetime | None = None


@valueclass
class StatusProgress:
    """Progress of one sub-task of a vertex (a layer pull, a context transfer), in `current`/`total` units."""

    vertex: str
    id: str
    name: str
    current: int
    total: int
    timestamp: datetime | None
    completed: bool


@valueclass
class LogChunk:
    """Output of a step: `stream` 1 is stdout, 2 is stderr."""

    vertex: str
    stream: int
    data: bytes
    timestamp: datetime | None


@valueclass
class BuildWarning:
    """A warning attached to a vertex (lint rules, deprecated syntax)."""

    vertex: str
    level: int
    short: str
    detail: tuple[str, ...]
    url: str


@valueclass
class StepCause:
    """Why a step that started is running (`build --explain`: from the previous build's record)."""

    digest: str
    name: str
    cause: str


BuildEvent = (
    VertexQueued
    | VertexStarted
    | VertexCompleted
    | VertexCached
    | VertexFailed
    | StatusProgress
    | LogChunk
    | BuildWarning
    | StepCause
)


def _time(message: Any, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    ts = getattr(message, field)
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=UTC)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class StatusConverter:
    """Turns StatusResponse messages into BuildEvents, reporting each vertex transition once."""

    def __init__(self) -> None:
        # digest -> last reported phase: "queued", "started", "done", or the final "cached"/"failed"
        self._phase: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self._completed: dict[str, datetime] = {}

    def convert(self, response: control_pb2.StatusResponse) -> list[BuildEvent]:
        events: list[BuildEvent] = []
        for v in response.vertexes:
            events.extend(self._vertex(v))
        for s in response.statuses:
            events.append(
                StatusProgress(
                    vertex=s.vertex,
                    id=s.ID,
                    name=s.name,
                    current=s.current,
                    total=s.total,
                    timestamp=_time(s, "timestamp"),
                    completed=s.HasField("completed"),
                )
            )
        for log in response.logs:
            events.append(LogChunk(log.vertex, int(log.stream), bytes(log.msg), _time(log, "timestamp")))
        for w in response.warnings:
            detail = tuple(_text(d) for d in w.detail)
            events.append(BuildWarning(w.vertex, int(w.level), _text(w.short), detail, w.url))
        return events

    def _vertex(self, v: Any) -> list[BuildEvent]:
        digest, name = v.digest, v.name
        if name:
            self.names[digest] = name
        phase = self._phase.get(digest)
        if phase in ("cached", "failed"):
            return []
        started = _time(v, "started")
        completed = _time(v, "completed")
        if phase == "done":
            # A completed step may later be reported as cached, run again (a reused source), or fail.
            if v.error:
                self._phase[digest] = "failed"
                return [VertexFailed(digest, name, v.error, completed)]
            if v.cached:
                self._phase[digest] = "cached"
                return [VertexCached(digest, name, started, completed)]
            last = self._completed.get(digest)
            if started is not None and last is not None and started > last and completed is None:
                self._phase[digest] = "started"
                return [VertexStarted(digest, name, started)]
            return []
        out: list[BuildEvent] = []
        if phase is None:
            out.append(VertexQueued(digest, name, tuple(v.inputs)))
            phase = "queued"
        if v.error:
            out.append(VertexFailed(digest, name, v.error, completed))
            phase = "failed"
        elif v.cached:
            out.append(VertexCached(digest, name, started, completed))
            phase = "cached"
        elif completed is not None:
            if phase == "queued":
                out.append(VertexStarted(digest, name, started))
            out.append(VertexCompleted(digest, name, started, completed))
            self._completed[digest] = completed
            phase = "done"
        elif started is not None and phase == "queued":
            out.append(VertexStarted(digest, name, started))
            phase = "started"
        self._phase[digest] = phase
        return out
