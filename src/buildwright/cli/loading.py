"""A command's modules loaded with the cycle collector paused.

A command imports what it runs on when it starts (a build: some 300 modules). Loading them makes
hundreds of thousands of objects that live as long as the process, and the collector, which
runs every few hundred allocations, walks them again and again for garbage that is not there:
about a tenth of a build's start-up CPU. `loading_modules()` pauses it for the imports, then
freezes what exists (frozen objects are left out of every later collection), so the collections
the run still makes walk only the objects of its work.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def loading_modules() -> Iterator[None]:
    """Pause the collector for the block (the command's imports), then freeze what it made."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
