from __future__ import annotations

import io
import threading
from collections.abc import Sequence

from buildwright.client.events import BuildEvent, LogChunk, StatusProgress, VertexCompleted, VertexStarted
from buildwright.progress import PlainRenderer

from ._events import T0, at, build_events, failing_events


def _render(events: Sequence[BuildEvent], *, detailed_warnings: bool = False) -> str:
    out = io.StringIO()
    with PlainRenderer(out, detailed_warnings=detailed_warnings) as renderer:
        for event in events:
            renderer.handle(event)
    return out.getvalue()


def test_recorded_build_matches_buildx_plain_layout() -> None:
    assert _render(build_events()) == (
        "#1 [internal] load metadata for docker.io/library/busybox:latest\n"
        "#1 DONE 0.3s\n"
        "\n"
        "#2 [internal] load build context\n"
        "#2 transferring context: 2.30MB 0.3s done\n"
        "#2 DONE 0.3s\n"
        "\n"
        "#3 [1/3] FROM docker.io/library/busybox:latest\n"
        "#3 CACHED\n"
        "\n"
        "#4 [2/3] COPY . /src\n"
        "#4 CACHED\n"
        "\n"
        "#5 [3/3] RUN make\n"
        "#5 0.200 cc -o app main.c\n"
        "#5 0.500 warning: unused variable\n"
        "#5 0.600 linking\n"
        "#5 WARN: UndefinedVar: Usage of undefined variable '$X' (line 3)\n"
        "#5 DONE 1.2s\n"
        "\n"
        "#6 exporting to image\n"
        "#6 exporting layers 0.2s done\n"
        "#6 DONE 0.3s\n"
        "\n"
        " 1 warning found (use --debug to expand):\n"
        " - UndefinedVar: Usage of undefined variable '$X' (line 3)\n"
    )


def test_detailed_warnings_in_debug() -> None:
    text = _render(build_events(), detailed_warnings=True)
    assert text.endswith(
        " 1 warning found:\n - UndefinedVar: Usage of undefined variable '$X' (line 3)\ndetail\nMore info: https://x\n\n"
    )


def test_interrupted_step_ends_with_dots_and_failures() -> None:
    assert _render(failing_events()) == (
        "#1 [a 1/1] RUN false\n"
        "#1 ...\n"
        "\n"
        "#2 [b 1/1] RUN sleep 9\n"
        "#2 ...\n"
        "\n"
        "#1 [a 1/1] RUN false\n"
        "#1 0.200 boom\n"
        "#1 ...\n"
        "\n"
        "#2 [b 1/1] RUN sleep 9\n"
        "#2 0.200 sleeping\n"
        "#2 ...\n"
        "\n"
        "#1 [a 1/1] RUN false\n"
        '#1 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1\n'
        "\n"
        "#2 [b 1/1] RUN sleep 9\n"
        "#2 CANCELED\n"
    )


def test_log_offsets_lose_precision_as_they_grow() -> None:
    events = [
        VertexStarted("d", "RUN x", T0),
        LogChunk("d", 1, b"a\n", at(9.5)),
        LogChunk("d", 1, b"b\n", at(42.125)),
        LogChunk("d", 1, b"c\n", at(123.45)),
    ]
    assert _render(events).splitlines()[1:] == ["#1 9.500 a", "#1 42.12 b", "#1 123.5 c"]


def test_unterminated_log_line_printed_when_step_ends() -> None:
    events = [
        VertexStarted("d", "RUN x", T0),
        LogChunk("d", 1, b"no newline", at(0.5)),
        VertexCompleted("d", "RUN x", T0, at(1)),
    ]
    assert _render(events) == "#1 RUN x\n#1 0.500 no newline\n#1 DONE 1.0s\n"


def test_long_task_printed_every_five_seconds_and_with_total() -> None:
    events: list[BuildEvent] = [VertexStarted("d", "FROM x", T0)]
    events += [StatusProgress("d", "sha256:ab", "", n * 1000, 100_000, at(n * 0.1), False) for n in range(0, 3)]
    events += [StatusProgress("d", "sha256:ab", "", 4000, 100_000, at(6), False)]
    events += [StatusProgress("d", "sha256:ab", "", 100_000, 100_000, at(7), True)]
    lines = _render(events).splitlines()
    assert lines == [
        "#1 FROM x",
        "#1 sha256:ab 4.00kB / 100.00kB 6.0s",
        "#1 sha256:ab 100.00kB / 100.00kB 7.0s done",
    ]


def test_safe_from_several_threads() -> None:
    out = io.StringIO()
    renderer = PlainRenderer(out)

    def feed(index: int) -> None:
        digest = f"sha256:{index}"
        renderer.handle(VertexStarted(digest, f"step {index}", T0))
        for n in range(50):
            renderer.handle(LogChunk(digest, 1, f"line {n}\n".encode(), at(1)))

    threads = [threading.Thread(target=feed, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logs = [line for line in out.getvalue().splitlines() if " 1.000 line " in line]
    assert len(logs) == 200
