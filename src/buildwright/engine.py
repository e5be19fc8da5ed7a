"""`Engine`: one connection to a BuildKit engine that many builds share, one by one or at once.

    with buildwright.connect() as engine:
        app, tools = engine.build_many([
            buildwright.BuildSpec("examples/multistage", target="app", tags=["app:1"]),
            buildwright.BuildSpec("examples/multistage", target="tools", tags=["tools:1"]),
        ])

Every top-level function of `buildwright.api` is a thin wrapper over an Engine (as httpx's
functions are over its `Client`): it opens one for the call, or uses the one it is given. An
Engine made without a client connects when its first build needs the engine, so inputs are read
and checked before any endpoint is tried. Each build has its own session, build ref and status
stream on the one gRPC channel, so concurrent builds do not see each other's files or events.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from buildwright._values import valueclass
from buildwright.checks import CheckJob, CheckResult
from buildwright.client import BuildkitClient, BuildRequest, CompiledBuildLike, EngineInfo, GatewayContext
from buildwright.client import BuildResult as EngineBuildResult
from buildwright.client.cancel import current_scope
from buildwright.client.connection import Connection
from buildwright.client.dockerconfig import DockerConfig
from buildwright.client.events import BuildEvent
from buildwright.dockerfile_build import run_dockerfile_build
from buildwright.errors import BuildConfigError, EngineError
from buildwright.frontend import CompiledBuild, compile_dockerfile
from buildwright.frontend.convert import dispatch_dockerfile
from buildwright.inputs import Context, read_inputs
from buildwright.options import BuildOptions, EngineOptions, OutputOptions, split_keywords
from buildwright.results import BuildResult

if TYPE_CHECKING:
    # What builds do not use is imported by the methods that do (outline, du, prune).
    from buildwright.client.diskusage import PruneOptions, UsageRecord
    from buildwright.frontend.outline import Outline

EventCallback = Callable[[BuildEvent], None]
T = TypeVar("T")

__all__ = ["BuildSpec", "Buildable", "Engine", "EventCallback", "connect", "engine_for"]


@runtime_checkable
class Buildable(Protocol):
    """What builds itself on an engine besides a Dockerfile context (a pipeline `Container`)."""

    def build_with(self, engine: Engine, /, **options: Any) -> BuildResult: ...


Source = Context | Buildable


@valueclass
class BuildSpec:
    """One build for `Engine.build_many`: a Dockerfile context (or a pipeline Container) and the
    keyword options `Engine.build` takes for it."""

    source: Source
    options: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, source: Source, /, **options: Any) -> None:
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "options", dict(options))


class Engine:
    """A connection to a BuildKit engine; a context manager.

    `build` runs one build and waits; `submit` starts one on a worker thread and returns a
    Future; `build_many` runs several at once. All share this one connection.
    """

    def __init__(
        self,
        options: EngineOptions | None = None,
        *,
        client: BuildkitClient | None = None,
        max_parallel: int = 4,
        on_event: EventCallback | None = None,
    ) -> None:
        if max_parallel < 1:
            raise BuildConfigError("max_parallel must be at least 1")
        self._options = options or EngineOptions()
        self._client = client
        self._opening = threading.Lock()
        self._on_event = on_event
        self._max_parallel = max_parallel
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    @property
    def options(self) -> EngineOptions:
        """The options this engine was opened with."""
        return self._options

    @property
    def info(self) -> EngineInfo:
        """What the engine reported: endpoint, worker platforms, BuildKit version."""
        return self.client().engine

    def client(self, platforms: Sequence[str] = ()) -> BuildkitClient:
        """The connected client, connecting now if this is the first use (to a node declaring
        `platforms` first, with a named builder).

        Raises:
            EngineUnavailableError: no endpoint answered.
        """
        if self._closed:
            raise EngineError("the engine connection is closed")
        with self._opening:
            if self._client is None:
                self._client = self._options.open_client(platforms)
            return self._client

    @property
    def connection(self) -> Connection:
        """The low-level connection (for cache records, history and pruning)."""
        return self.client().connection

    def run(
        self,
        request: BuildRequest,
        compile: Callable[[GatewayContext], CompiledBuildLike],
        on_event: EventCallback | None = None,
        platforms: Sequence[str] = (),
    ) -> EngineBuildResult:
        """Run one low-level build: `compile` turns the session's gateway into the graph to solve.

        Safe to call from several threads at once; the caller's cancel scope cancels it.
        """
        client = self.client(platforms)
        scope = current_scope()
        if scope is not None and request.cancel is None:
            request = replace(request, cancel=scope)
        return client.build(request, compile=compile, on_event=self._events(on_event))

    def evaluate(self, work: Callable[[GatewayContext], T]) -> T:
        """Run `work` on a gateway session of the engine without building (compile, check)."""
        return self.client().compile(work, registry_auth=DockerConfig.load(self._options.env))

    def build(
        self,
        source: Source,
        options: BuildOptions | None = None,
        output: OutputOptions | None = None,
        /,
        *,
        on_event: EventCallback | None = None,
        **keywords: Any,
    ) -> BuildResult:
        """Build a Dockerfile context (see `buildwright.build`) or a pipeline Container (see
        `Container.build`) and wait for it."""
        if "engine" in keywords:
            raise BuildConfigError("engine= cannot be given to Engine.build: the build runs on this engine")
        if isinstance(source, Buildable):
            return source.build_with(self, on_event=on_event, **keywords)
        build_options, output_options = split_keywords(keywords, options, output)
        return run_dockerfile_build(self, source, build_options, output_options, on_event)

    def compile(self, context: Context, options: BuildOptions | None = None, /, **keywords: Any) -> CompiledBuild:
        """Compile the Dockerfile of `context` to LLB, resolving base images here; nothing is built."""
        build_options, _ = split_keywords(keywords, options)
        inputs = read_inputs(context, build_options)

        def run(gateway: GatewayContext) -> CompiledBuild:
            # A remote context is fetched on the engine first, as a build fetches it.
            fetched = inputs.fetched(gateway)
            return compile_dockerfile(fetched.dockerfile, fetched.frontend_options(gateway), gateway.resolver)

        return self.evaluate(run)

    def outline(self, context: Context, options: BuildOptions | None = None, /, **keywords: Any) -> Outline:
        """What `--call=outline` lists for the target, from the stages dispatched here; nothing is built."""
        from buildwright.frontend.outline import outline_of

        build_options, _ = split_keywords(keywords, options)
        inputs = read_inputs(context, build_options)

        def run(gateway: GatewayContext) -> Outline:
            fetched = inputs.fetched(gateway)
            frontend = fetched.frontend_options(gateway)
            dispatched = dispatch_dockerfile(fetched.dockerfile, frontend, gateway.resolver)
            source = "\n".join(fetched.dockerfile.lines).encode("utf-8", "surrogateescape")
            return outline_of(fetched.dockerfile, dispatched, frontend, source)

        return self.evaluate(run)

    def check(self, job: CheckJob) -> CheckResult:
        """Run the build checks of `job` with its base images resolved here."""
        return self.evaluate(job.on_gateway)

    def disk_usage(self, filters: Iterable[str] = ()) -> tuple[UsageRecord, ...]:
        """The engine's build cache records (`docker buildx du`); a bad filter fails before the
        engine is contacted."""
        from buildwright.client.diskusage import disk_usage, parse_filters

        cache_filter = parse_filters(filters)
        return disk_usage(self.connection, cache_filter)

    def described_records(self, descriptions: Iterable[str]) -> tuple[UsageRecord, ...]:
        """The engine's build cache records of these descriptions (exactly), in one request."""
        from buildwright.client.diskusage import described_records

        return described_records(self.connection, descriptions)

    def prune(
        self, options: PruneOptions, on_record: Callable[[UsageRecord], None] | None = None
    ) -> tuple[UsageRecord, ...]:
        """Remove build cache (`docker buildx prune`); returns the removed records."""
        from buildwright.client.diskusage import prune

        return prune(self.connection, options, on_record)

    def submit(self, source: Source, /, **options: Any) -> Future[BuildResult]:
        """Start a build on a worker thread; the Future holds its BuildResult or its error."""
        return self.run_in_pool(lambda: self.build(source, **options))

    def run_in_pool(self, work: Callable[[], T]) -> Future[T]:
        """Run `work` on one of this engine's build threads (what the async API uses)."""
        if self._closed:
            raise EngineError("the engine connection is closed")
        with self._opening:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._max_parallel, thread_name_prefix="buildwright-build")
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
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel_pending)
        self._closed = True
        if self._client is not None:
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
    return Engine(options, client=options.open_client(), max_parallel=max_parallel, on_event=on_event)


@contextlib.contextmanager
def engine_for(engine: EngineOptions | Engine | None) -> Iterator[Engine]:
    """The given open engine, or one opened for the length of the block (connecting on first use)."""
    if isinstance(engine, Engine):
        yield engine
        return
    with Engine(engine, max_parallel=1) as opened:
        yield opened
