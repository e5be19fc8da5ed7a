from __future__ import annotations

import io

import pytest

from buildwright.errors import BuildConfigError
from buildwright.progress import (
    PlainRenderer,
    QuietRenderer,
    RawJsonRenderer,
    TtyRenderer,
    make_renderer,
    resolve_mode,
)
from buildwright.progress.renderer import tty_log_lines


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("mode", "terminal", "env", "expected"),
    [
        ("auto", False, {}, "plain"),
        ("auto", True, {"TERM": "xterm"}, "tty"),
        ("auto", True, {"TERM": "dumb"}, "plain"),
        ("auto", True, {"TERM": "xterm", "BUILDKIT_PROGRESS": "plain"}, "plain"),
        ("auto", False, {"BUILDKIT_PROGRESS": "rawjson"}, "rawjson"),
        ("plain", True, {"BUILDKIT_PROGRESS": "quiet"}, "plain"),
        ("tty", True, {}, "tty"),
        ("quiet", False, {}, "quiet"),
        ("rawjson", True, {}, "rawjson"),
    ],
)
def test_modes_resolve_like_buildx(mode: str, terminal: bool, env: dict[str, str], expected: str) -> None:
    out = _Terminal() if terminal else io.StringIO()
    assert resolve_mode(mode, out, env) == expected


def test_tty_needs_a_terminal() -> None:
    with pytest.raises(BuildConfigError, match="progress mode tty needs a terminal"):
        resolve_mode("tty", io.StringIO(), {})


def test_unknown_mode_lists_the_valid_ones() -> None:
    with pytest.raises(BuildConfigError, match='invalid progress mode "fancy": expected one of auto, tty, plain'):
        resolve_mode("fancy", io.StringIO(), {})
    with pytest.raises(BuildConfigError, match='invalid progress mode "nope"'):
        resolve_mode("auto", io.StringIO(), {"BUILDKIT_PROGRESS": "nope"})


def test_renderer_classes() -> None:
    out = io.StringIO()
    assert isinstance(make_renderer("quiet", out, env={}), QuietRenderer)
    assert isinstance(make_renderer("plain", out, env={}), PlainRenderer)
    assert isinstance(make_renderer("rawjson", out, env={}), RawJsonRenderer)
    assert isinstance(make_renderer("auto", _Terminal(), env={"TERM": "xterm"}), TtyRenderer)


@pytest.mark.parametrize(("value", "lines"), [(None, 6), ("10", 10), ("0", 6), ("x", 6)])
def test_tty_log_lines(value: str | None, lines: int) -> None:
    env = {} if value is None else {"BUILDKIT_TTY_LOG_LINES": value}
    assert tty_log_lines(env) == lines
