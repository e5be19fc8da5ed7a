from __future__ import annotations

from buildwright._pb import control_pb2
from buildwright.client.events import (
    BuildWarning,
    LogChunk,
    StatusConverter,
    StatusProgress,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexQueued,
    VertexStarted,
)


def _vertex(
    digest: str, name: str, *, started: int = 0, completed: int = 0, cached: bool = False, error: str = ""
) -> control_pb2.Vertex:
    v = control_pb2.Vertex(digest=digest, name=name, cached=cached, error=error)
    if started:
        v.started.seconds = started
    if completed:
        v.completed.seconds = completed
    return v


def test_vertex_transitions_reported_once() -> None:
    conv = StatusConverter()
    first = conv.convert(control_pb2.StatusResponse(vertexes=[_vertex("sha256:a", "RUN x")]))
    assert first == [VertexQueued("sha256:a", "RUN x", ())]
    again = conv.convert(control_pb2.StatusResponse(vertexes=[_vertex("sha256:a", "RUN x", started=10)]))
    [started] = again
    assert isinstance(started, VertexStarted)
    assert started.started is not None and started.started.timestamp() == 10
    assert conv.convert(control_pb2.StatusResponse(vertexes=[_vertex("sha256:a", "RUN x", started=10)])) == []
    done = conv.convert(control_pb2.StatusResponse(vertexes=[_vertex("sha256:a", "RUN x", started=10, completed=12)]))
    assert [type(e) for e in done] == [VertexCompleted]
    assert conv.convert(control_pb2.StatusResponse(vertexes=[_vertex("sha256:a", "RUN x", completed=12)])) == []


def test_completed_without_started_event_still_starts() -> None:
    events = StatusConverter().convert(
        control_pb2.StatusResponse(vertexes=[_vertex("sha256:b", "COPY", started=1, completed=2)])
    )
    assert [type(e) for e in events] == [VertexQueued, VertexStarted, VertexCompleted]


def test_cached_and_failed() -> None:
    conv = StatusConverter()
    events = conv.convert(
        control_pb2.StatusResponse(
            vertexes=[
                _vertex("sha256:c", "FROM busybox", started=1, completed=1, cached=True),
                _vertex("sha256:d", "RUN false", started=1, completed=2, error="exit code: 1"),
            ]
        )
    )
    cached = [e for e in events if isinstance(e, VertexCached)]
    assert [(e.digest, e.name) for e in cached] == [("sha256:c", "FROM busybox")]
    failed = [e for e in events if isinstance(e, VertexFailed)]
    assert failed and failed[0].error == "exit code: 1" and failed[0].name == "RUN false"


def test_statuses_logs_warnings() -> None:
    response = control_pb2.StatusResponse(
        statuses=[control_pb2.VertexStatus(ID="transferring context:", vertex="sha256:l", current=55, total=0)],
        logs=[control_pb2.VertexLog(vertex="sha256:r", stream=2, msg=b"oops\n")],
        warnings=[control_pb2.VertexWarning(vertex="sha256:r", level=1, short=b"lint", detail=[b"d1"], url="u")],
    )
    response.statuses[0].completed.seconds = 3
    events = StatusConverter().convert(response)
    progress, log, warning = events
    assert isinstance(progress, StatusProgress) and progress.current == 55 and progress.completed
    assert log == LogChunk("sha256:r", 2, b"oops\n", None)
    assert warning == BuildWarning("sha256:r", 1, "lint", ("d1",), "u")


def test_completed_then_cached_is_reported_as_cached() -> None:
    conv = StatusConverter()
    first = conv.convert(
        control_pb2.StatusResponse(vertexes=[_vertex("sha256:f", "FROM busybox", started=1, completed=2)])
    )
    assert any(isinstance(e, VertexCompleted) for e in first)
    second = conv.convert(
        control_pb2.StatusResponse(vertexes=[_vertex("sha256:f", "FROM busybox", started=1, completed=2, cached=True)])
    )
    assert [type(e) for e in second] == [VertexCached]
    again = conv.convert(
        control_pb2.StatusResponse(vertexes=[_vertex("sha256:f", "FROM busybox", started=1, completed=2, cached=True)])
    )
    assert again == []


def test_completed_step_that_runs_again_and_fails_is_reported() -> None:
    conv = StatusConverter()
    conv.convert(control_pb2.StatusResponse(vertexes=[_vertex("sha256:h", "ADD url", started=1, completed=2)]))
    restarted = conv.convert(control_pb2.StatusResponse(vertexes=[_vertex("sha256:h", "ADD url", started=3)]))
    assert [type(e) for e in restarted] == [VertexStarted]
    failed = conv.convert(
        control_pb2.StatusResponse(vertexes=[_vertex("sha256:h", "ADD url", started=3, completed=4, error="mismatch")])
    )
    assert [type(e) for e in failed] == [VertexFailed]
