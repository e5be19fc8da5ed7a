"""Choosing a renderer for a `--progress` mode, as buildx chooses its display.

`auto` is the live terminal view when the output is a terminal that can redraw, plain text
otherwise; `tty` insists on the terminal view; `quiet` shows nothing; `rawjson` writes the raw
status objects. With `auto`, BUILDKIT_PROGRESS picks the mode, as it does for buildx.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TextIO

from buildwright.client.events import BuildEvent
from buildwright.errors import BuildConfigError

if TYPE_CHECKING:
    from buildwright.progress.tty import Clock

PROGRESS_MODES = ("auto", "tty", "plain", "quiet", "rawjson")


class Renderer(Protocol):
    """Receives every build event; used as a context manager around the build."""

    def handle(self, event: BuildEvent) -> None: ...

    def __enter__(self) -> Renderer: ...

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class QuietRenderer:
    """Shows nothing."""

    def handle(self, event: BuildEvent) -> None:
        del event

    def __enter__(self) -> QuietRenderer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        return None


def can_redraw(out: TextIO, env: Mapping[str, str]) -> bool:
    """Whether `out` is a terminal that understands cursor movement (not TERM=dumb)."""
    isatty = getattr(out, "isatty", None)
    try:
        terminal = bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        terminal = False
    return terminal and env.get("TERM", "").lower() not in ("dumb", "unknown")


def resolve_mode(mode: str, out: TextIO, env: Mapping[str, str]) -> str:
    """The concrete mode (`tty`, `plain`, `quiet` or `rawjson`) for a `--progress` value.

    Raises:
        BuildConfigError: an unknown mode, or `tty` when `out` is not a terminal.
    """
    if mode == "auto" and env.get("BUILDKIT_PROGRESS"):
        mode = env["BUILDKIT_PROGRESS"]
    if mode not in PROGRESS_MODES:
        raise BuildConfigError(f'invalid progress mode "{mode}": expected one of {", ".join(PROGRESS_MODES)}')
    redraw = can_redraw(out, env)
    if mode == "tty" and not redraw:
        raise BuildConfigError("progress mode tty needs a terminal that can redraw, and the output is not one")
    if mode == "auto":
        return "tty" if redraw else "plain"
    return mode


def tty_log_lines(env: Mapping[str, str]) -> int:
    """BUILDKIT_TTY_LOG_LINES: how many log lines of a running step the live view shows."""
    from buildwright.progress.tty import DEFAULT_LOG_LINES

    try:
        lines = int(env.get("BUILDKIT_TTY_LOG_LINES", ""))
    except ValueError:
        return DEFAULT_LOG_LINES
    return lines if lines > 0 else DEFAULT_LOG_LINES


def make_renderer(
    mode: str,
    out: TextIO,
    *,
    env: Mapping[str, str] | None = None,
    detailed_warnings: bool = False,
    error_logs: bool = False,
    clock: Clock | None = None,
) -> Renderer:
    """The renderer for a `--progress` value, writing to `out` (stderr in the CLI).

    Args:
        mode: auto, tty, plain, quiet or rawjson.
        out: the stream progress goes to.
        env: the environment (BUILDKIT_PROGRESS, BUILDKIT_TTY_LOG_LINES, NO_COLOR, TERM); default os.environ.
        detailed_warnings: list each warning's detail in the final summary (debug mode).
        error_logs: plain mode repeats each failed step's last log lines at the end (history logs).
        clock: the current time, for the live view (default: the system clock).
    """
    if env is None:
        env = os.environ
    concrete = resolve_mode(mode, out, env)
    if concrete == "quiet":
        return QuietRenderer()
    # Each renderer is imported when chosen: a run loads only its own (and rich only for the live view).
    if concrete == "rawjson":
        from buildwright.progress.rawjson import RawJsonRenderer

        return RawJsonRenderer(out)
    if concrete == "plain":
        from buildwright.progress.plain import PlainRenderer

        return PlainRenderer(out, detailed_warnings=detailed_warnings, error_logs=error_logs)
    from rich.console import Console

    from buildwright.progress.tty import TtyRenderer, utc_now

    console = Console(file=out, force_terminal=True, no_color=bool(env.get("NO_COLOR")), highlight=False)
    return TtyRenderer(console, clock=clock or utc_now, log_lines=tty_log_lines(env))
