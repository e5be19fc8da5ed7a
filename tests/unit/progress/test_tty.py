"""The live renderer: frames drawn into a forced-terminal console, and on a real pseudo-terminal."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
import textwrap
from datetime import datetime

import pytest
from rich.console import Console

from buildwright.progress import TtyRenderer

from ._events import at, build_events, stamp

# rich erases the previous frame line by line before drawing the next one.
ERASE_LINE_UP = "\x1b[2K\x1b[1A"


class _Clock:
    def __init__(self) -> None:
        self.now = at(0)

    def __call__(self) -> datetime:
        return self.now


def test_live_view_redraws_in_place_and_ends_with_the_full_frame() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=60, height=20, color_system=None)
    clock = _Clock()
    renderer = TtyRenderer(console, clock=clock, refresh_per_second=0)
    with renderer:
        for event in build_events()[:18]:
            clock.now = stamp(event, clock.now)
            renderer.handle(event)
        renderer.refresh()
        for event in build_events()[18:]:
            clock.now = stamp(event, clock.now)
            renderer.handle(event)
        renderer.refresh()
    text = out.getvalue()
    frames = text.split("[+] Building")
    assert len(frames) == 4  # before the first frame, two refreshes, the final frame
    assert "(4/5)" in frames[1] and " => => # linking" in frames[1]
    assert ERASE_LINE_UP in frames[2]
    final = frames[3]
    assert final.startswith(" 2.6s (6/6) FINISHED")
    assert " => exporting to image" in final and "=> => #" not in final
    assert text.endswith(
        "\n 1 warning found (use --debug to expand):\n - UndefinedVar: Usage of undefined variable '$X' (line 3)\n"
    )


_SCRIPT = textwrap.dedent(
    """
    import sys
    from buildwright.progress import TtyRenderer, make_renderer
    sys.path.insert(0, {tests!r})
    from unit.progress._events import build_events

    renderer = make_renderer("auto", sys.stderr)
    assert isinstance(renderer, TtyRenderer), type(renderer)
    with renderer:
        for event in build_events():
            renderer.handle(event)
            renderer.refresh()
    """
)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_auto_mode_draws_a_live_view_on_a_pseudo_terminal() -> None:
    tests_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    leader, follower = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("BUILDKIT_PROGRESS", "NO_COLOR")}
    env.update(TERM="xterm", COLUMNS="70", LINES="25")
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT.format(tests=tests_dir)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(30) == 0
    text = b"".join(chunks).decode()
    assert text.startswith("\x1b[?25l")  # the cursor is hidden while drawing...
    assert "\x1b[?25h" in text  # ...and shown again at the end
    assert text.count("[+] Building") > 5
    assert ERASE_LINE_UP in text
    assert "(6/6) FINISHED" in text
    assert "\x1b[34m => CACHED [2/3] COPY . /src" in text  # finished steps in blue


def test_other_stderr_output_is_printed_above_the_view() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=60, height=20, color_system=None)
    with TtyRenderer(console, clock=_Clock(), refresh_per_second=0) as renderer:
        renderer.handle(build_events()[1])
        renderer.refresh()
        print("a log line", file=sys.stderr)
    text = out.getvalue()
    assert "a log line\n" in text
    assert text.index("a log line") < text.rindex("[+] Building")
