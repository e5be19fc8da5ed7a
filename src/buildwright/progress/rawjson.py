"""The rawjson renderer: one JSON status object per line, in the shape buildx prints for `--progress=rawjson`.

Each line is a BuildKit `client.SolveStatus` (client/graph.go) with its JSON field names and
omissions: `{"vertexes": [...], "statuses": [...], "logs": [...], "warnings": [...]}`, empty lists
left out; vertexes carry `digest`, `inputs`, `name`, `started`, `completed`, `cached`, `error`;
statuses `id`, `vertex`, `name`, `total`, `current`, `timestamp`, `started`, `completed`; logs
`vertex`, `stream`, `data` (base64) and `timestamp`; warnings `vertex`, `level`, `short` and
`detail` (base64), `url`. Times are RFC 3339 in UTC, as Go writes them.

The events are transitions (each vertex change is reported once), so every event becomes one
object holding everything known about its vertex so far, as the engine resends whole vertexes.
"""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

from buildwright._golang import go_json
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

# Go's time.Time zero value, written where a required time is unknown.
_ZERO_TIME = "0001-01-01T00:00:00Z"
# encoding/json escapes these even inside strings, so output stays safe to embed in HTML.
_VertexEvent = VertexQueued | VertexStarted | VertexCompleted | VertexCached | VertexFailed


@valueclass(frozen=False)
class _Vertex:
    digest: str
    name: str = ""
    inputs: tuple[str, ...] = ()
    started: datetime | None = None
    completed: datetime | None = None
    cached: bool = False
    error: str = ""


class RawJsonRenderer:
    """Writes one `SolveStatus` JSON object per event to `out`; safe to call from several threads."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._vertexes: dict[str, _Vertex] = {}
        self._task_started: dict[tuple[str, str], datetime | None] = {}

    def __enter__(self) -> RawJsonRenderer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            self._out.flush()

    def handle(self, event: BuildEvent) -> None:
        """Write the status object for `event`."""
        if isinstance(event, StepCause):
            return  # ours, not the engine's: the engine's status stream has no such message
        with self._lock:
            message = self.message(event)
            self._out.write(go_json(message) + "\n")
            self._out.flush()

    def message(self, event: BuildEvent) -> dict[str, Any]:
        """The `SolveStatus` object for `event` (updates what is known about its vertex)."""
        if isinstance(event, StatusProgress):
            return {"statuses": [self._status(event)]}
        if isinstance(event, LogChunk):
            return {"logs": [_log(event)]}
        if isinstance(event, BuildWarning):
            return {"warnings": [_warning(event)]}
        if isinstance(event, StepCause):
            return {}
        return {"vertexes": [_vertex_json(self._vertex(event))]}

    def _vertex(self, event: _VertexEvent) -> _Vertex:
        vertex = self._vertexes.setdefault(event.digest, _Vertex(event.digest))
        vertex.name = event.name or vertex.name
        if isinstance(event, VertexQueued):
            vertex.inputs = event.inputs
        elif isinstance(event, VertexStarted):
            vertex.started = event.started
        elif isinstance(event, VertexCompleted):
            vertex.started = event.started or vertex.started
            vertex.completed = event.completed
        elif isinstance(event, VertexCached):
            vertex.cached = True
        else:
            vertex.completed = event.completed
            vertex.error = event.error
        return vertex

    def _status(self, event: StatusProgress) -> dict[str, Any]:
        started = self._task_started.setdefault((event.vertex, event.id), event.timestamp)
        status: dict[str, Any] = {"id": event.id}
        if event.vertex:
            status["vertex"] = event.vertex
        if event.name:
            status["name"] = event.name
        if event.total:
            status["total"] = event.total
        status["current"] = event.current
        status["timestamp"] = go_time(event.timestamp)
        if started is not None:
            status["started"] = go_time(started)
        if event.completed:
            status["completed"] = go_time(event.timestamp)
        return status


def _vertex_json(vertex: _Vertex) -> dict[str, Any]:
    out: dict[str, Any] = {"digest": vertex.digest}
    if vertex.inputs:
        out["inputs"] = list(vertex.inputs)
    if vertex.name:
        out["name"] = vertex.name
    if vertex.started is not None:
        out["started"] = go_time(vertex.started)
    if vertex.completed is not None:
        out["completed"] = go_time(vertex.completed)
    if vertex.cached:
        out["cached"] = True
    if vertex.error:
        out["error"] = vertex.error
    return out


def _log(event: LogChunk) -> dict[str, Any]:
    out: dict[str, Any] = {"vertex": event.vertex}
    if event.stream:
        out["stream"] = event.stream
    out["data"] = _b64(event.data)
    out["timestamp"] = go_time(event.timestamp)
    return out


def _warning(event: BuildWarning) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if event.vertex:
        out["vertex"] = event.vertex
    if event.level:
        out["level"] = event.level
    if event.short:
        out["short"] = _b64(event.short.encode())
    if event.detail:
        out["detail"] = [_b64(d.encode()) for d in event.detail]
    if event.url:
        out["url"] = event.url
    return out


def _b64(data: bytes) -> str:
    # Go's encoding/json writes []byte as standard base64.
    return base64.b64encode(data).decode("ascii")


def go_time(moment: datetime | None) -> str:
    """A time as Go's encoding/json writes it: RFC 3339 in UTC, fraction without trailing zeros."""
    if moment is None:
        return _ZERO_TIME
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"
