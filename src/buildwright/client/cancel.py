"""Cancelling a build from another thread (an asyncio task being cancelled, a supervisor).

A build registers what stops it on the engine (cancelling its Solve and status calls) with the
scope it was given; `cancel()` runs those, and the build's own thread then unwinds as on Ctrl-C:
the engine drops the build, nothing half-written is kept, and the call raises `BuildCancelled`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class CancelScope:
    """A cancel switch shared between a build and whoever may stop it; safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` when cancelled (at once if already); returns a function that unregisters it."""
        with self._lock:
            if not self._cancelled:
                self._callbacks.append(callback)
                return lambda: self._discard(callback)
        callback()
        return lambda: None

    def _discard(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def cancel(self) -> None:
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


# The scope builds started in this context (thread, task) run under; set by `cancel_scope`.
_CURRENT: ContextVar[CancelScope | None] = ContextVar("buildwright_cancel_scope", default=None)


@contextmanager
def cancel_scope(scope: CancelScope) -> Iterator[CancelScope]:
    """Builds started inside the block (in this thread or task) can be cancelled with `scope`."""
    token = _CURRENT.set(scope)
    try:
        yield scope
    finally:
        _CURRENT.reset(token)


def current_scope() -> CancelScope | None:
    return _CURRENT.get()
