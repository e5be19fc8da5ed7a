"""The public Python API: build a Dockerfile on a BuildKit engine, or compile, check, graph it.

    import buildwright

    result = buildwright.build("examples/multistage", tags=["hello:latest"])
    print(result.image_id)

Each function is a thin wrapper over an `Engine` (buildwright/engine.py): it opens one for the call, or runs
on the open one it is given. Inputs are checked before the engine is contacted: a missing context or
Dockerfile, a Dockerfile that does not parse, or a bad .dockerignore fail fast with an error naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildwright._lazy import lazy_exports
from buildwright.checks import CheckJob, CheckResult
from buildwright.client import StepResult
from buildwright.client.outputs import OutputSpec
from buildwright.dockerfile import parse_dockerfile
from buildwright.engine import Engine, EventCallback, engine_for
from buildwright.errors import BuildConfigError, UsageError
from buildwright.frontend import CompiledBuild, FrontendOptions
from buildwright.inputs import Context, dockerfile_source, read_inputs
from buildwright.options import BuildOptions, EngineOptions, OutputOptions
from buildwright.results import BuildResult

if TYPE_CHECKING:
    from buildwright.client.diskusage import UsageRecord
    from buildwright.client.session.secrets import SecretSource
    from buildwright.client.session.ssh import SSHAgentSpec
    from buildwright.frontend.graph import BuildGraph
    from buildwright.frontend.outline import Outline, OutlineArg, OutlineMount
    from buildwright.frontend.targets import TargetList

# On first use (see buildwright/_lazy.py): a build needs no graph or outline, nor secrets or SSH.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "buildwright.client.session.secrets": ("SecretSource",),
        "buildwright.client.session.ssh": ("SSHAgentSpec",),
        "buildwright.frontend.graph": ("BuildGraph",),
        "buildwright.frontend.outline": ("Outline", "OutlineArg", "OutlineMount"),
    },
)

__all__ = [
    "BuildGraph",
    "BuildOptions",
    "BuildResult",
    "CheckResult",
    "Engine",
    "EngineOptions",
    "EventCallback",
    "Outline",
    "OutlineArg",
    "OutlineMount",
    "OutputOptions",
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
    "targets",
]

Engineish = EngineOptions | Engine | None


def build(
    context: Context,
    options: BuildOptions | None = None,
    output: OutputOptions | None = None,
    /,
    *,
    engine: Engineish = None,
    on_event: EventCallback | None = None,
    **keywords: Any,
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

    The options are keywords, or the values `BuildOptions` (what to build) and `OutputOptions`
    (where the result goes), which keywords then override. `engine` is where to build:
    `EngineOptions` (a connection is made for this build), or an open `Engine` from
    `buildwright.connect()`, which several builds may share at once.

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
    with engine_for(engine) as opened:
        return opened.build(context, options, output, on_event=on_event, **keywords)


def compile(
    context: str | Path,
    options: BuildOptions | None = None,
    /,
    *,
    engine: Engineish = None,
    **keywords: Any,
) -> CompiledBuild:
    """Compile the Dockerfile of `context` to LLB, resolving base images on the engine; nothing is
    built. The options are those of `build` that shape the graph (`dockerfile`, `target`,
    `build_args`, `no_cache`, `platform`, `build_contexts`, ...)."""
    with engine_for(engine) as opened:
        return opened.compile(context, options, **keywords)


def check(
    context: str | Path,
    *,
    dockerfile: str | Path | bytes | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    platform: str | Sequence[str] | None = None,
    engine: Engineish = None,
    offline: bool = False,
) -> CheckResult:
    """Run the build checks on the Dockerfile of `context`, as `docker buildx build --check` does.

    Base images are resolved on the engine and the stages are compiled to find the error a build
    would hit; nothing is built. With `offline`, no engine is contacted: base images count as
    empty configs (the stages are still compiled, so conversion errors are found too).
    `platform` is validated but, as in buildx, does not change what is checked.

    Raises:
        BuildConfigError: missing context or Dockerfile. Problems in the Dockerfile itself are
            part of the result, not raised.
        EngineUnavailableError: no engine endpoint answered (unless `offline`).
    """
    job = CheckJob.prepare(context, dockerfile, target, build_args, platform)
    if offline:
        return job.offline()
    with engine_for(engine) as opened:
        return opened.check(job)


def outline(
    context: str | Path, options: BuildOptions | None = None, /, *, engine: Engineish = None, **keywords: Any
) -> Outline:
    """What `buildx build --call=outline` lists for the target (build args, secrets, SSH agents),
    from the stages dispatched as for a build; nothing is built. Options as for `compile`."""
    with engine_for(engine) as opened:
        return opened.outline(context, options, **keywords)


# --- graph, targets, du, prune: commands beyond build ----------------------------------------
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
    from buildwright.frontend.graph import build_graph

    options = BuildOptions(dockerfile=dockerfile, target=target, build_args=build_args, build_contexts=build_contexts)
    inputs = read_inputs(context, options)
    if inputs.remote is not None:
        raise BuildConfigError(f"{context}: the stage graph needs a local Dockerfile (the engine reads a remote one)")
    frontend = FrontendOptions(target=inputs.target, build_args=inputs.build_args, named_contexts=inputs.named_contexts)
    return build_graph(inputs.dockerfile, frontend)


def render_graph(stage_graph: BuildGraph, format: str = "text") -> str:
    """`stage_graph` as `text` (levels and pruned stages), Graphviz `dot`, or an `svg` picture."""
    # Imported here: builds never render graphs, and the SVG writer pulls in xml and urllib.
    from buildwright.frontend.graph_render import render_dot, render_text
    from buildwright.frontend.graph_svg import render_svg

    renderers = {"text": render_text, "dot": render_dot, "svg": render_svg}
    if format not in renderers:
        raise BuildConfigError(f"unknown graph format {format!r} (known: {', '.join(GRAPH_FORMATS)})")
    return renderers[format](stage_graph)


def targets(context: str | Path, *, dockerfile: str | Path | bytes | None = None) -> TargetList:
    """The stages `docker buildx build --call=targets` lists (no engine needed)."""
    from buildwright.frontend.targets import TargetList, list_targets

    dockerfile_path, source = dockerfile_source(Path(context), dockerfile)
    return TargetList(list_targets(parse_dockerfile(source, dockerfile_path.name)), source)


def disk_usage(*, filters: Iterable[str] = (), engine: Engineish = None) -> tuple[UsageRecord, ...]:
    """The engine's build cache records (`docker buildx du`); `filters` are `key=value` as buildx takes them."""
    with engine_for(engine) as opened:
        return opened.disk_usage(filters)


def prune(
    *,
    filters: Iterable[str] = (),
    all: bool = False,
    reserved_space: int = 0,
    max_used_space: int = 0,
    min_free_space: int = 0,
    engine: Engineish = None,
    on_record: Callable[[UsageRecord], None] | None = None,
) -> tuple[UsageRecord, ...]:
    """Remove build cache (`docker buildx prune`); returns the removed records, each also given to `on_record`."""
    from buildwright.client.diskusage import PruneOptions, parse_filters

    request = PruneOptions(
        filter=parse_filters(filters),
        all=all,
        reserved_space=reserved_space,
        max_used_space=max_used_space,
        min_free_space=min_free_space,
    )
    with engine_for(engine) as opened:
        return opened.prune(request, on_record)


def parse_key_values(items: Iterable[str], *, what: str) -> dict[str, str]:
    """`K=V` pairs (`--label`, `--build-context`); an item without `=` is an error, as in buildx."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"invalid {what} value: {item}, expected key=value")
        out[key] = value
    return out


def parse_build_args(items: Iterable[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`K=V` pairs as buildx takes them; a bare `K` takes its value from the environment, if set."""
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
