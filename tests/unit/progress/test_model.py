from __future__ import annotations

from buildwright.client.events import LogChunk, StatusProgress, VertexCached, VertexQueued, VertexStarted
from buildwright.progress import ProgressModel, StepState

from ._events import at, build_events, failing_events


def test_steps_in_start_order_with_states() -> None:
    model = ProgressModel()
    for event in build_events():
        model.apply(event, at(5))
    snapshot = model.snapshot(at(5))
    assert [(s.name, s.state) for s in snapshot.steps] == [
        ("[internal] load metadata for docker.io/library/busybox:latest", StepState.DONE),
        ("[internal] load build context", StepState.DONE),
        ("[1/3] FROM docker.io/library/busybox:latest", StepState.CACHED),
        ("[2/3] COPY . /src", StepState.CACHED),
        ("[3/3] RUN make", StepState.DONE),
        ("exporting to image", StepState.DONE),
    ]
    assert (snapshot.completed, snapshot.total) == (6, 6)
    [task] = snapshot.steps[1].tasks
    assert (task.id, task.current, task.done) == ("transferring context:", 2_300_000, True)
    assert round(task.seconds, 3) == 0.3


def test_failed_and_cancelled_states() -> None:
    model = ProgressModel()
    for event in failing_events():
        model.apply(event, at(1))
    assert [s.state for s in model.snapshot(at(1)).steps] == [StepState.ERROR, StepState.CANCELED]


def test_queued_steps_count_but_are_not_shown() -> None:
    model = ProgressModel()
    model.apply(VertexQueued("a", "RUN a"), at(0))
    model.apply(VertexQueued("b", "RUN b"), at(0))
    model.apply(VertexCached("b", "RUN b"), at(1))
    snapshot = model.snapshot(at(1))
    assert (snapshot.completed, snapshot.total) == (1, 2)
    assert [s.name for s in snapshot.steps] == ["RUN b"]
    assert snapshot.steps[0].seconds == 0.0


def test_running_time_uses_our_clock_not_the_engines() -> None:
    model = ProgressModel()
    # The engine's clock is an hour behind ours.
    model.apply(VertexStarted("a", "RUN a", at(-3600)), at(0))
    model.apply(StatusProgress("a", "pull", "", 5, 10, at(-3600), False), at(0))
    snapshot = model.snapshot(at(2))
    assert snapshot.elapsed == 2.0
    assert snapshot.steps[0].seconds == 2.0
    assert snapshot.steps[0].tasks[0].seconds == 2.0


def test_keeps_the_last_log_lines_and_the_unfinished_one() -> None:
    model = ProgressModel(log_lines=2)
    model.apply(VertexStarted("a", "RUN a", at(0)), at(0))
    model.apply(LogChunk("a", 1, b"1\n2\n3\npartial", at(0)), at(0))
    step = model.snapshot(at(0)).steps[0]
    assert step.logs == ("3", "partial")
    assert step.log_bytes == len(b"1\n2\n3\npartial")


def test_events_for_unknown_steps_are_ignored() -> None:
    model = ProgressModel()
    model.apply(LogChunk("nope", 1, b"x\n", at(0)), at(0))
    model.apply(StatusProgress("nope", "x", "", 0, 0, at(0), False), at(0))
    assert model.snapshot(at(0)).steps == ()
