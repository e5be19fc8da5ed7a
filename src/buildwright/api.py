"""The public Python API: build a Dockerfile on a BuildKit engine, or compile it to LLB.

    import buildwright

    result = buildwright.build("examples/multistage", tags=["hello:latest"])
    print(result.image_id)

Inputs are checked before the engine is contacted: a missing context or Dockerfile, a Dockerfile
that does not parse, or a bad .dockerignore fail fast with an error naming the file.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Protocol

from buildwright import llb
from buildwright._log import get_logger
from buildwright.client import (
    BuildkitClient,
    BuildRequest,
    CompiledBuildLike,
    ExportSpec,
    GatewayContext,
    GatewayWarning,
    StepResult,
    TLSConfig,
    node_id,
    shared_key_for,
)
from buildwright.client import BuildResult as EngineBuildResult
from buildwright.client.annotations import annotation_attrs
from buildwright.client.attestations import default_provenance_wanted, parse_attestations
from buildwright.client.builders import engine_endpoints
from buildwright.client.cache import inline_cache_from_build_args, parse_cache_specs
from buildwright.client.diskusage import PruneOptions, UsageRecord, parse_filters
from buildwright.client.diskusage import disk_usage as _disk_usage
from buildwright.client.diskusage import prune as _prune
from buildwright.client.dockerconfig import DockerConfig
from buildwright.client.endpoint import Endpoint
from buildwright.client.events import BuildEvent
from buildwright.client.internal_steps import local_load_steps
from buildwright.client.localrefs import LocalBuild, new_build_ref, record_build
from buildwright.client.outputs import (
    STDOUT,
    OutputSpec,
    image_id,
    metadata_document,
    parse_output,
    plan_exports,
    write_file_atomic,
)
from buildwright.client.remote_context import (
    UPLOAD_URL_PREFIX,
    RemoteContext,
    is_remote_url,
    load_context,
    remote_context,
    report_fetch_once,
    upload_context,
)
from buildwright.client.session.secrets import SecretSource, load_secrets, parse_secret_spec
from buildwright.client.session.session import new_session_id
from buildwright.client.session.ssh import SSHAgentSpec, parse_ssh_spec, resolve_agents
from buildwright.dockerfile import Dockerfile, parse_dockerfile, read_ignore_patterns
from buildwright.errors import BuildConfigError, BuildFailed, BuildwrightError, DockerfileError, UsageError
from buildwright.frontend import CompiledBuild, FrontendOptions, StagePlan, compile_dockerfile
from buildwright.frontend.args import source_date_epoch
from buildwright.frontend.contexts import DOCKER_IMAGE_PREFIX, LOCAL_PREFIX, NamedContext, context_name
from buildwright.frontend.convert import dispatch_dockerfile
from buildwright.frontend.graph import BuildGraph, build_graph
from buildwright.frontend.lint import (
    PHASE_CONFIG,
    CachingResolver,
    Finding,
    LintOptions,
    LintResult,
    check_dockerfile,
    render_error,
    render_findings,
    run_lint,
)
from buildwright.frontend.lint.report_json import findings_json
from buildwright.frontend.outline import Outline, OutlineArg, OutlineMount, outline_of
from buildwright.frontend.platforms import (
    MultiPlatformBuild,
    compile_platforms,
    multi_platform_requested,
    parse_platforms,
)
from buildwright.frontend.run_options import (
    RunDefaults,
    resolve_host_gateway,
    run_defaults_from_flags,
)
from buildwright.frontend.targets import Target, list_targets, targets_json, targets_text
from buildwright.llb import CUSTOM_NAME_KEY, NetMode
from buildwright.llb.platform import Platform
from buildwright.location import SourceRange

EventCallback = Callable[[BuildEvent], None]
# What `allow=` may grant; `network.host` is what `RUN --network=host` needs.
ENTITLEMENTS = ("network.host", "security.insecure")

__all__ = [
    "BuildGraph",
    "BuildResult",
    "BuildRunner",
    "CheckResult",
    "EngineOptions",
    "Outline",
    "OutlineArg",
    "OutlineMount",
    "OutputSpec",
    "SSHAgentSpec",
    "SecretSource",
    "StepResult",
    "build",
    "check",
    "compile",
    "disk_usage",
    "graph",
    "outline",
    "parse_build_args",
    "parse_key_values",
    "prune",
    "render_graph",
]

_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Where the engine is: `addr` (buildkitd) or, when None, DOCKER_HOST's dockerd."""

    addr: str | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    env: Mapping[str, str] | None = None
    tls_server_name: str | None = None
    # A named builder (`--builder`); BUILDWRIGHT_BUILDER or `builder use` apply when None.
    builder: str | None = None

    def tls(self) -> TLSConfig | None:
        if not (self.tls_ca or self.tls_cert or self.tls_key or self.tls_server_name):
            return None
        return TLSConfig(ca_cert=self.tls_ca, cert=self.tls_cert, key=self.tls_key, server_name=self.tls_server_name)

    def endpoints(self, platforms: Sequence[str] = ()) -> tuple[Endpoint, ...]:
        """The endpoints to try, in order: `--addr`, else a named builder (its nodes declaring
        `platforms` first), else the environment."""
        return engine_endpoints(self.addr, self.tls(), self.builder, self.env, platforms)


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced.

    Attributes:
        image_id: the image's digest (the config digest on dockerd), when an image was exported.
        metadata: the exporter's response (`containerimage.digest`, `image.name`, ...).
        stages: the Dockerfile stages built (None for a pipeline build).
        steps: every step the engine reported, with timings and whether it came from cache.
        duration: seconds from connecting the session to the end of the export.
        warnings: what the user must know about the result, e.g. that a buildkitd kept it in its
            cache only (no output was named and it has no image store).
    """

    image_id: str | None
    metadata: Mapping[str, str]
    stages: StagePlan | None = None
    steps: tuple[StepResult, ...] = ()
    duration: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def cached_steps(self) -> tuple[StepResult, ...]:
        """The steps whose results came from the engine's cache."""
        return tuple(step for step in self.steps if step.cached)


class BuildRunner(Protocol):
    """An open engine connection that runs builds (what `buildwright.connect()` returns)."""

    @property
    def options(self) -> EngineOptions: ...

    def run_build(
        self,
        request: BuildRequest,
        compile: Callable[[GatewayContext], CompiledBuildLike],
        on_event: EventCallback | None,
    ) -> EngineBuildResult:
        """Run one build on the open connection; safe to call from several threads at once."""
        ...


def run_build_on(
    engine: EngineOptions | BuildRunner | None,
    request: BuildRequest,
    compile: Callable[[GatewayContext], CompiledBuildLike],
    on_event: EventCallback | None,
    platforms: Sequence[str] = (),
) -> tuple[EngineBuildResult, float]:
    """Run a build on an open engine, or on a connection made for it; returns the result and seconds taken."""
    started = time.monotonic()
    if engine is None or isinstance(engine, EngineOptions):
        options = engine or EngineOptions()
        with BuildkitClient.connect(options.endpoints(platforms)) as client:
            result = client.build(request, compile=compile, on_event=on_event)
    else:
        result = engine.run_build(request, compile, on_event)
    return result, time.monotonic() - started


def engine_options(engine: EngineOptions | BuildRunner | None) -> EngineOptions:
    """The options an engine argument stands for (an open engine keeps the ones it was opened with)."""
    if engine is None:
        return EngineOptions()
    return engine if isinstance(engine, EngineOptions) else engine.options


@dataclass(frozen=True, slots=True)
class _Inputs:
    """A build's local inputs, read and checked before the engine is contacted."""

    context: Path
    dockerfile: Dockerfile
    ignore_patterns: tuple[str, ...]
    target: str | None
    build_args: Mapping[str, str]
    no_cache: bool
    platform: Platform | None
    labels: Mapping[str, str] = field(default_factory=dict)
    # Every --platform asked (`platform` is the first), and whether the result is a platform map.
    platforms: tuple[Platform, ...] = ()
    multi_platform: bool = False
    no_cache_stages: tuple[str, ...] = ()
    named_contexts: Mapping[str, NamedContext] = field(default_factory=dict)
    named_dirs: Mapping[str, Path] = field(default_factory=dict)  # local named contexts by session dir name
    pull: bool = False  # resolve every base image from its registry, never from the engine's store
    # --network, --add-host, ... as given (host-gateway is resolved once the engine is known).
    run_defaults: RunDefaults = field(default_factory=RunDefaults)
    # A context the engine fetches (git, http); `remote_dockerfile` is the Dockerfile's path in it,
    # None when the Dockerfile was given locally. `context_state` is set once it is fetched.
    remote: RemoteContext | None = None
    remote_dockerfile: str | None = None
    context_state: llb.State | None = None

    def frontend_options(self, gateway: GatewayContext) -> FrontendOptions:
        hosts = resolve_host_gateway(self.run_defaults.extra_hosts, gateway.worker_labels)
        return FrontendOptions(
            target=self.target,
            build_args=self.build_args,
            labels=self.labels,
            target_platform=self.platform,
            build_platforms=gateway.worker_platforms or (Platform("linux", "amd64"),),
            session_id=gateway.session_id,
            ignore_patterns=self.ignore_patterns,
            no_cache=self.no_cache,
            llb_caps=gateway.llb_caps or None,
            named_contexts=self.named_contexts,
            no_cache_stages=self.no_cache_stages,
            image_resolve_mode=_resolve_mode(self.pull, gateway),
            run_defaults=replace(self.run_defaults, extra_hosts=hosts),
            context_state=self.context_state,
        )

    def fetched(self, gateway: GatewayContext) -> _Inputs:
        """With a remote context: these inputs once the engine fetched it (its Dockerfile read)."""
        if self.remote is None:
            return self
        platform = self.platform or (gateway.worker_platforms or (Platform("linux", "amd64"),))[0]
        loaded = load_context(self.remote, gateway, filename=self.remote_dockerfile, platform=platform)
        dockerfile = self.dockerfile
        if self.remote_dockerfile is not None:
            _check_dockerfile_size(Path(loaded.filename), len(loaded.dockerfile))
            if not loaded.dockerfile.strip():
                raise DockerfileError(f"the Dockerfile cannot be empty: {loaded.filename}")
            dockerfile = parse_dockerfile(loaded.dockerfile, loaded.filename)
        return replace(self, dockerfile=dockerfile, context_state=loaded.state)


def _resolve_mode(pull: bool, gateway: GatewayContext) -> str:
    # buildx: `--pull` forces the registry; on the docker driver images in dockerd's store are
    # otherwise preferred (an image built or loaded there wins over the registry's copy).
    if pull:
        return "pull"
    return "local" if gateway.engine_is_dockerd else "default"


def build(
    context: str | Path | BinaryIO,
    *,
    dockerfile: str | Path | bytes | None = None,
    target: str | None = None,
    tags: Sequence[str] = (),
    build_args: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    no_cache: bool = False,
    platform: str | Sequence[str] | None = None,
    build_contexts: Mapping[str, str] | None = None,
    no_cache_filter: Sequence[str] = (),
    secrets: Iterable[str | SecretSource] = (),
    ssh: Iterable[str | SSHAgentSpec] = (),
    allow: Iterable[str] = (),
    network: str = "default",
    add_hosts: Iterable[str] = (),
    shm_size: int | str | None = None,
    ulimits: Iterable[str] = (),
    cgroup_parent: str | None = None,
    push: bool = False,
    pull: bool = False,
    outputs: Sequence[str | OutputSpec] = (),
    annotations: Sequence[str] = (),
    load: bool = False,
    iidfile: str | Path | None = None,
    metadata_file: str | Path | None = None,
    output_stream: BinaryIO | None = None,
    cache_from: Iterable[str] = (),
    cache_to: Iterable[str] = (),
    attest: Sequence[str] = (),
    provenance: str = "",
    sbom: str = "",
    engine: EngineOptions | BuildRunner | None = None,
    on_event: EventCallback | None = None,
) -> BuildResult:
    """Build `context` with its Dockerfile on the engine; with `tags`, the image is stored under them.

    `context` is a directory, or a context the engine fetches as buildx names them: a git URL
    (`https://host/repo.git#ref:subdir`, `git@host:repo.git`, `git://...`) or an http(s) URL of
    a tarball or of a lone Dockerfile; or a binary stream of a tar archive (`-` in buildx), sent
    through the session and closed once the engine read it. With a remote context, a relative
    `dockerfile` is a path inside it; an absolute path or the contents (bytes) are local.

    `outputs` are `OutputSpec`s or buildx `--output` specs: `PATH` (the result's files in a
    directory), `-` (a tar of them on stdout), `type=local|tar|oci|docker,dest=...`,
    `type=image|registry,...`, `type=cacheonly`. Files and directories are written beside their
    destination and moved into place only when the build succeeds. `load` adds a `docker` output
    loaded into the engine's image store (dockerd). `iidfile` receives the image id and
    `metadata_file` the exporter's response as JSON, as buildx writes them. `output_stream` is
    where `-` outputs go (default: stdout, never a terminal). `annotations` are buildx
    `--annotation` values (`KEY=VALUE`, `manifest[linux/arm64],index:KEY=VALUE`), given to every output.
    `attest` are `--attest` values (`type=provenance,mode=max`, `type=sbom`), `provenance` and
    `sbom` their shorthands (`true`, `false`, `mode=max`); as buildx, a minimal provenance is
    attached when the engine can store it, unless `provenance="false"` or
    `BUILDX_NO_DEFAULT_ATTESTATIONS` is true.

    `engine` is where to build: `EngineOptions` (a connection is made for this build), or an open
    engine from `buildwright.connect()`, which several builds may share at once.

    `secrets` are `SecretSource`s or buildx `--secret` specs (`id=X,src=path`, `id=X,env=NAME`),
    read before the build starts; `ssh` are `SSHAgentSpec`s or `--ssh` specs (`default`,
    `id=/path/to/agent.sock`); `allow` grants entitlements (`network.host`). `push` pushes the
    image to the registry its tags name (as `--push`), `pull` resolves base images from their
    registries even when the engine has them (as `--pull`). Registry credentials come from the
    docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) of the engine
    options' `env`.

    Every RUN gets the build-wide settings of buildx's flags of the same names: `network`
    (`default`, `none`, or `host`, which grants `network.host` as buildx does; a RUN's own
    `--network` wins), `add_hosts` (`host:ip` or `host=ip` entries for /etc/hosts; `host-gateway`
    is dockerd's gateway IP), `shm_size` (bytes, or a size like `"64m"`), `ulimits`
    (`nofile=1024:2048`) and `cgroup_parent`. The `BUILDKIT_SANDBOX_HOSTNAME` build arg sets
    the hostname RUN sees.

    `cache_from` and `cache_to` are buildx `--cache-from`/`--cache-to` specs: a registry
    reference (`host/app:cache`), `type=registry,ref=...[,mode=min|max]`, `type=local,src=DIR`
    (import) / `type=local,dest=DIR[,mode=max]` (export, an OCI layout the client writes),
    `type=inline` (cache metadata in the image config). The `BUILDKIT_INLINE_CACHE=1` build arg
    also asks for inline cache.

    Raises:
        BuildConfigError: missing context or Dockerfile, unknown target, bad options.
        DockerfileError: the Dockerfile (or .dockerignore) is invalid; carries file and line.
        EngineUnavailableError: no engine endpoint answered.
        BuildFailed: a step failed on the engine.
    """
    run_defaults = run_defaults_from_flags(
        network=network, add_hosts=add_hosts, shm_size=shm_size, ulimits=ulimits, cgroup_parent=cgroup_parent
    )
    if run_defaults.network is NetMode.HOST:
        allow = (*allow, "network.host")  # buildx grants what --network=host needs
    inputs = _with_named_contexts(
        _read_inputs(context, dockerfile, target, build_args, labels, no_cache, platform), build_contexts
    )
    inputs = replace(inputs, no_cache_stages=tuple(no_cache_filter), pull=pull, run_defaults=run_defaults)
    exports = plan_exports(
        tuple(parse_output(o) if isinstance(o, str) else o for o in outputs),
        tags=tags,
        load=load,
        push=push,
        iidfile=iidfile is not None,
    )
    if annotations:
        # As buildx: every output carries them; the image exporters write them.
        extra = annotation_attrs(annotations)
        exports = tuple(replace(e, attrs={**e.attrs, **extra}) for e in exports)
    frontend_attrs = _frontend_attrs(inputs)
    if pull:
        frontend_attrs["image-resolve-mode"] = "pull"  # as buildx records it in the build history
    local_context = {} if inputs.remote is not None else {"context": inputs.context}
    request = BuildRequest(
        local_dirs={**inputs.named_dirs, **local_context},
        exports=exports,
        output_stream=_output_stream(exports, output_stream),
        # Lets the engine reuse its copy of this directory from earlier builds (only changes move).
        shared_key=shared_key_for(inputs.context, node_id(engine_options(engine).env)) if local_context else "",
        secrets=load_secrets(parse_secret_spec(s) if isinstance(s, str) else s for s in secrets),
        ssh_agents=resolve_agents(parse_ssh_spec(s) if isinstance(s, str) else s for s in ssh),
        entitlements=_entitlements(allow),
        frontend_attrs=frontend_attrs,
        registry_auth=DockerConfig.load(engine_options(engine).env),
        cache_exports=parse_cache_specs(cache_to) + inline_cache_from_build_args(inputs.build_args),
        cache_imports=parse_cache_specs(cache_from),
        ref=new_build_ref(),
        attestations=parse_attestations(attest, provenance=provenance, sbom=sbom),
        default_provenance=default_provenance_wanted(engine_options(engine).env or os.environ),
        uploads=_uploads(context, inputs),
    )
    origin = inputs.remote.url if inputs.remote is not None else inputs.context
    if not isinstance(context, (str, Path)):
        origin = "-"
    record_build(request.ref, _local_build(origin, dockerfile, target))
    compiled_builds: list[CompiledBuild] = []
    # A remote context's Dockerfile is known once the engine fetched it (inside the build).
    fetched = [inputs]

    def compile_for(gateway: GatewayContext) -> CompiledBuildLike:
        inputs = fetched[0].fetched(gateway)
        fetched.append(inputs)
        # Checks and compilation share one cache, so each base image is resolved once.
        resolver = CachingResolver(gateway.resolver)
        options = inputs.frontend_options(gateway)
        compiled: CompiledBuild | MultiPlatformBuild
        try:
            if inputs.multi_platform:
                compiled = compile_platforms(inputs.dockerfile, options, inputs.platforms, resolver)
            else:
                compiled = compile_dockerfile(inputs.dockerfile, options, resolver)
        except DockerfileError as exc:
            _check_build(inputs, gateway, resolver, failed_at=exc.location)
            raise
        # As the reference, the checks report once, for the first platform.
        _check_build(inputs, gateway, resolver)
        if isinstance(compiled, MultiPlatformBuild):
            compiled_builds.extend(part.compiled for part in compiled.builds)
        else:
            compiled_builds.append(compiled)
        return compiled

    if on_event is not None and inputs.remote is None and isinstance(context, (str, Path)):
        # What buildx has the engine load, buildwright read: reported as the same steps.
        named = Path(context) / "Dockerfile" if dockerfile is None else dockerfile
        source = named if isinstance(named, bytes) else Path(named)
        for event in local_load_steps(Path(context), source, request.ref):
            on_event(event)
    if on_event is not None and inputs.remote is not None:
        on_event = report_fetch_once(on_event)
    try:
        platforms = tuple(str(p) for p in inputs.platforms)
        result, duration = run_build_on(engine, request, compile_for, on_event, platforms)
    except BuildFailed as exc:
        _located(exc, compiled_builds, fetched[-1].dockerfile)
        raise
    _write_result_files(result, iidfile, metadata_file)
    return BuildResult(
        image_id=result.image_digest,
        metadata=dict(result.exporter_response),
        stages=compiled_builds[-1].stages,
        steps=result.steps,
        duration=duration,
        warnings=result.warnings,
    )


def _output_stream(exports: Sequence[ExportSpec], given: BinaryIO | None) -> BinaryIO | None:
    """Where `-` outputs go: the given stream, else stdout unless it is a terminal (as buildx refuses)."""
    to_stdout = [e for e in exports if e.dest == STDOUT]
    if not to_stdout or given is not None:
        return given
    if sys.stdout.isatty():
        raise BuildConfigError(f"dest file is required for {to_stdout[0].type} exporter. refusing to write to console")
    return sys.stdout.buffer


def _write_result_files(
    result: EngineBuildResult, iidfile: str | Path | None, metadata_file: str | Path | None
) -> None:
    if iidfile is not None:
        write_file_atomic(iidfile, image_id(result.exporter_response).encode())
    if metadata_file is not None:
        # buildx names its builder and node; buildwright has neither, so both read "buildwright".
        document = metadata_document(result.exporter_response, build_ref=f"buildwright/buildwright/{result.ref}")
        write_file_atomic(metadata_file, json.dumps(document, indent=2).encode())


def compile(
    context: str | Path,
    *,
    dockerfile: str | Path | bytes | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    no_cache: bool = False,
    platform: str | None = None,
    build_contexts: Mapping[str, str] | None = None,
    engine: EngineOptions | None = None,
) -> CompiledBuild:
    """Compile the Dockerfile of `context` to LLB, resolving base images on the engine; nothing is built."""
    inputs = _with_named_contexts(
        _read_inputs(context, dockerfile, target, build_args, None, no_cache, platform), build_contexts
    )
    options = engine or EngineOptions()
    fetched = [inputs]

    def run(gateway: GatewayContext) -> CompiledBuild:
        # A remote context is fetched on the engine first, as a build fetches it.
        fetched.append(inputs.fetched(gateway))
        return compile_dockerfile(fetched[-1].dockerfile, fetched[-1].frontend_options(gateway), gateway.resolver)

    with BuildkitClient.connect(options.endpoints()) as client:
        return client.compile(run, registry_auth=DockerConfig.load(options.env))


def outline(
    context: str | Path,
    *,
    dockerfile: str | Path | bytes | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    platform: str | None = None,
    build_contexts: Mapping[str, str] | None = None,
    engine: EngineOptions | None = None,
) -> Outline:
    """What `docker buildx build --call=outline` lists for `target`: its build args (values and
    descriptions), secrets and SSH agents, computed by buildwright's frontend.

    The stages are dispatched as for a build (base images resolved on the engine, for the
    values ARG defaults expand to), and nothing is built.
    """
    inputs = _with_named_contexts(
        _read_inputs(context, dockerfile, target, build_args, None, False, platform), build_contexts
    )
    options = engine or EngineOptions()

    def run(gateway: GatewayContext) -> Outline:
        fetched = inputs.fetched(gateway)
        frontend = fetched.frontend_options(gateway)
        dispatched = dispatch_dockerfile(fetched.dockerfile, frontend, gateway.resolver)
        source = "\n".join(fetched.dockerfile.lines).encode("utf-8", "surrogateescape")
        return outline_of(fetched.dockerfile, dispatched, frontend, source)

    with BuildkitClient.connect(options.endpoints()) as client:
        return client.compile(run, registry_auth=DockerConfig.load(options.env))


def _located(exc: BuildFailed, compiled: Sequence[CompiledBuild], dockerfile: Dockerfile) -> BuildFailed:
    """The same failure, pointing at the Dockerfile lines of the step that failed."""
    if not compiled or exc.location is not None:
        return exc
    ranges = []
    # A multi-platform build compiled one definition per platform: the step is in one of them.
    for build in compiled:
        definition = build.definition
        digest = exc.vertex_digest if exc.vertex_digest in definition.locations else None
        if digest is None:
            # The engine may re-digest ops (a default platform filled in); step names are unique per build.
            digest = next(
                (d for d, meta in definition.metadata.items() if meta.description.get(CUSTOM_NAME_KEY) == exc.vertex),
                None,
            )
        entries = definition.locations.get(digest, ()) if digest else ()
        ranges = [r for _, found in entries for r in found]
        if ranges:
            break
    if not ranges:
        return exc
    first, last = min(r.start_line for r in ranges), max(r.end_line for r in ranges)
    return exc.attach(SourceRange(dockerfile.filename, first, last), dockerfile.lines)


def parse_key_values(items: Iterable[str], *, what: str) -> dict[str, str]:
    """`K=V` pairs (`--label`, `--build-context`); an item without `=` is an error, as in buildx."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"invalid {what} value: {item}, expected key=value")
        out[key] = value
    return out


def _entitlements(allow: Iterable[str]) -> tuple[str, ...]:
    granted = tuple(dict.fromkeys(allow))
    for name in granted:
        if name not in ENTITLEMENTS:
            raise BuildConfigError(f"invalid entitlement: {name} (known: {', '.join(ENTITLEMENTS)})")
    return granted


def parse_build_args(items: Iterable[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`K=V` pairs as buildx takes them; a bare `K` takes its value from the environment, if set."""
    import os

    source = os.environ if env is None else env
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise UsageError(f"invalid build arg {item!r}: expected KEY=VALUE")
        if sep:
            out[key] = value
        elif key in source:
            out[key] = source[key]
    return out


def _uploads(context: str | Path | BinaryIO, inputs: _Inputs) -> dict[str, BinaryIO]:
    """The stream the engine pulls for a context given as one (by the id in its session URL)."""
    if isinstance(context, (str, Path)) or inputs.remote is None:
        return {}
    return {inputs.remote.url.removeprefix(UPLOAD_URL_PREFIX): context}


def _read_inputs(
    context: str | Path | BinaryIO,
    dockerfile: str | Path | bytes | None,
    target: str | None,
    build_args: Mapping[str, str] | None,
    labels: Mapping[str, str] | None,
    no_cache: bool,
    platform: str | Sequence[str] | None,
) -> _Inputs:
    if not isinstance(context, (str, Path)):
        remote = upload_context(new_session_id())
        return _remote_inputs(remote, dockerfile, target, build_args, labels, no_cache, platform)
    if isinstance(context, str) and not Path(context).is_dir() and is_remote_url(context):
        args = build_args or {}
        keep_git_dir = args.get("BUILDKIT_CONTEXT_KEEP_GIT_DIR", "").lower() in ("1", "t", "true")
        remote = remote_context(context, keep_git_dir=keep_git_dir)
        return _remote_inputs(remote, dockerfile, target, build_args, labels, no_cache, platform)
    context_dir = Path(context)
    if not context_dir.exists():
        raise BuildConfigError(f'unable to prepare context: path "{context}" not found')
    if not context_dir.is_dir():
        raise BuildConfigError(f'unable to prepare context: path "{context}" is not a directory')
    dockerfile_path, source = _dockerfile_source(context_dir, dockerfile)
    if not source.strip():
        raise DockerfileError(f"the Dockerfile cannot be empty: {dockerfile_path}")
    parsed = parse_dockerfile(source, dockerfile_path.name)
    platforms = parse_platforms(platform or None)
    args = dict(build_args or {})
    return _Inputs(
        context=context_dir.resolve(),
        dockerfile=parsed,
        ignore_patterns=_ignore_patterns(context_dir, None if isinstance(dockerfile, bytes) else dockerfile_path),
        target=target or None,
        build_args=args,
        no_cache=no_cache,
        platform=platforms[0] if platforms else None,
        labels=dict(labels or {}),
        platforms=platforms,
        multi_platform=multi_platform_requested(platforms, args),
    )


def _remote_inputs(
    remote: RemoteContext,
    dockerfile: str | Path | bytes | None,
    target: str | None,
    build_args: Mapping[str, str] | None,
    labels: Mapping[str, str] | None,
    no_cache: bool,
    platform: str | Sequence[str] | None,
) -> _Inputs:
    """The inputs of a build whose context the engine fetches (buildx's rules for `-f` with it:
    stdin's or an absolute path's Dockerfile is local, a relative path is inside the source)."""
    args = dict(build_args or {})
    in_source: str | None = None
    if isinstance(dockerfile, bytes) or (dockerfile is not None and Path(dockerfile).is_absolute()):
        path, source = _dockerfile_source(Path.cwd(), dockerfile)
        if not source.strip():
            raise DockerfileError(f"the Dockerfile cannot be empty: {path}")
        parsed = parse_dockerfile(source, path.name)
    else:
        in_source = str(dockerfile) if dockerfile is not None else "Dockerfile"
        # Not read yet: the engine fetches it with the source (`_Inputs.fetched`).
        parsed = Dockerfile(in_source, (), (), "\\", None, (), (), ())
    platforms = parse_platforms(platform or None)
    return _Inputs(
        context=Path("."),  # no local directory
        dockerfile=parsed,
        ignore_patterns=(),
        target=target or None,
        build_args=args,
        no_cache=no_cache,
        platform=platforms[0] if platforms else None,
        labels=dict(labels or {}),
        platforms=platforms,
        multi_platform=multi_platform_requested(platforms, args),
        remote=remote,
        remote_dockerfile=in_source,
    )


def _local_build(context: Path | str, dockerfile: str | Path | bytes | None, target: str | None) -> LocalBuild:
    """Where the build came from, for `history` (buildx's local state: "" is the default Dockerfile)."""
    if isinstance(dockerfile, bytes):
        path = "-"
    elif dockerfile:
        path = os.path.abspath(dockerfile)
    else:
        path = ""
    return LocalBuild(str(context), path, target or "")


def _frontend_attrs(inputs: _Inputs) -> dict[str, str]:
    # The engine's exporter reads SOURCE_DATE_EPOCH from the solve's frontend attributes (it then
    # stamps the image's creation time), as buildx sends it.
    epoch = inputs.build_args.get("SOURCE_DATE_EPOCH")
    source_date_epoch(inputs.build_args)  # a bad value fails here, before the engine is contacted
    attrs = {"build-arg:SOURCE_DATE_EPOCH": epoch} if epoch else {}
    # The build history shows these (and names builds from them), as it does for buildx's builds.
    attrs["filename"] = inputs.remote_dockerfile or inputs.dockerfile.filename or "Dockerfile"
    if inputs.remote is not None:
        attrs["context"] = inputs.remote.url
    if inputs.target:
        attrs["target"] = inputs.target
    attrs.update({f"build-arg:{name}": value for name, value in inputs.build_args.items()})
    attrs.update({f"label:{name}": value for name, value in inputs.labels.items()})
    if inputs.no_cache:
        attrs["no-cache"] = ""
    if inputs.platforms:
        # The engine checks the result's platforms against these (else it warns of a mismatch).
        attrs["platform"] = ",".join(str(platform) for platform in inputs.platforms)
    return attrs


def _with_named_contexts(inputs: _Inputs, build_contexts: Mapping[str, str] | None) -> _Inputs:
    """Add `--build-context name=value` entries, checked and normalised as buildx does.

    Images (`docker-image://ref`), git and HTTP(S) URLs go to the frontend as they are; a directory
    is shared through the session under the context's name (`_context`/`_dockerfile` for those two
    names), with its own .dockerignore.
    """
    if not build_contexts:
        return inputs
    contexts: dict[str, NamedContext] = {}
    dirs: dict[str, Path] = {}
    for raw_name, value in build_contexts.items():
        name = context_name(raw_name)
        if value.startswith((DOCKER_IMAGE_PREFIX, "git@", "git://", "ssh://", "http://", "https://")):
            contexts[name] = NamedContext(name, value)
            continue
        if "://" in value or value.startswith("target:"):
            raise BuildConfigError(
                f"build context {raw_name}={value}: images, git and http(s) URLs and directories are supported"
            )
        directory = Path(value)
        if not directory.is_dir():
            raise BuildConfigError(f"failed to get build context {name}: {value} is not a directory")
        local_name = f"_{name}" if name in ("context", "dockerfile") else name
        dirs[local_name] = directory.resolve()
        excludes = _read_ignore_file(directory / ".dockerignore")
        contexts[name] = NamedContext(name, f"{LOCAL_PREFIX}{local_name}", excludes)
    return replace(inputs, named_contexts=contexts, named_dirs=dirs)


def _dockerfile_source(context_dir: Path, dockerfile: str | Path | bytes | None) -> tuple[Path, bytes]:
    """Where the Dockerfile is said to be, and its contents.

    `dockerfile` may be the contents themselves (`-f -` reads them from stdin, as buildx does).
    """
    if isinstance(dockerfile, bytes):
        _check_dockerfile_size(context_dir / "Dockerfile", len(dockerfile))
        return context_dir / "Dockerfile", dockerfile
    path = _find_dockerfile(context_dir, dockerfile)
    try:
        _check_dockerfile_size(path, path.stat().st_size)
        return path, path.read_bytes()
    except OSError as exc:
        raise BuildConfigError(f"failed to read dockerfile {path}: {exc.strerror}") from exc


# The definition sent to the engine carries the whole Dockerfile (its source map), and BuildKit
# engines take at most 16 MiB in one message (moby/buildkit#6097): a bigger file cannot build.
MAX_DOCKERFILE_BYTES = 16 * 1024 * 1024


def _check_dockerfile_size(path: Path, size: int) -> None:
    if size > MAX_DOCKERFILE_BYTES:
        raise BuildConfigError(
            f"{path}: the Dockerfile is {size / 1e6:.1f} MB, over the {MAX_DOCKERFILE_BYTES // (1024 * 1024)} MiB"
            " limit: the build definition carries the whole file and BuildKit engines accept 16 MiB per message"
        )


def _find_dockerfile(context_dir: Path, dockerfile: str | Path | None) -> Path:
    if dockerfile is not None:
        path = Path(dockerfile)
        if not path.is_file():
            raise BuildConfigError(f"failed to read dockerfile: {path}: no such file")
        return path
    for name in ("Dockerfile", "dockerfile"):
        candidate = context_dir / name
        if candidate.is_file():
            return candidate
    raise BuildConfigError(f"failed to read dockerfile: {context_dir / 'Dockerfile'}: no such file")


def _ignore_patterns(context_dir: Path, dockerfile_path: Path | None) -> tuple[str, ...]:
    # `<Dockerfile>.dockerignore` beside the Dockerfile replaces the context's .dockerignore.
    candidates = [context_dir / ".dockerignore"]
    if dockerfile_path is not None:
        candidates.insert(0, dockerfile_path.with_name(dockerfile_path.name + ".dockerignore"))
    for candidate in candidates:
        if candidate.is_file():
            try:
                data = candidate.read_bytes()
            except OSError as exc:
                raise BuildConfigError(f"failed to read {candidate}: {exc.strerror}") from exc
            return tuple(read_ignore_patterns(data, str(candidate)))
    return ()


def _read_ignore_file(path: Path) -> tuple[str, ...]:
    # A named local context is filtered by its own directory's .dockerignore (never the Dockerfile's).
    if not path.is_file():
        return ()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BuildConfigError(f"failed to read {path}: {exc.strerror}") from exc
    return tuple(read_ignore_patterns(data, str(path)))


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What `check` found: the rule violations and the error a build would end with.

    `report()` is the text `docker buildx build --check` prints on stdout, `error_report()` the
    error it prints on stderr (after `ERROR: `); `exit_code` is 1 when there is either.
    """

    lint: LintResult
    display_name: str
    session_id: str = ""  # the session the engine read the Dockerfile in ("" offline)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.lint.findings

    @property
    def error(self) -> Exception | None:
        return self.lint.error

    @property
    def exit_code(self) -> int:
        return 1 if self.lint.findings or self.lint.error is not None else 0

    def report(self) -> str:
        return render_findings(self.lint, self.display_name)

    def error_report(self) -> str:
        return render_error(self.lint, self.display_name)

    def json(self) -> str:
        """The JSON `docker buildx build --call=check,format=json` prints (the reference's lint result)."""
        return findings_json(self.lint, self.session_id)

    @property
    def request_error(self) -> bool:
        """The error stopped the whole request (a bad `BUILDKIT_DOCKERFILE_CHECK`), not the check."""
        return self.lint.error_phase == PHASE_CONFIG and isinstance(self.lint.error, BuildConfigError)


def check(
    context: str | Path,
    *,
    dockerfile: str | Path | bytes | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    platform: str | None = None,
    engine: EngineOptions | None = None,
    offline: bool = False,
) -> CheckResult:
    """Run the build checks on the Dockerfile of `context`, as `docker buildx build --check` does.

    Base images are resolved on the engine (their env, SHELL, ONBUILD and platform matter to some
    rules) and the stages are compiled to find the error a build would hit; nothing is built.
    With `offline`, no engine is contacted: base images count as empty and nothing is compiled.
    `platform` is validated but, as in buildx, does not change what is checked (the reference's
    check runs for the build platform).

    Raises:
        BuildConfigError: missing context or Dockerfile. Problems in the Dockerfile itself are
            part of the result, not raised.
        EngineUnavailableError: no engine endpoint answered (unless `offline`).
    """
    context_dir = Path(context)
    if not context_dir.is_dir():
        raise BuildConfigError(f'unable to prepare context: path "{context}" not found')
    dockerfile_path, source = _dockerfile_source(context_dir, dockerfile)
    # buildx names the file as given with -f, else <context>/Dockerfile.
    display_name = str(dockerfile) if dockerfile is not None else os.path.normpath(os.path.join(context, "Dockerfile"))
    ignore = _ignore_patterns(context_dir, dockerfile_path)
    if platform:
        # Checked like buildx checks it, but the reference lints for the build platform whatever
        # the target platform is (its check request converts without one).
        Platform.parse(platform)
    args = dict(build_args or {})
    # Without a target every stage is checked; with one, only the stages it needs (as buildx does).
    lint_options = LintOptions(target=target or None, build_args=args, ignore_patterns=ignore, all_stages=not target)
    frontend = FrontendOptions(build_args=args, ignore_patterns=ignore)
    if offline:
        result = check_dockerfile(source, dockerfile_path.name, lint_options, frontend, None)
        return CheckResult(result, display_name)

    def run(gateway: GatewayContext) -> CheckResult:
        platforms = gateway.worker_platforms or (Platform("linux", "amd64"),)
        lint = check_dockerfile(
            source,
            dockerfile_path.name,
            replace(lint_options, build_platforms=platforms),
            replace(
                frontend, build_platforms=platforms, session_id=gateway.session_id, llb_caps=gateway.llb_caps or None
            ),
            gateway.resolver,
        )
        return CheckResult(lint, display_name, gateway.session_id)

    options = engine or EngineOptions()
    with BuildkitClient.connect(options.endpoints()) as client:
        return client.compile(run, registry_auth=DockerConfig.load(options.env))


def _check_build(
    inputs: _Inputs, gateway: GatewayContext, resolver: CachingResolver, *, failed_at: SourceRange | None = None
) -> None:
    """Run the checks for the stages this build needs; findings go to the engine as warnings.

    When the compilation failed at `failed_at`, only the findings the reference would have made
    before stopping there are sent. Raises DockerfileError when the configuration says
    `error=true` and there are findings (after a successful compilation only).
    """
    dockerfile = inputs.dockerfile
    source = "\n".join(dockerfile.lines).encode("utf-8", "surrogateescape")
    options = LintOptions(
        target=inputs.target,
        build_args=inputs.build_args,
        ignore_patterns=inputs.ignore_patterns,
        build_platforms=gateway.worker_platforms or (Platform("linux", "amd64"),),
        target_platform=inputs.platform,
        all_stages=False,
        # The compilation's resolve mode, so both ask for the same images and each is resolved once.
        image_resolve_mode=_resolve_mode(inputs.pull, gateway),
        named_contexts=inputs.named_contexts,
    )
    try:
        result = run_lint(source, dockerfile.filename, options, resolver, parsed=dockerfile)
    except BuildwrightError:
        raise
    except Exception as exc:  # checks are advisory: a defect in them must not stop a build
        _log.warning("build_checks_failed", error=repr(exc))
        return
    if result.error is not None and result.error_phase == PHASE_CONFIG:
        raise result.error  # a check configuration that does not parse fails the build
    if failed_at is not None:
        result = result.until(failed_at)
    if gateway.warn is not None:
        for finding in result.findings:
            location = finding.location
            gateway.warn(
                GatewayWarning(
                    short=finding.short,
                    detail=(finding.rule.description,),
                    url=finding.rule.url,
                    filename=dockerfile.filename,
                    data=source,
                    ranges=((location.start_line, location.end_line),) if location is not None else (),
                )
            )
    message = result.violation_error() if result.error is None and failed_at is None else None
    if message is not None:
        raise DockerfileError(message)


# --- graph, du, prune: commands beyond build ---------------------------------------------------

GRAPH_FORMATS = ("text", "dot", "svg")


def graph(
    context: str | Path,
    *,
    dockerfile: str | Path | bytes | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    build_contexts: Mapping[str, str] | None = None,
) -> BuildGraph:
    """The stage graph of the Dockerfile for `target`: built, side-by-side and pruned stages; no engine needed."""
    inputs = _with_named_contexts(
        _read_inputs(context, dockerfile, target, build_args, None, False, None), build_contexts
    )
    if inputs.remote is not None:
        raise BuildConfigError(f"{context}: the stage graph needs a local Dockerfile (the engine reads a remote one)")
    options = FrontendOptions(target=inputs.target, build_args=inputs.build_args, named_contexts=inputs.named_contexts)
    return build_graph(inputs.dockerfile, options)


def render_graph(stage_graph: BuildGraph, format: str = "text") -> str:
    """`stage_graph` as `text` (levels and pruned stages), Graphviz `dot`, or an `svg` picture."""
    # Imported here: builds never render graphs, and the SVG writer pulls in xml and urllib.
    from buildwright.frontend.graph_render import render_dot, render_text
    from buildwright.frontend.graph_svg import render_svg

    renderers = {"text": render_text, "dot": render_dot, "svg": render_svg}
    if format not in renderers:
        raise BuildConfigError(f"unknown graph format {format!r} (known: {', '.join(GRAPH_FORMATS)})")
    return renderers[format](stage_graph)


@dataclass(frozen=True, slots=True)
class TargetList:
    """`--call=targets`: the Dockerfile's stages and its source, as the reference lists them."""

    targets: tuple[Target, ...]
    source: bytes

    def json(self) -> str:
        return targets_json(self.targets, self.source)

    def text(self) -> str:
        return targets_text(self.targets)


def targets(context: str | Path, *, dockerfile: str | Path | bytes | None = None) -> TargetList:
    """The stages `docker buildx build --call=targets` lists (no engine needed)."""
    dockerfile_path, source = _dockerfile_source(Path(context), dockerfile)
    return TargetList(list_targets(parse_dockerfile(source, dockerfile_path.name)), source)


def disk_usage(*, filters: Iterable[str] = (), engine: EngineOptions | None = None) -> tuple[UsageRecord, ...]:
    """The engine's build cache records (`docker buildx du`); `filters` are `key=value` as buildx takes them."""
    cache_filter = parse_filters(filters)
    options = engine or EngineOptions()
    with BuildkitClient.connect(options.endpoints()) as client:
        return _disk_usage(client.connection, cache_filter)


def prune(
    *,
    filters: Iterable[str] = (),
    all: bool = False,
    reserved_space: int = 0,
    max_used_space: int = 0,
    min_free_space: int = 0,
    engine: EngineOptions | None = None,
    on_record: Callable[[UsageRecord], None] | None = None,
) -> tuple[UsageRecord, ...]:
    """Remove build cache (`docker buildx prune`); returns the removed records, each also given to `on_record`."""
    request = PruneOptions(
        filter=parse_filters(filters),
        all=all,
        reserved_space=reserved_space,
        max_used_space=max_used_space,
        min_free_space=min_free_space,
    )
    options = engine or EngineOptions()
    with BuildkitClient.connect(options.endpoints()) as client:
        return _prune(client.connection, request, on_record)
