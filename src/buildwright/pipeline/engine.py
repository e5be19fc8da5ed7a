"""`Engine`: one open engine connection that many builds share, run one by one or concurrently.

    with buildwright.connect() as engine:
        app, tools = engine.build_many([
            buildwright.BuildSpec("examples/multistage", target="app", tags=["app:1"]),
            buildwright.BuildSpec("examples/multistage", target="tools", tags=["tools:1"]),
        ])

Each build has its own session, build ref and status stream on the one gRPC channel (the gateway
calls carry the build's ref), so concurrent builds do not see each other's files or events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from buildwright import api
from buildwright.api import BuildResult, EngineOptions, EventCallback
from buildwright.client import BuildkitClient, BuildRequest, CompiledBuildLike, EngineInfo, GatewayContext
from buildwright.client import BuildResult as EngineBuildResult
from buildwright.client.cancel import current_scope
from buildwright.client.events import BuildEvent
from buildwright.errors import BuildConfigError, EngineError
from buildwright.pipeline.container import Container
from buildwright.pipeline.run import build_container

Source = str | Path | Container
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BuildSpec:
    """One build for `Engine.build_many`: a Dockerfile context (or a pipeline Container) and the
    keyword options `buildwright.build` (or `Container.build`) takes."""

    source: Source
    options: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, source: Source, /, **options: Any) -> None:
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "options", dict(options))


class Engine:
    """An open connection to a BuildKit engine; a context manager (from `buildwright.connect`).

    `build` runs one build and waits; `submit` starts one on a worker thread and returns a
    Future; `build_many` runs several at once. All share this one connection.
    """

    def __init__(
        self,
        client: BuildkitClient,
        options: EngineOptions,
        *,
        max_parallel: int = 4,
        on_event: EventCallback | None = None,
    ) -> None:
        if max_parallel < 1:
            raise BuildConfigError("max_parallel must be at least 1")
        self._client = client
        self._options = options
        self._on_event = on_event
        self._pool = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="buildwright-build")
        self._closed = False

    @property
    def options(self) -> EngineOptions:
        """The options this engine was opened with."""
        return self._options

    @property
    def info(self) -> EngineInfo:
        """What the engine reported: endpoint, worker platforms, BuildKit version."""
        return self._client.engine

    def run_build(
        self,
        request: BuildRequest,
        compile: Callable[[GatewayContext], CompiledBuildLike],
        on_event: EventCallback | None,
    ) -> EngineBuildResult:
        """Run one low-level build on this connection (what `buildwright.build(engine=...)` calls)."""
        if self._closed:
            raise EngineError("the engine connection is closed")
        scope = current_scope()
        if scope is not None and request.cancel is None:
            request = replace(request, cancel=scope)
        return self._client.build(request, compile=compile, on_event=self._events(on_event))

    def build(self, source: Source, /, **options: Any) -> BuildResult:
        """Build a Dockerfile context (options as `buildwright.build`) or a pipeline Container
        (options as `Container.build`) and wait for it."""
        if "engine" in options:
            raise BuildConfigError("engine= cannot be given to Engine.build: the build runs on this engine")
        if isinstance(source, Container):
            return build_container(source, engine=self, **options)
        return api.build(source, engine=self, **options)

    def submit(self, source: Source, /, **options: Any) -> Future[BuildResult]:
        """Start a build on a worker thread; the Future holds its BuildResult or its error."""
        if self._closed:
            raise EngineError("the engine connection is closed")
        return self._pool.submit(self.build, source, **options)

    def run_in_pool(self, work: Callable[[], T]) -> Future[T]:
        """Run `work` on one of this engine's build threads (what the async API uses)."""
        if self._closed:
            raise EngineError("the engine connection is closed")
        return self._pool.submit(work)

    def build_many(
        self,
        builds: Iterable[BuildSpec | Source],
        *,
        on_event: Callable[[int, BuildEvent], None] | None = None,
    ) -> list[BuildResult]:
        """Run builds concurrently and return their results in order.

        `on_event(index, event)` receives every build's events, tagged with the build's position.
        Every build runs to its end; then the first failure (in order) is raised.
        """
        futures: list[Future[BuildResult]] = []
        for index, item in enumerate(builds):
            spec = item if isinstance(item, BuildSpec) else BuildSpec(item)
            options = dict(spec.options)
            if on_event is not None:
                options["on_event"] = _tagged(index, on_event, options.get("on_event"))
            futures.append(self.submit(spec.source, **options))
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
        return [f.result() for f in futures]

    def _events(self, on_event: EventCallback | None) -> EventCallback | None:
        shared = self._on_event
        if shared is None or on_event is None:
            return on_event or shared

        def both(event: BuildEvent) -> None:
            on_event(event)
            shared(event)

        return both

    def close(self, *, cancel_pending: bool = False) -> None:
        """Wait for running builds, then close the connection.

        Builds submitted but not started yet still run, unless `cancel_pending` (then their
        Futures are cancelled); new ones are refused.
        """
        if self._closed:
            return
        self._pool.shutdown(wait=True, cancel_futures=cancel_pending)
        self._closed = True
        self._client.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        # Leaving on an error (Ctrl-C included) drops the builds that have not started.
        self.close(cancel_pending=exc_type is not None)


def _tagged(index: int, on_event: Callable[[int, BuildEvent], None], own: EventCallback | None) -> EventCallback:
    def callback(event: BuildEvent) -> None:
        if own is not None:
            own(event)
        on_event(index, event)

    return callback


def connect(
    engine: EngineOptions | None = None,
    *,
    max_parallel: int = 4,
    on_event: EventCallback | None = None,
) -> Engine:
    """Open one connection to the engine for several builds; use it as a context manager.

    `on_event` receives the events of every build on this engine (from background threads).

    Raises:
        EngineUnavailableError: no engine endpoint answered.
    """
    options = engine or EngineOptions()
    client = BuildkitClient.connect(addr=options.addr, tls=options.tls(), env=options.env)
    return Engine(client, options, max_parallel=max_parallel, on_event=on_event)
