"""The asyncio API: builds awaited from coroutines, their progress as async iterators.

    async with buildwright.aconnect() as engine:
        build = engine.start("examples/multistage", tags=["app:1"])
        async for event in build.events():
            print(event)
        result = await build

        app, tools = await asyncio.gather(engine.build("a"), engine.build("b"))

A build runs on a worker thread over the engine's one connection (as `Engine.submit` does);
cancelling the task that awaits it cancels the build on the engine, removes what it was writing,
and raises `asyncio.CancelledError` in the task once the engine side has stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Generator
from concurrent.futures import Future
from typing import Any

from buildwright.client.cancel import CancelScope, cancel_scope
from buildwright.client.events import BuildEvent
from buildwright.engine import Engine, Source, connect
from buildwright.errors import BuildConfigError
from buildwright.options import EngineOptions
from buildwright.results import BuildResult

__all__ = ["AsyncBuild", "AsyncEngine", "aconnect"]

_DONE = object()


class AsyncBuild:
    """One running build: `await` it for its BuildResult; `events()` yields its progress."""

    def __init__(self, engine: Engine, source: Source, options: dict[str, Any]) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._scope = CancelScope()
        own = options.pop("on_event", None)

        def on_event(event: BuildEvent) -> None:
            if own is not None:
                own(event)
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

        def run() -> BuildResult:
            with cancel_scope(self._scope):
                try:
                    return engine.build(source, on_event=on_event, **options)
                finally:
                    self._loop.call_soon_threadsafe(self._queue.put_nowait, _DONE)

        self._future: Future[BuildResult] = engine.run_in_pool(run)
        self._result = asyncio.wrap_future(self._future)

    async def events(self) -> AsyncIterator[BuildEvent]:
        """The build's events in order, until it ends (once: a second iteration yields nothing new)."""
        while True:
            item = await self._queue.get()
            if item is _DONE:
                return
            yield item  # type: ignore[misc]

    async def result(self) -> BuildResult:
        """Wait for the build; cancelling the waiting task cancels the build on the engine."""
        try:
            return await asyncio.shield(self._result)
        except asyncio.CancelledError:
            self.cancel()
            # The task ends only once the engine build is stopped and partial outputs are gone.
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(self._result), timeout=30)
            raise

    def cancel(self) -> None:
        """Cancel the build on the engine; awaiting it then raises BuildCancelled."""
        self._scope.cancel()

    def done(self) -> bool:
        return self._future.done()

    def __await__(self) -> Generator[Any, None, BuildResult]:
        return self.result().__await__()


class AsyncEngine:
    """An open engine connection for coroutines; from `aconnect`, used with `async with`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def sync(self) -> Engine:
        """The synchronous engine underneath (for code that is not async)."""
        return self._engine

    def start(self, source: Source, /, **options: Any) -> AsyncBuild:
        """Start a build (options as `buildwright.build`, or `Container.build` for a Container)."""
        if "engine" in options:
            raise BuildConfigError("engine= cannot be given here: the build runs on this engine")
        return AsyncBuild(self._engine, source, dict(options))

    async def build(self, source: Source, /, **options: Any) -> BuildResult:
        """Run one build and wait for it."""
        return await self.start(source, **options)

    async def close(self) -> None:
        """Wait for running builds, then close the connection."""
        await asyncio.to_thread(self._engine.close)

    async def __aenter__(self) -> AsyncEngine:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        await asyncio.to_thread(self._engine.close, cancel_pending=exc_type is not None)


class _Connecting:
    """What `aconnect` returns: awaitable (an AsyncEngine) and an async context manager."""

    def __init__(self, opener: Callable[[], Engine]) -> None:
        self._opener = opener
        self._engine: AsyncEngine | None = None

    async def _open(self) -> AsyncEngine:
        return AsyncEngine(await asyncio.to_thread(self._opener))

    def __await__(self) -> Generator[Any, None, AsyncEngine]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncEngine:
        self._engine = await self._open()
        return self._engine

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self._engine is not None:
            await self._engine.__aexit__(exc_type, *exc)


def aconnect(engine: EngineOptions | None = None, *, max_parallel: int = 4) -> _Connecting:
    """Open one connection for async builds: `async with aconnect() as engine:` or `await aconnect()`.

    Raises (when awaited or entered):
        EngineUnavailableError: no engine endpoint answered.
    """
    return _Connecting(lambda: connect(engine, max_parallel=max_parallel))
