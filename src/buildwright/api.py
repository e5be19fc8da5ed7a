"""The public Python API: build a Dockerfile on a BuildKit engine, or compile it to LLB.

    import buildwright

    result = buildwright.build("examples/multistage", tags=["hello:latest"])
    print(result.image_id)

Inputs are checked before the engine is contacted: a missing context or Dockerfile, a Dockerfile
that does not parse, or a bad .dockerignore fail fast with an error naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from buildwright._log import get_logger
from buildwright.client import (
    BuildkitClient,
    BuildRequest,
    ExportSpec,
    GatewayContext,
    GatewayWarning,
    TLSConfig,
    node_id,
    shared_key_for,
)
from buildwright.client.events import BuildEvent
from buildwright.client.session.secrets import SecretSource, load_secrets, parse_secret_spec
from buildwright.client.session.ssh import SSHAgentSpec, parse_ssh_spec, resolve_agents
from buildwright.dockerfile import Dockerfile, parse_dockerfile, read_ignore_patterns
from buildwright.errors import BuildConfigError, BuildFailed, BuildwrightError, DockerfileError
from buildwright.frontend import CompiledBuild, FrontendOptions, StagePlan, compile_dockerfile
from buildwright.frontend.args import source_date_epoch
from buildwright.frontend.contexts import DOCKER_IMAGE_PREFIX, LOCAL_PREFIX, NamedContext, context_name
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
from buildwright.llb import CUSTOM_NAME_KEY
from buildwright.llb.platform import Platform
from buildwright.location import SourceRange

EventCallback = Callable[[BuildEvent], None]
# What `allow=` may grant; `network.host` is what `RUN --network=host` needs.
ENTITLEMENTS = ("network.host", "security.insecure")

__all__ = [
    "BuildResult",
    "CheckResult",
    "EngineOptions",
    "SSHAgentSpec",
    "SecretSource",
    "build",
    "check",
    "compile",
    "parse_build_args",
    "parse_key_values",
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
    no_cache_stages: tuple[str, ...] = ()
    named_contexts: Mapping[str, NamedContext] = field(default_factory=dict)
    named_dirs: Mapping[str, Path] = field(default_factory=dict)  # local named contexts by session dir name

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
            named_contexts=self.named_contexts,
            no_cache_stages=self.no_cache_stages,
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
    build_contexts: Mapping[str, str] | None = None,
    no_cache_filter: Sequence[str] = (),
    secrets: Iterable[str | SecretSource] = (),
    ssh: Iterable[str | SSHAgentSpec] = (),
    allow: Iterable[str] = (),
    engine: EngineOptions | None = None,
    on_event: EventCallback | None = None,
) -> BuildResult:
    """Build `context` with its Dockerfile on the engine; with `tags`, the image is stored under them.

    `secrets` are `SecretSource`s or buildx `--secret` specs (`id=X,src=path`, `id=X,env=NAME`),
    read before the build starts; `ssh` are `SSHAgentSpec`s or `--ssh` specs (`default`,
    `id=/path/to/agent.sock`); `allow` grants entitlements (`network.host`).

    Raises:
        BuildConfigError: missing context or Dockerfile, unknown target, bad options.
        DockerfileError: the Dockerfile (or .dockerignore) is invalid; carries file and line.
        EngineUnavailableError: no engine endpoint answered.
        BuildFailed: a step failed on the engine.
    """
    inputs = _with_named_contexts(
        _read_inputs(context, dockerfile, target, build_args, labels, no_cache, platform), build_contexts
    )
    inputs = replace(inputs, no_cache_stages=tuple(no_cache_filter))
    request = BuildRequest(
        local_dirs={**inputs.named_dirs, "context": inputs.context},
        exports=(ExportSpec.engine_image(list(tags)),),
        # Lets the engine reuse its copy of this directory from earlier builds (only changes move).
        shared_key=shared_key_for(inputs.context, node_id((engine or EngineOptions()).env)),
        secrets=load_secrets(parse_secret_spec(s) if isinstance(s, str) else s for s in secrets),
        ssh_agents=resolve_agents(parse_ssh_spec(s) if isinstance(s, str) else s for s in ssh),
        entitlements=_entitlements(allow),
        frontend_attrs=_frontend_attrs(inputs),
    )
    compiled_builds: list[CompiledBuild] = []

    def compile_for(gateway: GatewayContext) -> CompiledBuild:
        # Checks and compilation share one cache, so each base image is resolved once.
        resolver = CachingResolver(gateway.resolver)
        try:
            compiled = compile_dockerfile(inputs.dockerfile, inputs.frontend_options(gateway), resolver)
        except DockerfileError as exc:
            _check_build(inputs, gateway, resolver, failed_at=exc.location)
            raise
        _check_build(inputs, gateway, resolver)
        compiled_builds.append(compiled)
        return compiled

    options = engine or EngineOptions()
    with BuildkitClient.connect(addr=options.addr, tls=options.tls(), env=options.env) as client:
        try:
            result = client.build(request, compile=compile_for, on_event=on_event)
        except BuildFailed as exc:
            raise _located(exc, compiled_builds, inputs.dockerfile) from None
        except DockerfileError as exc:
            raise _with_source(exc, inputs.dockerfile) from None
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
    build_contexts: Mapping[str, str] | None = None,
    engine: EngineOptions | None = None,
) -> CompiledBuild:
    """Compile the Dockerfile of `context` to LLB, resolving base images on the engine; nothing is built."""
    inputs = _with_named_contexts(
        _read_inputs(context, dockerfile, target, build_args, None, no_cache, platform), build_contexts
    )
    options = engine or EngineOptions()
    with BuildkitClient.connect(addr=options.addr, tls=options.tls(), env=options.env) as client:
        try:
            return client.compile(
                lambda gateway: compile_dockerfile(
                    inputs.dockerfile, inputs.frontend_options(gateway), gateway.resolver
                )
            )
        except DockerfileError as exc:
            raise _with_source(exc, inputs.dockerfile) from None


def _with_source(exc: DockerfileError, dockerfile: Dockerfile) -> DockerfileError:
    """The error with the Dockerfile's lines attached, so it can be shown with a snippet."""
    if exc.source_lines or exc.location is None or exc.location.filename != dockerfile.filename:
        return exc
    return DockerfileError(exc.message, exc.location, dockerfile.lines)


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


def parse_key_values(items: Iterable[str], *, what: str) -> dict[str, str]:
    """`K=V` pairs (`--label`, `--build-context`); an item without `=` is an error, as in buildx."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BuildConfigError(f"invalid {what} value: {item}, expected key=value")
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


def _frontend_attrs(inputs: _Inputs) -> dict[str, str]:
    # The engine's exporter reads SOURCE_DATE_EPOCH from the solve's frontend attributes (it then
    # stamps the image's creation time), as buildx sends it.
    epoch = inputs.build_args.get("SOURCE_DATE_EPOCH")
    source_date_epoch(inputs.build_args)  # a bad value fails here, before the engine is contacted
    return {"build-arg:SOURCE_DATE_EPOCH": epoch} if epoch else {}


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


def _read_ignore_file(path: Path) -> tuple[str, ...]:
    # A named local context is filtered by its own directory's .dockerignore (never the Dockerfile's).
    if not path.is_file():
        return ()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BuildConfigError(f"failed to read {path}: {exc.strerror}") from None
    return tuple(read_ignore_patterns(data, str(path)))


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What `check` found: the rule violations and the error a build would end with.

    `report()` is the text `docker buildx build --check` prints on stdout, `error_report()` the
    error it prints on stderr (after `ERROR: `); `exit_code` is 1 when there is either.
    """

    lint: LintResult
    display_name: str

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

    @property
    def request_error(self) -> bool:
        """The error stopped the whole request (a bad `BUILDKIT_DOCKERFILE_CHECK`), not the check."""
        return self.lint.error_phase == PHASE_CONFIG and isinstance(self.lint.error, BuildConfigError)


def check(
    context: str | Path,
    *,
    dockerfile: str | Path | None = None,
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
    dockerfile_path = _find_dockerfile(context_dir, dockerfile)
    try:
        source = dockerfile_path.read_bytes()
    except OSError as exc:
        raise BuildConfigError(f"failed to read dockerfile {dockerfile_path}: {exc.strerror}") from None
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

    def run(gateway: GatewayContext) -> LintResult:
        platforms = gateway.worker_platforms or (Platform("linux", "amd64"),)
        return check_dockerfile(
            source,
            dockerfile_path.name,
            replace(lint_options, build_platforms=platforms),
            replace(
                frontend, build_platforms=platforms, session_id=gateway.session_id, llb_caps=gateway.llb_caps or None
            ),
            gateway.resolver,
        )

    options = engine or EngineOptions()
    with BuildkitClient.connect(addr=options.addr, tls=options.tls(), env=options.env) as client:
        return CheckResult(client.compile(run), display_name)


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
    )
    try:
        result = run_lint(source, dockerfile.filename, options, resolver)
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
