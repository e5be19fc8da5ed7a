"""Progress output: build events in, text out. Renderers only read events; they never drive the build."""

from __future__ import annotations

from buildwright.progress.plain import PlainRenderer, QuietRenderer, Renderer, make_renderer

__all__ = ["PlainRenderer", "QuietRenderer", "Renderer", "make_renderer"]
