"""A build's inputs, read and checked before the engine is contacted.

The context (a directory, a URL the engine fetches, or a tar stream), the Dockerfile, the
.dockerignore patterns, the named contexts and the platforms: a missing context or Dockerfile, a
Dockerfile that does not parse or a bad .dockerignore fail here, naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import field, replace
from pathlib import Path
from typing import Any, BinaryIO

from buildwright import llb
from buildwright._values import valueclass
from buildwright.client import GatewayContext
from buildwright.client.layoutimage import read_layout_context
from buildwright.client.localrefs import LocalBuild
from buildwright.client.remote_context import (
    UPLOAD_URL_PREFIX,
    RemoteContext,
    is_remote_url,
    load_context,
    remote_context,
    upload_context,
)
from buildwright.client.session.session import new_session_id
from buildwright.dockerfile import Dockerfile, parse_dockerfile, read_ignore_patterns
from buildwright.errors import BuildConfigError, DockerfileError
from buildwright.frontend import FrontendOptions
from buildwright.frontend.args import source_date_epoch
from buildwright.frontend.contexts import (
    DOCKER_IMAGE_PREFIX,
    LOCAL_PREFIX,
    OCI_LAYOUT_PREFIX,
    NamedContext,
    context_name,
)
from buildwright.frontend.platforms import multi_platform_requested, parse_platforms
from buildwright.frontend.run_options import RunDefaults, resolve_host_gateway, run_defaults_from_flags
from buildwright.llb.platform import Platform
from buildwright.options import BuildOptions

Context = str | Path | BinaryIO


@valueclass
class BuildInputs:
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
    # The OCI layout directories of `oci-layout://` contexts, by the content store id the engine asks for.
    layout_stores: Mapping[str, Path] = field(default_factory=dict)
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
            image_resolve_mode=resolve_mode(self.pull, gateway),
            run_defaults=replace(self.run_defaults, extra_hosts=hosts),
            context_state=self.context_state,
        )

    def fetched(self, gateway: GatewayContext) -> BuildInputs:
        """With a remote context: these inputs once the engine fetched it (its Dockerfile read)."""
        if self.remote is None:
            return self
        platform = self.platform or (gateway.worker_platforms or (Platform("linux", "amd64"),))[0]
        loaded = load_context(self.remote, gateway, filename=self.remote_dockerfile, platform=platform)
        dockerfile = self.dockerfile
        if self.remote_dockerfile is not None:
            check_dockerfile_size(Path(loaded.filename), len(loaded.dockerfile))
            if not loaded.dockerfile.strip():
                raise DockerfileError(f"the Dockerfile cannot be empty: {loaded.filename}")
            dockerfile = parse_dockerfile(loaded.dockerfile, loaded.filename)
        return replace(self, dockerfile=dockerfile, context_state=loaded.state)


def resolve_mode(pull: bool, gateway: GatewayContext) -> str:
    # buildx: `--pull` forces the registry; on the docker driver images in dockerd's store are
    # otherwise preferred (an image built or loaded there wins over the registry's copy).
    if pull:
        return "pull"
    return "local" if gateway.engine_is_dockerd else "default"


def read_inputs(context: Context, options: BuildOptions) -> BuildInputs:
    """The inputs of a build of `context` with `options`, read and checked."""
    run_defaults = run_defaults_from_flags(
        network=options.network,
        add_hosts=options.add_hosts,
        shm_size=options.shm_size,
        ulimits=options.ulimits,
        cgroup_parent=options.cgroup_parent,
    )
    inputs = _read_checked(context, options)
    inputs = replace(
        inputs, no_cache_stages=tuple(options.no_cache_filter), pull=options.pull, run_defaults=run_defaults
    )
    return _with_named_contexts(inputs, options.build_contexts)


def uploads(context: str | Path | BinaryIO, inputs: BuildInputs) -> dict[str, BinaryIO]:
    """The stream the engine pulls for a context given as one (by the id in its session URL)."""
    if isinstance(context, (str, Path)) or inputs.remote is None:
        return {}
    return {inputs.remote.url.removeprefix(UPLOAD_URL_PREFIX): context}


def _read_checked(context: Context, options: BuildOptions) -> BuildInputs:
    if not isinstance(context, (str, Path)):
        return _remote_inputs(upload_context(new_session_id()), options)
    if isinstance(context, str) and not Path(context).is_dir() and is_remote_url(context):
        args = options.build_args or {}
        keep_git_dir = args.get("BUILDKIT_CONTEXT_KEEP_GIT_DIR", "").lower() in ("1", "t", "true")
        return _remote_inputs(remote_context(context, keep_git_dir=keep_git_dir), options)
    context_dir = Path(context)
    if not context_dir.exists():
        raise BuildConfigError(f'unable to prepare context: path "{context}" not found')
    if not context_dir.is_dir():
        raise BuildConfigError(f'unable to prepare context: path "{context}" is not a directory')
    dockerfile_path, parsed = _parsed_dockerfile(context_dir, options.dockerfile)
    local_file = None if isinstance(options.dockerfile, bytes) else dockerfile_path
    return _inputs(
        options,
        context=context_dir.resolve(),
        dockerfile=parsed,
        ignore_patterns=ignore_patterns(context_dir, local_file),
    )


def _remote_inputs(remote: RemoteContext, options: BuildOptions) -> BuildInputs:
    """The inputs of a build whose context the engine fetches (buildx's rules for `-f` with it:
    stdin's or an absolute path's Dockerfile is local, a relative path is inside the source)."""
    dockerfile = options.dockerfile
    in_source: str | None = None
    if isinstance(dockerfile, bytes) or (dockerfile is not None and Path(dockerfile).is_absolute()):
        _, parsed = _parsed_dockerfile(Path.cwd(), dockerfile)
    else:
        in_source = str(dockerfile) if dockerfile is not None else "Dockerfile"
        # Not read yet: the engine fetches it with the source (`BuildInputs.fetched`).
        parsed = Dockerfile(in_source, (), (), "\\", None, (), (), ())
    # No local directory: the context is `remote`.
    return _inputs(
        options, context=Path("."), dockerfile=parsed, ignore_patterns=(), remote=remote, remote_dockerfile=in_source
    )


def _parsed_dockerfile(context_dir: Path, dockerfile: str | Path | bytes | None) -> tuple[Path, Dockerfile]:
    path, source = dockerfile_source(context_dir, dockerfile)
    if not source.strip():
        raise DockerfileError(f"the Dockerfile cannot be empty: {path}")
    return path, parse_dockerfile(source, path.name)


def _inputs(options: BuildOptions, **located: Any) -> BuildInputs:
    """Inputs with the fields every kind of context takes from the options alike."""
    platforms = parse_platforms(options.platform or None)
    args = dict(options.build_args or {})
    return BuildInputs(
        target=options.target or None,
        build_args=args,
        no_cache=options.no_cache,
        platform=platforms[0] if platforms else None,
        labels=dict(options.labels or {}),
        platforms=platforms,
        multi_platform=multi_platform_requested(platforms, args),
        **located,
    )


def local_build(context: Path | str, dockerfile: str | Path | bytes | None, target: str | None) -> LocalBuild:
    """Where the build came from, for `history` (buildx's local state: "" is the default Dockerfile)."""
    if isinstance(dockerfile, bytes):
        path = "-"
    elif dockerfile:
        path = os.path.abspath(dockerfile)
    else:
        path = ""
    return LocalBuild(str(context), path, target or "")


def frontend_attrs(inputs: BuildInputs) -> dict[str, str]:
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
    if inputs.pull:
        attrs["image-resolve-mode"] = "pull"  # as buildx records it in the build history
    if inputs.platforms:
        # The engine checks the result's platforms against these (else it warns of a mismatch).
        attrs["platform"] = ",".join(str(platform) for platform in inputs.platforms)
    return attrs


def _with_named_contexts(inputs: BuildInputs, build_contexts: Mapping[str, str] | None) -> BuildInputs:
    """Add `--build-context name=value` entries, checked and normalised as buildx does.

    Images (`docker-image://ref`), git and HTTP(S) URLs go to the frontend as they are; a directory
    is shared through the session under the context's name (`_context`/`_dockerfile` for those two
    names), with its own .dockerignore.
    """
    if not build_contexts:
        return inputs
    contexts: dict[str, NamedContext] = {}
    dirs: dict[str, Path] = {}
    stores: dict[str, Path] = {}
    for raw_name, value in build_contexts.items():
        name = context_name(raw_name)
        if value.startswith(OCI_LAYOUT_PREFIX):
            try:
                layout = read_layout_context(value)
            except BuildConfigError as exc:
                raise BuildConfigError(f"build context {raw_name}={value}: {exc}") from exc
            contexts[name] = NamedContext(name, layout.value, layout=layout.image)
            stores[layout.store_key] = layout.directory
            continue
        if value.startswith((DOCKER_IMAGE_PREFIX, "git@", "git://", "ssh://", "http://", "https://")):
            contexts[name] = NamedContext(name, value)
            continue
        if "://" in value or value.startswith("target:"):
            raise BuildConfigError(
                f"build context {raw_name}={value}: images, OCI layouts, git and http(s) URLs and directories"
                " are supported"
            )
        directory = Path(value)
        if not directory.is_dir():
            raise BuildConfigError(f"failed to get build context {name}: {value} is not a directory")
        local_name = f"_{name}" if name in ("context", "dockerfile") else name
        dirs[local_name] = directory.resolve()
        excludes = _read_ignore_file(directory / ".dockerignore")
        contexts[name] = NamedContext(name, f"{LOCAL_PREFIX}{local_name}", excludes)
    return replace(inputs, named_contexts=contexts, named_dirs=dirs, layout_stores=stores)


def dockerfile_source(context_dir: Path, dockerfile: str | Path | bytes | None) -> tuple[Path, bytes]:
    """Where the Dockerfile is said to be, and its contents.

    `dockerfile` may be the contents themselves (`-f -` reads them from stdin, as buildx does).
    """
    if isinstance(dockerfile, bytes):
        check_dockerfile_size(context_dir / "Dockerfile", len(dockerfile))
        return context_dir / "Dockerfile", dockerfile
    path = _find_dockerfile(context_dir, dockerfile)
    try:
        check_dockerfile_size(path, path.stat().st_size)
        return path, path.read_bytes()
    except OSError as exc:
        raise BuildConfigError(f"failed to read dockerfile {path}: {exc.strerror}") from exc


# The definition sent to the engine carries the whole Dockerfile (its source map), and BuildKit
# engines take at most 16 MiB in one message (moby/buildkit#6097): a bigger file cannot build.
MAX_DOCKERFILE_BYTES = 16 * 1024 * 1024


def check_dockerfile_size(path: Path, size: int) -> None:
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


def ignore_patterns(context_dir: Path, dockerfile_path: Path | None) -> tuple[str, ...]:
    # `<Dockerfile>.dockerignore` beside the Dockerfile replaces the context's .dockerignore.
    candidates = [context_dir / ".dockerignore"]
    if dockerfile_path is not None:
        candidates.insert(0, dockerfile_path.with_name(dockerfile_path.name + ".dockerignore"))
    for candidate in candidates:
        if candidate.is_file():
            return _read_ignore_file(candidate)
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
