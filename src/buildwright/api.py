"""The public Python API: build a Dockerfile on a BuildKit engine, or compile it to LLB.

    import buildwright

    result = buildwright.build("examples/multistage", tags=["hello:latest"])
    print(result.image_id)

Inputs are checked before the engine is contacted: a missing context or Dockerfile, a Dockerfile
that does not parse, or a bad .dockerignore fail fast with an error naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from buildwright.client import BuildkitClient, BuildRequest, ExportSpec, GatewayContext, TLSConfig
from buildwright.client.events import BuildEvent
from buildwright.dockerfile import Dockerfile, parse_dockerfile, read_ignore_patterns
from buildwright.errors import BuildConfigError, BuildFailed, DockerfileError
from buildwright.frontend import CompiledBuild, FrontendOptions, StagePlan, compile_dockerfile
from buildwright.llb import CUSTOM_NAME_KEY
from buildwright.llb.platform import Platform
from buildwright.location import SourceRange

EventCallback = Callable[[BuildEvent], None]

__all__ = ["BuildResult", "EngineOptions", "build", "compile", "parse_build_args"]


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Where the engine is: `addr` (buildkitd) or, when None, DOCKER_HOST's dockerd."""

    addr: str | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    env: Mapping[str, str] | None = None

    def tls(self) -> TLSConfig | None:
        if not (self.tls_ca or self.tls_cert or self.tls_key):
            return None
        return TLSConfig(ca_cert=self.tls_ca, cert=self.tls_cert, key=self.tls_key)


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced: the image id (config digest on dockerd) and the exporter's metadata."""

    image_id: str | None
    metadata: Mapping[str, str]
    stages: StagePlan


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

    def frontend_options(self, gateway: GatewayContext) -> FrontendOptions:
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
        )


def build(
    context: str | Path,
    *,
    dockerfile: str | Path | None = None,
    target: str | None = None,
    tags: Sequence[str] = (),
    build_args: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    no_cache: bool = False,
    platform: str | None = None,
    engine: EngineOptions | None = None,
    on_event: EventCallback | None = None,
) -> BuildResult:
    """Build `context` with its Dockerfile on the engine; with `tags`, the image is stored under them.

    Raises:
        BuildConfigError: missing context or Dockerfile, unknown target, bad options.
        DockerfileError: the Dockerfile (or .dockerignore) is invalid; carries file and line.
        EngineUnavailableError: no engine endpoint answered.
        BuildFailed: a step failed on the engine.
    """
    inputs = _read_inputs(context, dockerfile, target, build_args, labels, no_cache, platform)
    request = BuildRequest(
        local_dirs={"context": inputs.context},
        exports=(ExportSpec.engine_image(list(tags)),),
    )
    compiled_builds: list[CompiledBuild] = []

    def compile_for(gateway: GatewayContext) -> CompiledBuild:
        compiled = compile_dockerfile(inputs.dockerfile, inputs.frontend_options(gateway), gateway.resolver)
        compiled_builds.append(compiled)
        return compiled

    options = engine or EngineOptions()
    with BuildkitClient.connect(addr=options.addr, tls=options.tls(), env=options.env) as client:
        try:
            result = client.build(request, compile=compile_for, on_event=on_event)
        except BuildFailed as exc:
            raise _located(exc, compiled_builds, inputs.dockerfile) from None
    return BuildResult(
        image_id=result.image_digest, metadata=dict(result.exporter_response), stages=compiled_builds[-1].stages
    )


def compile(
    context: str | Path,
    *,
    dockerfile: str | Path | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    no_cache: bool = False,
    platform: str | None = None,
    engine: EngineOptions | None = None,
) -> CompiledBuild:
    """Compile the Dockerfile of `context` to LLB, resolving base images on the engine; nothing is built."""
    inputs = _read_inputs(context, dockerfile, target, build_args, None, no_cache, platform)
    options = engine or EngineOptions()
    with BuildkitClient.connect(addr=options.addr, tls=options.tls(), env=options.env) as client:
        return client.compile(
            lambda gateway: compile_dockerfile(inputs.dockerfile, inputs.frontend_options(gateway), gateway.resolver)
        )


def _located(exc: BuildFailed, compiled: Sequence[CompiledBuild], dockerfile: Dockerfile) -> BuildFailed:
    """The same failure, pointing at the Dockerfile lines of the step that failed."""
    if not compiled or exc.location is not None:
        return exc
    definition = compiled[-1].definition
    digest = exc.vertex_digest if exc.vertex_digest in definition.locations else None
    if digest is None:
        # The engine may re-digest ops (a default platform filled in); step names are unique per build.
        digest = next(
            (d for d, meta in definition.metadata.items() if meta.description.get(CUSTOM_NAME_KEY) == exc.vertex),
            None,
        )
    entries = definition.locations.get(digest, ()) if digest else ()
    ranges = [r for _, ranges in entries for r in ranges]
    if not ranges:
        return exc
    first, last = min(r.start_line for r in ranges), max(r.end_line for r in ranges)
    location = SourceRange(dockerfile.filename, first, last)
    return BuildFailed(
        exc.message,
        vertex=exc.vertex,
        vertex_digest=exc.vertex_digest,
        exit_code=exc.exit_code,
        log_tail=exc.log_tail,
        location=location,
        source_lines=dockerfile.lines,
    )


def parse_build_args(items: Iterable[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`K=V` pairs as buildx takes them; a bare `K` takes its value from the environment, if set."""
    import os

    source = os.environ if env is None else env
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise BuildConfigError(f"invalid build arg {item!r}: expected KEY=VALUE")
        if sep:
            out[key] = value
        elif key in source:
            out[key] = source[key]
    return out


def _read_inputs(
    context: str | Path,
    dockerfile: str | Path | None,
    target: str | None,
    build_args: Mapping[str, str] | None,
    labels: Mapping[str, str] | None,
    no_cache: bool,
    platform: str | None,
) -> _Inputs:
    context_dir = Path(context)
    if not context_dir.exists():
        raise BuildConfigError(f'unable to prepare context: path "{context}" not found')
    if not context_dir.is_dir():
        raise BuildConfigError(f'unable to prepare context: path "{context}" is not a directory')
    dockerfile_path = _find_dockerfile(context_dir, dockerfile)
    try:
        source = dockerfile_path.read_bytes()
    except OSError as exc:
        raise BuildConfigError(f"failed to read dockerfile {dockerfile_path}: {exc.strerror}") from None
    if not source.strip():
        raise DockerfileError(f"the Dockerfile cannot be empty: {dockerfile_path}")
    parsed = parse_dockerfile(source, dockerfile_path.name)
    return _Inputs(
        context=context_dir.resolve(),
        dockerfile=parsed,
        ignore_patterns=_ignore_patterns(context_dir, dockerfile_path),
        target=target or None,
        build_args=dict(build_args or {}),
        no_cache=no_cache,
        platform=Platform.parse(platform) if platform else None,
        labels=dict(labels or {}),
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


def _ignore_patterns(context_dir: Path, dockerfile_path: Path) -> tuple[str, ...]:
    # `<Dockerfile>.dockerignore` beside the Dockerfile replaces the context's .dockerignore.
    specific = dockerfile_path.with_name(dockerfile_path.name + ".dockerignore")
    for candidate in (specific, context_dir / ".dockerignore"):
        if candidate.is_file():
            try:
                data = candidate.read_bytes()
            except OSError as exc:
                raise BuildConfigError(f"failed to read {candidate}: {exc.strerror}") from None
            return tuple(read_ignore_patterns(data, str(candidate)))
    return ()
