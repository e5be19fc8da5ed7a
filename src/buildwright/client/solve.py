"""One build as a client-side gateway frontend.

1. open the session (context upload, health, auth, secrets);
2. start `Control.Solve` with a fresh ref, the session id and the exporters - no definition, no
   frontend: the engine waits for a frontend to drive it - and `Control.Status` for the same ref;
3. through the gateway: Ping (caps, platforms), let the caller compile (it may resolve base images),
   Solve the definition, then Return the result with the image config;
4. the outer Solve finishes, exports and answers with the exporter response.

A failed step raises BuildFailed; KeyboardInterrupt (or any error) cancels the server-side build.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, TypeVar

import grpc

from buildwright._log import get_logger
from buildwright._pb import control_pb2, gateway_pb2, ops_pb2
from buildwright._values import valueclass
from buildwright.client.attestations import Attestations, unsupported_message
from buildwright.client.boundary import rpc_code, rpc_details
from buildwright.client.cache import CacheEntry, prepare_cache, stores_attestations
from buildwright.client.cancel import CancelScope
from buildwright.client.connection import Connection
from buildwright.client.events import BuildEvent, LogChunk, StatusConverter, VertexFailed
from buildwright.client.exporters import ExportSpec, apply_exports, no_output_warning, resolve_exports
from buildwright.client.gateway import Gateway, GatewayCaps, GatewayError, GatewayWarning
from buildwright.client.outputs import OutputTargets
from buildwright.client.session.attachable import Attachable
from buildwright.client.session.auth import AuthAttachable, CredentialSource
from buildwright.client.session.filesend import FileSendAttachable
from buildwright.client.session.filesync import FileSyncAttachable, TransferObserver
from buildwright.client.session.fswalk import MatcherFactory
from buildwright.client.session.health import HealthAttachable
from buildwright.client.session.patterns import default_matcher_factory
from buildwright.client.session.session import Session, new_session_id
from buildwright.client.steps import StepRecorder, StepResult
from buildwright.errors import (
    BuildCancelled,
    BuildConfigError,
    BuildFailed,
    BuildwrightError,
    EngineError,
    EngineLostError,
)
from buildwright.frontend.platforms import MultiPlatformBuild
from buildwright.frontend.resolver import ImageResolver
from buildwright.llb.platform import Platform

if TYPE_CHECKING:
    from buildwright.client.session.contentstore import LocalContentStore
    from buildwright.client.session.secrets import SecretValue
    from buildwright.client.session.ssh import AgentSource

_log = get_logger(__name__)

_LOG_TAIL = 20
_IMAGE_CONFIG_KEY = "containerimage.config"
# The base image's config: the exporter keeps the base history untouched (SOURCE_DATE_EPOCH).
_BASE_CONFIG_KEY = "containerimage.base.config"
_PLATFORMS_KEY = "refs.platforms"
_EXIT_CODE = re.compile(r"exit code: (\d+)")
# grpc's message for a message over the size limit, e.g. "(22482550 vs. 16777216)".
_TOO_LARGE = re.compile(r"larger than max \((\d+) vs\. (\d+)\)")
_MISSING_EXPORTER = re.compile(r'exporter "([^"]+)" could not be found')


@valueclass
class BuildRequest:
    """Everything a build needs besides the compiled graph.

    Attributes:
        local_dirs: directories shared with the engine by name (`context`, ...).
        exports: outputs; empty means a cache-only build.
        frontend_attrs: passed as SolveRequest.FrontendAttrs (shown in build history).
        secrets: secret values by id, served to `RUN --mount=type=secret`.
        shared_key: lets the engine reuse uploaded context between builds of the same directory.
        matcher_factory: builds pattern matchers for include/exclude patterns of local sources.
        entitlements: e.g. `network.host`, `security.insecure`.
        ssh_agents: agent sockets or in-memory key agents by id, served to `RUN --mount=type=ssh`.
        registry_auth: registry credentials for pulls and pushes (None: anonymous).
        cache_exports, cache_imports: `--cache-to` / `--cache-from` entries (client/cache.py).
    """

    local_dirs: Mapping[str, Path] = field(default_factory=dict)
    exports: tuple[ExportSpec, ...] = ()
    frontend_attrs: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, SecretValue] = field(default_factory=dict)
    shared_key: str = ""
    matcher_factory: MatcherFactory = default_matcher_factory
    entitlements: tuple[str, ...] = ()
    ssh_agents: Mapping[str, AgentSource] = field(default_factory=dict)
    registry_auth: CredentialSource | None = None
    cache_exports: tuple[CacheEntry, ...] = ()
    cache_imports: tuple[CacheEntry, ...] = ()
    # Where outputs with dest `-` (tar on stdout) are written.
    output_stream: BinaryIO | None = None
    # The build's id in the engine (its history record); "" picks a fresh one.
    ref: str = ""
    # Lets another thread stop the build (the engine cancels it; the call raises BuildCancelled).
    cancel: CancelScope | None = None
    # `--attest`/`--provenance`/`--sbom`; with `default_provenance`, buildx's minimal provenance is
    # added when the engine can store it and no provenance option was given.
    attestations: Attestations = field(default_factory=Attestations)
    default_provenance: bool = False
    # Told what the session sends of each local directory (the build record keeps it).
    file_observer: TransferObserver | None = None
    # Streams the engine pulls by id (`http://buildkit-session/<id>`): a context read from stdin.
    uploads: Mapping[str, BinaryIO] = field(default_factory=dict)
    # OCI layout directories read as content stores by id (`oci:<id>`): `oci-layout://` contexts.
    content_stores: Mapping[str, Path] = field(default_factory=dict)


def shared_key_for(context_dir: Path, node_id: str) -> str:
    """The session shared key buildx uses: the context directory's base name and a stable
    per-client id, so the engine can reuse what it received from this directory before."""
    # buildx takes the base name of the absolute path without resolving symlinks.
    name = os.path.basename(os.path.abspath(context_dir))
    return f"{name}:{node_id}" if node_id else name


class DefinitionLike(Protocol):
    """An LLB definition that marshals to pb.Definition (buildwright.llb.Definition)."""

    def to_pb(self) -> ops_pb2.Definition: ...


class SingleBuildLike(Protocol):
    """One image's graph and the image config JSON to attach to the result."""

    @property
    def definition(self) -> DefinitionLike | ops_pb2.Definition: ...

    @property
    def image_config(self) -> bytes: ...


# What `compile` returns: one image, or one per platform (a result map the exporter makes an index of).
CompiledBuildLike = SingleBuildLike | MultiPlatformBuild


@valueclass
class GatewayContext:
    """What the compile callback may use: the engine's resolver, session and capabilities."""

    resolver: ImageResolver
    session_id: str
    llb_caps: frozenset[str]
    frontend_caps: frozenset[str]
    worker_platforms: tuple[Platform, ...]
    # Sends a warning to the build's status stream (None where the caller has no build to warn on).
    warn: Callable[[GatewayWarning], None] | None = None
    # Each worker's labels (dockerd's carry the host-gateway IP that `--add-host x:host-gateway` needs).
    worker_labels: tuple[Mapping[str, str], ...] = ()
    # dockerd's BuildKit: base images in its image store are preferred to the registry's (buildx's rule).
    engine_is_dockerd: bool = False
    # Solves a definition on the engine and gives read access to its result's files (a remote
    # build context, read for its Dockerfile before the build is compiled).
    solve_source: Callable[[ops_pb2.Definition], SolvedFiles] | None = None


class SolvedFiles(Protocol):
    """The files of a solved result, read through the gateway."""

    def read(self, path: str, length: int = 0) -> bytes:
        """The first `length` bytes of `path` (all of it when 0); raises GatewayError when unreadable."""
        ...


@valueclass
class _GatewayFiles:
    gateway: Gateway
    result: Any

    def read(self, path: str, length: int = 0) -> bytes:
        return self.gateway.read_file(self.result, path, length)


def _solver(gateway: Gateway) -> Callable[[ops_pb2.Definition], SolvedFiles]:
    def solve(definition: ops_pb2.Definition) -> SolvedFiles:
        return _GatewayFiles(gateway, gateway.solve(definition, evaluate=True))

    return solve


@valueclass
class BuildResult:
    """What the engine answered after exporting."""

    ref: str
    exporter_response: Mapping[str, str]
    # Every step the engine reported, in the order it first showed them.
    steps: tuple[StepResult, ...] = ()
    # What the user must know about the result beyond the steps (e.g. where the image went).
    warnings: tuple[str, ...] = ()

    @property
    def image_digest(self) -> str | None:
        """The exported image's digest (manifest digest, or the config digest on moby)."""
        resp = self.exporter_response
        return resp.get("containerimage.digest") or resp.get("containerimage.config.digest")


EventCallback = Callable[[BuildEvent], None]
T = TypeVar("T")


class _StatusWatcher:
    """Reads Control.Status on a thread, converts it, feeds `on_event`, and remembers failures."""

    def __init__(self, conn: Connection, ref: str, on_event: EventCallback | None) -> None:
        self._conn = conn
        self._ref = ref
        self._on_event = on_event
        self._converter = StatusConverter()
        self._logs: dict[str, deque[str]] = {}
        self._partial: dict[str, str] = {}
        self.failures: list[VertexFailed] = []
        # Per build, so concurrent builds on one connection keep their own steps.
        self.steps = StepRecorder()
        self._call: Any = None
        self._thread = threading.Thread(target=self._run, name="buildwright-status", daemon=True)

    def start(self) -> None:
        self._call = self._conn.control.Status(control_pb2.StatusRequest(Ref=self._ref))
        self._thread.start()

    def _run(self) -> None:
        try:
            for response in self._call:
                for event in self._converter.convert(response):
                    self._record(event)
                    if self._on_event is not None:
                        try:
                            self._on_event(event)
                        except Exception as exc:  # a broken renderer must not break the build
                            _log.warning("event_callback_failed", error=str(exc))
        except grpc.RpcError as exc:
            if rpc_code(exc) is not grpc.StatusCode.CANCELLED:
                _log.debug("status_stream_ended", error=rpc_details(exc))

    def _record(self, event: BuildEvent) -> None:
        self.steps.feed(event)
        if isinstance(event, LogChunk):
            text = self._partial.pop(event.vertex, "") + event.data.decode("utf-8", "replace")
            *lines, rest = text.split("\n")
            if rest:
                self._partial[event.vertex] = rest
            self._logs.setdefault(event.vertex, deque(maxlen=_LOG_TAIL)).extend(lines)
        elif isinstance(event, VertexFailed):
            self.failures.append(event)

    def log_tail(self, digest: str) -> tuple[str, ...]:
        lines = list(self._logs.get(digest, ()))
        if digest in self._partial:
            lines.append(self._partial[digest])
        return tuple(lines[-_LOG_TAIL:])

    def name_of(self, digest: str) -> str:
        return self._converter.names.get(digest, digest)

    def wait(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)

    def cancel(self) -> None:
        if self._call is not None:
            self._call.cancel()
        self._thread.join(2.0)


def _build_failed(message: str, watcher: _StatusWatcher) -> BuildFailed:
    # The step that failed for its own reason, not one cancelled because a sibling failed.
    failure = next((f for f in watcher.failures if "context canceled" not in f.error), None)
    if failure is None and watcher.failures:
        failure = watcher.failures[0]
    vertex = failure.name if failure else None
    error_text = failure.error if failure else message
    match = _EXIT_CODE.search(error_text) or _EXIT_CODE.search(message)
    tail = watcher.log_tail(failure.digest) if failure else ()
    text = f"{vertex}: {error_text}" if vertex else error_text
    return BuildFailed(
        text,
        vertex=vertex,
        vertex_digest=failure.digest if failure else None,
        exit_code=int(match.group(1)) if match else None,
        log_tail=tail,
    )


def _layout_stores(layouts: Mapping[str, Path]) -> dict[str, LocalContentStore]:
    """The OCI layout directories the build reads, as content stores by id."""
    if not layouts:
        return {}
    from buildwright.client.session.contentstore import LocalContentStore

    return {key: LocalContentStore(path) for key, path in layouts.items()}


def _attachables(request: BuildRequest) -> list[Attachable]:
    items: list[Attachable] = [HealthAttachable(), AuthAttachable(request.registry_auth)]
    if request.local_dirs:
        items.append(FileSyncAttachable(request.local_dirs, request.matcher_factory, request.file_observer))
    # The services a build may not need are imported by the builds that do.
    if request.secrets:
        from buildwright.client.session.secrets import SecretsAttachable

        items.append(SecretsAttachable(request.secrets))
    if request.ssh_agents:
        from buildwright.client.session.ssh import SSHAgentAttachable

        items.append(SSHAgentAttachable(request.ssh_agents))
    if request.uploads:
        from buildwright.client.session.upload import UploadAttachable

        items.append(UploadAttachable(request.uploads))
    return items


def _definition_pb(compiled: SingleBuildLike) -> ops_pb2.Definition:
    definition: Any = compiled.definition
    if isinstance(definition, ops_pb2.Definition):
        return definition
    pb = definition.to_pb()
    if not isinstance(pb, ops_pb2.Definition):
        raise EngineError("compiled definition did not produce a pb.Definition")
    return pb


def run_build(
    conn: Connection,
    request: BuildRequest,
    compile: Callable[[GatewayContext], CompiledBuildLike],
    on_event: EventCallback | None = None,
) -> BuildResult:
    """Run one build on an open connection (see the module docstring for the flow)."""
    ref = request.ref or new_session_id()
    exports = resolve_exports(request.exports, conn.info)
    warning = no_output_warning(request.exports, conn.info)
    # Files and directories the engine exports come back through the session; they are written
    # beside their destinations and moved into place only once the build has succeeded.
    targets = OutputTargets(exports, request.output_stream)
    cache = prepare_cache(conn, request.cache_exports, request.cache_imports)
    attest_attrs = _attestation_attrs(conn, request)
    attachables = _attachables(request)
    # One content service serves the cache directories and an OCI layout output (store "export").
    stores = {**_layout_stores(request.content_stores), **cache.stores, **targets.content_stores}
    if stores:
        # Imported by the builds that read or write a content store (OCI layouts, local cache).
        from buildwright.client.session.content import ContentStoreAttachable

        attachables.append(ContentStoreAttachable(stores))
    if not targets.empty:
        attachables.append(FileSendAttachable(targets.dir_openers, targets.file_openers))
    with targets, Session(conn.transport, attachables, shared_key=request.shared_key) as session:
        solve_request = control_pb2.SolveRequest(
            Ref=ref,
            Session=session.id,
            FrontendAttrs={**request.frontend_attrs, **cache.frontend_attrs(), **attest_attrs},
            Entitlements=request.entitlements,
        )
        apply_exports(solve_request, exports)
        cache.apply(solve_request)
        watcher = _StatusWatcher(conn, ref, on_event)
        solve_future = conn.control.Solve.future(solve_request)
        finished = False
        scope = request.cancel or CancelScope()

        def stop() -> None:
            solve_future.cancel()
            watcher.cancel()

        unregister = scope.on_cancel(stop)
        try:
            watcher.start()
            gateway = Gateway(conn, ref, session.id, cache_imports=cache.gateway_imports())
            try:
                _drive(gateway, session, compile, watcher, is_dockerd=conn.info.is_dockerd)
            except EngineLostError:
                raise
            except EngineError as exc:
                refusal = _refusal(exc, solve_future)
                if refusal is None:
                    raise
                raise BuildConfigError(f"the engine refused the build: {refusal}") from exc
            try:
                response = solve_future.result()
            except grpc.RpcError as exc:
                if rpc_code(exc) is grpc.StatusCode.UNAVAILABLE:
                    raise EngineLostError(str(conn.endpoint), rpc_details(exc)) from exc
                watcher.wait(5.0)
                missing = _MISSING_EXPORTER.search(rpc_details(exc))
                if missing is not None:
                    hint = " (dockerd without the containerd image store has only local, tar and moby)"
                    raise BuildConfigError(
                        f"this engine has no {missing.group(1)} exporter" + (hint if conn.info.is_dockerd else "")
                    ) from exc
                raise _build_failed(rpc_details(exc), watcher) from exc
            watcher.wait(10.0)
            targets.commit(response.ExporterResponse)
            cache.finish(response.ExporterResponse)
            finished = True
            _log.debug("build_finished", ref=ref, exports=[e.type for e in exports])
            warnings = (warning,) if warning else ()
            return BuildResult(ref, dict(response.ExporterResponse), watcher.steps.steps(), warnings)
        except BuildwrightError as exc:
            if scope.cancelled:
                raise BuildCancelled(f"build {ref} was cancelled") from exc
            raise
        except grpc.FutureCancelledError as exc:
            raise BuildCancelled(f"build {ref} was cancelled") from exc
        finally:
            unregister()
            if not finished:
                # Cancelling the outer Solve cancels the build on the engine (also on Ctrl-C).
                solve_future.cancel()
                watcher.cancel()


def _attestation_attrs(conn: Connection, request: BuildRequest) -> dict[str, str]:
    wanted = request.attestations.requested()
    if not wanted and not request.default_provenance:
        return {}
    supported = stores_attestations(conn)
    if wanted and not supported:
        raise BuildConfigError(unsupported_message())
    return request.attestations.frontend_attrs(default_provenance=request.default_provenance and supported)


def _refusal(error: EngineError, solve_future: Any) -> str | None:
    """Why the engine ended the build before its frontend could reach it, if that is what happened.

    The engine validates a request (exporters, cache backends, entitlements) when the solve
    starts; a refusal removes the build, so the frontend's first gateway call finds no such job
    (control/gateway's forwarder). The solve's own error then says what was wrong.
    """
    if "no such job" not in error.message:
        return None
    try:
        solve_future.result(timeout=5.0)
    except grpc.RpcError as exc:
        return rpc_details(exc)
    except (grpc.FutureTimeoutError, grpc.FutureCancelledError):
        return None
    return None


def _drive(
    gateway: Gateway,
    session: Session,
    compile: Callable[[GatewayContext], CompiledBuildLike],
    watcher: _StatusWatcher,
    *,
    is_dockerd: bool = False,
) -> None:
    """Ping, compile, solve and return the result; on any failure end the build with an error."""
    try:
        caps: GatewayCaps = gateway.ping()
        context = GatewayContext(
            resolver=gateway,
            session_id=session.id,
            llb_caps=caps.llb_caps,
            frontend_caps=caps.frontend_caps,
            worker_platforms=caps.worker_platforms,
            warn=gateway.warn,
            worker_labels=caps.worker_labels,
            engine_is_dockerd=is_dockerd,
            solve_source=_solver(gateway),
        )
        compiled = compile(context)
        if isinstance(compiled, MultiPlatformBuild):
            definitions = [_definition_pb(build.compiled) for build in compiled.builds]
            size = sum(d.ByteSize() for d in definitions)
            results = _solved(gateway, session, watcher, lambda: gateway.solve_all(definitions), size)
            refs = {build.id: result for build, result in zip(compiled.builds, results, strict=True)}
            gateway.return_refs(refs, platform_result_metadata(compiled))
            return
        definition = _definition_pb(compiled)
        result = _solved(gateway, session, watcher, lambda: gateway.solve(definition), definition.ByteSize())
        metadata = {_IMAGE_CONFIG_KEY: bytes(compiled.image_config)}
        # Builds made without a Dockerfile (pipelines) may have no base image config.
        base_config = getattr(compiled, "base_image_config", None)
        if base_config:
            metadata[_BASE_CONFIG_KEY] = bytes(base_config)
        gateway.return_result(result, metadata)
    except BuildFailed:
        raise
    except BuildwrightError as exc:
        gateway.return_error(exc.message)
        raise
    except Exception as exc:
        gateway.return_error(f"frontend failed: {exc}")
        raise


def _solved(
    gateway: Gateway, session: Session, watcher: _StatusWatcher, solve: Callable[[], T], definition_size: int
) -> T:
    """Run the gateway solve; a failure ends the build with its error and raises BuildFailed."""
    try:
        return solve()
    except GatewayError as exc:
        if exc.code == grpc.StatusCode.UNAVAILABLE.name:
            # The transport broke: there is no build left to end, and no step failed.
            raise EngineLostError(str(gateway.endpoint), exc.details or exc.message) from exc
        gateway.return_error(exc.details or exc.message)
        too_large = _TOO_LARGE.search(exc.details)
        if exc.code == grpc.StatusCode.RESOURCE_EXHAUSTED.name and too_large is not None:
            raise _definition_too_large(exc.details, int(too_large.group(2)), definition_size) from exc
        watcher.wait(5.0)
        if session.error is not None:
            raise EngineError(f"session tunnel failed: {session.error}") from exc
        raise _build_failed(exc.details or exc.message, watcher) from exc


def _definition_too_large(details: str, limit: int, size: int) -> EngineError:
    # grpc says "Sent message larger than max" when the client refuses to send, "received message
    # larger than max" when the engine refuses what it got.
    whose = "buildwright's" if details.lower().startswith("sent message") else "the engine's"
    return EngineError(
        f"the build definition is {_mib(size)}, more than {whose} gRPC message size limit of {_mib(limit)}"
        " (BuildKit engines accept 16 MiB, moby/buildkit#6097): split the Dockerfile into smaller builds or"
        f" shorten its steps ({details})"
    )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def platform_result_metadata(build: MultiPlatformBuild) -> dict[str, bytes]:
    """The exporter metadata of a platform map: each image config under `containerimage.config/<id>`
    and the platform list under `refs.platforms` (exporter/containerimage/exptypes)."""
    metadata = {f"{_IMAGE_CONFIG_KEY}/{part.id}": bytes(part.compiled.image_config) for part in build.builds}
    for part in build.builds:
        if part.compiled.base_image_config:
            metadata[f"{_BASE_CONFIG_KEY}/{part.id}"] = bytes(part.compiled.base_image_config)
    entries = []
    for part in build.builds:
        platform = part.platform.normalized()
        spec = {"architecture": platform.architecture, "os": platform.os}
        if platform.os_version:
            spec["os.version"] = platform.os_version
        if platform.variant:
            spec["variant"] = platform.variant
        entries.append({"ID": part.id, "Platform": spec})
    metadata[_PLATFORMS_KEY] = json.dumps({"Platforms": entries}, separators=(",", ":")).encode()
    return metadata


def run_compile(
    conn: Connection,
    compile: Callable[[GatewayContext], T],
    on_event: EventCallback | None = None,
    registry_auth: CredentialSource | None = None,
) -> T:
    """Open a gateway session only to run `compile` (it may resolve base images); build nothing.

    The engine-side build is ended with an empty result, so nothing is solved or exported.
    """
    ref = new_session_id()
    with Session(conn.transport, _attachables(BuildRequest(registry_auth=registry_auth))) as session:
        watcher = _StatusWatcher(conn, ref, on_event)
        solve_future = conn.control.Solve.future(control_pb2.SolveRequest(Ref=ref, Session=session.id))
        finished = False
        try:
            watcher.start()
            gateway = Gateway(conn, ref, session.id)
            try:
                caps = gateway.ping()
                value = compile(
                    GatewayContext(
                        resolver=gateway,
                        session_id=session.id,
                        llb_caps=caps.llb_caps,
                        frontend_caps=caps.frontend_caps,
                        worker_platforms=caps.worker_platforms,
                        engine_is_dockerd=conn.info.is_dockerd,
                        solve_source=_solver(gateway),
                    )
                )
            except Exception as exc:
                gateway.return_error(exc.message if isinstance(exc, BuildwrightError) else f"frontend failed: {exc}")
                raise
            gateway.return_result(gateway_pb2.Result(), {})
            try:
                solve_future.result()
            except grpc.RpcError as exc:
                raise EngineError(f"ending the compile-only session failed: {rpc_details(exc)}") from exc
            watcher.wait(10.0)
            finished = True
            return value
        finally:
            if not finished:
                solve_future.cancel()
                watcher.cancel()
