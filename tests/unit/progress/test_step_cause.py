"""`build --explain`: the cause of a rebuilt step shows in its line, plain and tty."""

from __future__ import annotations

import io

from buildwright.client.events import StepCause, VertexCompleted, VertexStarted
from buildwright.progress import PlainRenderer, ProgressModel
from buildwright.progress.view import render_frame

from ._events import at

EVENTS = (
    VertexStarted("d1", "[2/2] RUN make", at(0)),
    StepCause("d1", "[2/2] RUN make", "src/main.c changed (size 120 -> 131)"),
    VertexCompleted("d1", "[2/2] RUN make", at(0), at(1)),
)


def test_plain_prints_the_cause_under_the_step() -> None:
    out = io.StringIO()
    with PlainRenderer(out) as renderer:
        for event in EVENTS:
            renderer.handle(event)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["#1 [2/2] RUN make", "#1 RUNS BECAUSE src/main.c changed (size 120 -> 131)"]


def test_the_tty_view_marks_the_steps_line() -> None:
    model = ProgressModel()
    for event in EVENTS:
        model.apply(event, at(1))
    frame = render_frame(model.snapshot(at(1)), width=120, height=20, final=True).plain
    assert "[2/2] RUN make <- src/main.c changed (size 120 -> 131)" in frame
