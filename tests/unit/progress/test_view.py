"""The live view drawn into an in-memory console at a fixed size, at fixed instants."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta

from rich.console import Console

from buildwright.client.events import BuildEvent, LogChunk, VertexCompleted, VertexQueued, VertexStarted
from buildwright.progress import ProgressModel, render_frame

from ._events import at, build_events, failing_events, stamp


def _model(events: Sequence[BuildEvent], latency: float = 0.0) -> ProgressModel:
    """The model after `events`, each received `latency` seconds after the engine stamped it."""
    model = ProgressModel(log_lines=3)
    received = at(0)
    for event in events:
        received = stamp(event, received) + timedelta(seconds=latency)
        model.apply(event, received)
    return model


def _draw(model: ProgressModel, now: datetime, *, width: int = 80, height: int = 30, final: bool = False) -> str:
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None, record=True)
    console.print(render_frame(model.snapshot(now), width=width, height=height, final=final))
    return console.export_text()


def test_frame_while_a_step_runs() -> None:
    # Events reach us 10s after the engine stamped them: times still count from when we saw the start.
    model = _model(build_events()[:18], latency=10.0)
    assert _draw(model, at(12.5)) == (
        "[+] Building 2.5s (4/5)\n"
        " => [internal] load metadata for docker.io/library/busybox:latest          0.3s\n"
        " => [internal] load build context                                          0.3s\n"
        " => => transferring context: 2.30MB                                        0.3s\n"
        " => CACHED [1/3] FROM docker.io/library/busybox:latest                     0.0s\n"
        " => CACHED [2/3] COPY . /src                                               0.0s\n"
        " => [3/3] RUN make                                                         1.5s\n"
        " => => # cc -o app main.c\n"
        " => => # warning: unused variable\n"
        " => => # linking\n"
    )


def test_final_frame_says_finished() -> None:
    assert _draw(_model(build_events()), at(3.0), final=True) == (
        "[+] Building 3.0s (6/6) FINISHED\n"
        " => [internal] load metadata for docker.io/library/busybox:latest          0.3s\n"
        " => [internal] load build context                                          0.3s\n"
        " => => transferring context: 2.30MB                                        0.3s\n"
        " => CACHED [1/3] FROM docker.io/library/busybox:latest                     0.0s\n"
        " => CACHED [2/3] COPY . /src                                               0.0s\n"
        " => [3/3] RUN make                                                         1.2s\n"
        " => WARN: UndefinedVar: Usage of undefined variable '$X' (line 3)          1.2s\n"
        " => exporting to image                                                     0.3s\n"
        " => => exporting layers                                                    0.2s\n"
    )


def test_not_finished_before_the_end() -> None:
    assert _draw(_model(build_events()), at(3.0)).startswith("[+] Building 3.0s (6/6)\n")


def test_errors_and_cancellations_are_named() -> None:
    assert _draw(_model(failing_events()), at(1.0), width=60, final=True) == (
        "[+] Building 1.0s (2/2) FINISHED\n"
        " => ERROR [a 1/1] RUN false                            0.4s\n"
        " => CANCELED [b 1/1] RUN sleep 9                       0.4s\n"
    )


def test_short_terminal_keeps_running_steps_in_view() -> None:
    events: list[BuildEvent] = [VertexStarted("sha256:run", "RUN long", at(0))]
    for n in range(8):
        digest = f"sha256:{n}"
        events += [VertexQueued(digest, f"step {n}"), VertexStarted(digest, f"step {n}", at(0))]
        events.append(VertexCompleted(digest, f"step {n}", at(0), at(0.1)))
    text = _draw(_model(events), at(2.0), height=6)
    assert text.splitlines() == [
        "[+] Building 2.0s (8/9)",
        " => RUN long                                                               2.0s",
        " => step 5                                                                 0.1s",
        " => step 6                                                                 0.1s",
        " => step 7                                                                 0.1s",
    ]


def test_logs_hidden_when_there_is_no_room() -> None:
    events: list[BuildEvent] = [
        VertexStarted("sha256:run", "RUN chatty", at(0)),
        LogChunk("sha256:run", 1, b"one\ntwo\n", at(0.5)),
    ]
    assert "=> => # two" in _draw(_model(events), at(1), height=12)
    assert "=> => #" not in _draw(_model(events), at(1), height=6)


def test_progress_bars_show_their_last_redraw_and_escapes_are_dropped() -> None:
    events: list[BuildEvent] = [
        VertexStarted("sha256:run", "RUN curl", at(0)),
        LogChunk("sha256:run", 2, b"\x1b[32m 10%\r 50%\r 90%", at(0.5)),
    ]
    assert _draw(_model(events), at(1)).splitlines()[-1] == " => => #  90%"


def test_narrow_terminal_truncates_names() -> None:
    lines = _draw(_model(build_events()), at(3.0), width=36, final=True).splitlines()
    assert lines[1:4] == [
        " => [internal] load metadata   0.3s",
        " => [internal] load build con  0.3s",
        " => => transferring co 2.30MB  0.3s",
    ]
    assert all(len(line) < 36 for line in lines)
    # Too narrow for any name: only the header is left.
    assert _draw(_model(build_events()), at(3.0), width=20, final=True) == "[+] Building 3.0s (6\n"


def test_colours_follow_state_and_no_color() -> None:
    model = _model(failing_events())
    frame = render_frame(model.snapshot(at(1.0)), width=60, height=20, final=True)
    coloured = Console(file=io.StringIO(), width=60, force_terminal=True, color_system="standard")
    with coloured.capture() as capture:
        coloured.print(frame)
    assert "\x1b[31m => ERROR" in capture.get()
    assert "\x1b[33m => CANCELED" in capture.get()
    plain = Console(file=io.StringIO(), width=60, force_terminal=True, color_system="standard", no_color=True)
    with plain.capture() as capture:
        plain.print(frame)
    assert "\x1b[3" not in capture.get()
