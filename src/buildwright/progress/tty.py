"""The live terminal renderer: a rich `Live` display redrawn from the progress model.

Events arrive on the client's status thread and only update the model; rich's refresh thread pulls
a fresh frame through `get_renderable`. The clock is injected, so tests can draw frames at fixed
instants. When the build ends the last frame is drawn in full (every step, `FINISHED`), then the
warnings found.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.text import Text

from buildwright.client.events import BuildEvent, BuildWarning
from buildwright.progress.model import ProgressModel
from buildwright.progress.summary import warnings_summary
from buildwright.progress.view import render_frame

Clock = Callable[[], datetime]

DEFAULT_LOG_LINES = 6


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


class TtyRenderer:
    """Draws the build as a live view on `console` (which should be a terminal).

    Args:
        console: where to draw; its size decides the layout.
        clock: the current time (inject a fake one in tests).
        log_lines: how many last log lines of a running step to show (BUILDKIT_TTY_LOG_LINES).
        refresh_per_second: redraw rate; 0 redraws only on `refresh()` (tests).
    """

    def __init__(
        self,
        console: Console,
        *,
        clock: Clock = utc_now,
        log_lines: int = DEFAULT_LOG_LINES,
        refresh_per_second: float = 10.0,
    ) -> None:
        self._console = console
        self._clock = clock
        self._lock = threading.Lock()
        self._model = ProgressModel(log_lines=log_lines)
        self._warnings: list[BuildWarning] = []
        self._final = False
        self._live = Live(
            console=console,
            get_renderable=self._frame,
            auto_refresh=refresh_per_second > 0,
            refresh_per_second=refresh_per_second or 1.0,
            transient=False,
            redirect_stdout=False,
            # Anything else written to stderr meanwhile (logs) is printed above the view.
            redirect_stderr=True,
        )

    def __enter__(self) -> TtyRenderer:
        self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            self._final = True
        # Live draws the final frame once more when it stops, without cropping it to the screen.
        self._live.stop()
        lines = warnings_summary(self._warnings)
        if lines:
            self._console.print(Text("\n".join(lines), style="yellow"), soft_wrap=True, highlight=False)

    def handle(self, event: BuildEvent) -> None:
        """Take one event (from any thread); the next redraw shows it."""
        with self._lock:
            self._model.apply(event, self._clock())
            if isinstance(event, BuildWarning):
                self._warnings.append(event)

    def refresh(self) -> None:
        """Redraw now."""
        self._live.refresh()

    def _frame(self) -> Text:
        with self._lock:
            snapshot = self._model.snapshot(self._clock())
            final = self._final
        size = self._console.size
        return render_frame(snapshot, width=size.width, height=size.height, final=final)
