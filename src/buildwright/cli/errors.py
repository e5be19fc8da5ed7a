"""Turning errors into what the user sees and the exit code: the CLI's one error boundary.

Exit codes: 0 success, 1 a build or engine error, 2 a usage error, 130 SIGINT (Ctrl-C), 143
SIGTERM (what `timeout`, CI runners and `kill` send). Both signals end the work the same way: the
exception unwinds the build, which cancels it on the engine and removes its partial outputs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from types import FrameType

from buildwright.errors import BuildFailed, BuildwrightError, DockerfileError, EngineUnavailableError, UsageError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread like KeyboardInterrupt, so the same clean-up runs.

    A BaseException, so that no `except Exception` on the way swallows it.
    """


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # A second SIGTERM while the first one's clean-up runs ends the process at once.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(EXIT_TERMINATED))
    raise Terminated


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding app): leave its signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_guarded(work: Callable[[], None], *, debug: bool) -> int:
    """Run `work`; render any error on stderr and return the exit code (0 on success)."""
    try:
        with _sigterm_unwinds():
            work()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except BuildwrightError as exc:
        if debug:
            traceback.print_exc()
        print(render_error(exc), file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_ERROR
    except Exception:  # the last line of defence: never a bare traceback for the user
        if debug:
            traceback.print_exc()
            print("internal error", file=sys.stderr)
        else:
            print("internal error: rerun with --debug for details", file=sys.stderr)
        return EXIT_ERROR
    return 0


def render_error(exc: BuildwrightError) -> str:
    """The error as text: first line `ERROR: ...`, then context where the error carries some."""
    lines = [f"ERROR: {exc}"]
    if isinstance(exc, EngineUnavailableError) and len(exc.tried) > 1:
        # With one endpoint the message already names it and its reason.
        lines.extend(f"  {endpoint}: {reason}" for endpoint, reason in exc.tried)
    elif isinstance(exc, DockerfileError) and exc.location is not None and exc.source_lines:
        lines.extend(_snippet(exc.source_lines, exc.location.start_line, exc.location.end_line))
    elif isinstance(exc, BuildFailed):
        if exc.log_tail:
            lines.append("------")
            lines.extend(f" > {line}" for line in exc.log_tail)
            lines.append("------")
        if exc.location is not None:
            lines.append(f"{exc.location.filename}:{exc.location.start_line}")
            if exc.source_lines:
                lines.extend(_snippet(exc.source_lines, exc.location.start_line, exc.location.end_line))
    return "\n".join(lines)


def _snippet(source: tuple[str, ...], start: int, end: int, context: int = 2) -> list[str]:
    """Numbered Dockerfile lines around the error, the offending ones marked with `>>>`."""
    out = ["--------------------"]
    first = max(1, start - context)
    last = min(len(source), end + context)
    while last > end and not source[last - 1].strip():
        last -= 1
    width = len(str(last))
    for number in range(first, last + 1):
        marker = ">>>" if start <= number <= end else "   "
        # Bytes that are not UTF-8 (surrogate escapes) show as U+FFFD, as a terminal shows them.
        text = source[number - 1].rstrip().encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        out.append(f" {number:>{width}} | {marker} {text}")
    out.append("--------------------")
    return out
