"""Progress output: build events in, text out. Renderers only read events; they never drive the build.

Modes (`--progress`): `tty` (a live rich view), `plain` (`#N` lines), `rawjson` (status objects),
`quiet` (nothing); `auto` picks tty on a terminal, plain otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildwright._lazy import lazy_exports

if TYPE_CHECKING:
    from buildwright.progress.model import (
        BuildSnapshot,
        ProgressModel,
        StepState,
        StepView,
        TaskView,
    )
    from buildwright.progress.plain import (
        PlainRenderer,
    )
    from buildwright.progress.rawjson import (
        RawJsonRenderer,
    )
    from buildwright.progress.renderer import (
        PROGRESS_MODES,
        QuietRenderer,
        Renderer,
        make_renderer,
        resolve_mode,
    )
    from buildwright.progress.tty import (
        TtyRenderer,
    )
    from buildwright.progress.view import (
        render_frame,
    )

# Imported on first use: see buildwright/_lazy.py.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "buildwright.progress.model": ("BuildSnapshot", "ProgressModel", "StepState", "StepView", "TaskView"),
        "buildwright.progress.plain": ("PlainRenderer",),
        "buildwright.progress.rawjson": ("RawJsonRenderer",),
        "buildwright.progress.renderer": (
            "PROGRESS_MODES",
            "QuietRenderer",
            "Renderer",
            "make_renderer",
            "resolve_mode",
        ),
        "buildwright.progress.tty": ("TtyRenderer",),
        "buildwright.progress.view": ("render_frame",),
    },
)

__all__ = [
    "PROGRESS_MODES",
    "BuildSnapshot",
    "PlainRenderer",
    "ProgressModel",
    "QuietRenderer",
    "RawJsonRenderer",
    "Renderer",
    "StepState",
    "StepView",
    "TaskView",
    "TtyRenderer",
    "make_renderer",
    "render_frame",
    "resolve_mode",
]
