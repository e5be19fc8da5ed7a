"""Compile a pipeline `Container` to LLB and an image config, inside a gateway session.

Two phases, like the Dockerfile frontend: first every base image of the whole graph (including
containers only reached through `directory()`) is resolved in one batch on the engine, then the
recipe is replayed over an `llb.State` and an `ImageConfig`. Client directories become `local`
sources named by `LocalNames`, the same names the build's session serves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from buildwright import _gopath, llb
from buildwright._values import valueclass
from buildwright.client import GatewayContext
from buildwright.errors import BuildConfigError
from buildwright.frontend.image import ImageConfig
from buildwright.frontend.resolver import ImageRequest, ResolvedImage
from buildwright.llb import CopyOptions, Platform
from buildwright.pipeline.container import (
    Container,
    Directory,
    _Cmd,
    _CopyDirectory,
    _CopyFile,
    _Entrypoint,
    _Env,
    _Exec,
    _ExposedPort,
    _From,
    _Label,
    _MountCache,
    _MountDirectory,
    _NewFile,
    _Scratch,
    _User,
    _Workdir,
)


@valueclass
class CompiledPipeline:
    """The graph to solve and the config of the image it makes (what the client's build takes)."""

    definition: llb.Definition
    image_config: bytes


@valueclass
class LocalNames:
    """Session names of the client directories a pipeline reads (`name -> path`)."""

    dirs: Mapping[str, Path]

    @classmethod
    def collect(cls, container: Container) -> LocalNames:
        """Name every client directory the graph reads: `<basename>-<hash of the path>`, stable
        across runs, so the engine finds its earlier copy of the directory."""
        names: dict[str, Path] = {}
        for directory in _directories(container, set()):
            path = directory.local_path
            if path is not None:
                names[_local_name(path)] = path
        return cls(names)

    def name_of(self, path: Path) -> str:
        return _local_name(path)


def _local_name(path: Path) -> str:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    base = "".join(c if c.isalnum() or c in "-_." else "_" for c in path.name) or "root"
    return f"{base}-{digest}"


def _directories(container: Container, seen: set[int]) -> Iterator[Directory]:
    """Every Directory the graph reads, depth first; each container visited once."""
    if id(container) in seen:
        return
    seen.add(id(container))
    for op in container.ops():
        if isinstance(op, _CopyDirectory | _CopyFile | _MountDirectory):
            yield op.source
            if op.source.container is not None:
                yield from _directories(op.source.container, seen)


def _base_refs(container: Container, seen: set[int]) -> Iterator[str]:
    if id(container) in seen:
        return
    seen.add(id(container))
    for op in container.ops():
        if isinstance(op, _From):
            yield op.ref
        elif isinstance(op, _CopyDirectory | _CopyFile | _MountDirectory) and op.source.container is not None:
            yield from _base_refs(op.source.container, seen)


@valueclass
class _Built:
    state: llb.State
    config: ImageConfig
    mounts: tuple[llb.Mount, ...] = ()


class PipelineCompiler:
    """Compiles containers for one build; results are memoised per container object."""

    def __init__(self, gateway: GatewayContext, locals_: LocalNames, *, no_cache: bool = False) -> None:
        self._gateway = gateway
        self._locals = locals_
        self._no_cache = no_cache
        self._platform = (gateway.worker_platforms or (Platform("linux", "amd64"),))[0].normalized()
        self._images: dict[str, ResolvedImage] = {}
        self._built: dict[int, _Built] = {}

    def compile(self, container: Container) -> CompiledPipeline:
        refs = sorted(set(_base_refs(container, set())))
        if refs:
            answers = self._gateway.resolver.resolve_image_configs([ImageRequest(ref, self._platform) for ref in refs])
            self._images = dict(zip(refs, answers, strict=True))
        built = self._build(container)
        definition = built.state.marshal(platform=self._platform, caps=self._gateway.llb_caps or None)
        return CompiledPipeline(definition, built.config.to_json())

    def _build(self, container: Container) -> _Built:
        known = self._built.get(id(container))
        if known is not None:
            return known
        built: _Built | None = None
        for op in container.ops():
            built = self._apply(built, op)
        assert built is not None  # every chain starts with a base
        self._built[id(container)] = built
        return built

    def _base(self, op: _From | _Scratch) -> _Built:
        if isinstance(op, _Scratch):
            return _Built(llb.scratch().with_platform(self._platform), ImageConfig.empty(self._platform))
        answer = self._images[op.ref]
        config = ImageConfig.from_json(answer.config)
        # Pinned by digest, as the Dockerfile frontend pins FROM, so a moved tag cannot change a build.
        ref = f"{op.ref}@{answer.digest}" if answer.digest and "@" not in op.ref else op.ref
        state = llb.image(ref, platform=self._platform, custom_name=f"from {op.ref}", ignore_cache=self._no_cache)
        return _Built(state.with_image_config(answer.config).with_platform(self._platform), config)

    def _apply(self, built: _Built | None, op: object) -> _Built:
        if isinstance(op, _From | _Scratch):
            return self._base(op)
        if built is None:
            raise BuildConfigError("a container must start from image() or scratch()")
        state, config = built.state, built.config
        cc = config.config
        if isinstance(op, _Env):
            if op.value is None:
                env = tuple(e for e in cc.env if e.partition("=")[0] != op.key)
                return replace(built, state=state.without_env(op.key), config=_cc(config, env=env))
            config = replace(config, config=cc.with_env(op.key, op.value))
            return replace(built, state=state.with_env(op.key, op.value), config=config)
        if isinstance(op, _Workdir):
            state = state.with_dir(op.path)
            return replace(built, state=state, config=_cc(config, working_dir=state.dir))
        if isinstance(op, _User):
            return replace(built, state=state.with_user(op.user), config=_cc(config, user=op.user))
        if isinstance(op, _Entrypoint):
            # As in a Dockerfile, a new entrypoint drops the inherited default arguments.
            return replace(built, config=_cc(config, entrypoint=op.args, cmd=None))
        if isinstance(op, _Cmd):
            return replace(built, config=_cc(config, cmd=op.args))
        if isinstance(op, _Label):
            return replace(built, config=replace(config, config=cc.with_labels([(op.key, op.value)])))
        if isinstance(op, _ExposedPort):
            ports = tuple(sorted({*cc.exposed_ports, op.port}))
            return replace(built, config=_cc(config, exposed_ports=ports))
        if isinstance(op, _Exec):
            return replace(built, state=self._exec(built, op))
        if isinstance(op, _MountCache):
            mount = llb.cache(_abs(state, op.path), op.key, sharing=op.sharing)
            return replace(built, mounts=(*built.mounts, mount))
        if isinstance(op, _MountDirectory):
            source, selector = self._directory_state(op.source)
            mount = llb.bind(_abs(state, op.path), source, selector=selector, readonly=True)
            return replace(built, mounts=(*built.mounts, mount))
        if isinstance(op, _CopyDirectory):
            source, selector = self._directory_state(op.source)
            options = CopyOptions(
                copy_dir_contents_only=True,
                create_dest_path=True,
                allow_wildcard=True,
                allow_empty_wildcard=True,
                include_patterns=op.include,
                exclude_patterns=op.exclude,
                chown=op.owner,
            )
            action = llb.copy(source, selector or "/", _abs(state, op.path), options)
            return replace(
                built, state=state.file(action, custom_name=f"copy to {op.path}", ignore_cache=self._no_cache)
            )
        if isinstance(op, _CopyFile):
            source, selector = self._directory_state(op.source)
            options = CopyOptions(mode=op.permissions, create_dest_path=True, chown=op.owner)
            src = _gopath.join(selector or "/", op.src)
            action = llb.copy(source, src, _abs(state, op.path), options)
            return replace(
                built, state=state.file(action, custom_name=f"copy {op.src} to {op.path}", ignore_cache=self._no_cache)
            )
        if isinstance(op, _NewFile):
            action = llb.mkfile(_abs(state, op.path), op.permissions, op.contents, user=op.owner)
            return replace(built, state=state.file(action, custom_name=f"write {op.path}", ignore_cache=self._no_cache))
        raise BuildConfigError(f"unknown pipeline step {type(op).__name__}")

    def _exec(self, built: _Built, op: _Exec) -> llb.State:
        exec_state = built.state.run(
            list(op.args),
            mounts=built.mounts,
            user=op.user,
            valid_exit_codes=op.expect_exit_codes,
            custom_name=f"exec {' '.join(op.args)}",
            ignore_cache=self._no_cache,
        )
        return exec_state.root()

    def _directory_state(self, directory: Directory) -> tuple[llb.State, str]:
        """The state holding `directory` and the path inside it."""
        if directory.local_path is not None:
            name = self._locals.name_of(directory.local_path)
            state = llb.local(
                name,
                session_id=self._gateway.session_id,
                shared_key_hint=name,
                include_patterns=directory.include,
                exclude_patterns=directory.exclude,
                custom_name=f"load {directory.local_path.name or '/'} from client",
            )
            return state, ""
        assert directory.container is not None
        inner = self._build(directory.container).state
        return inner, _abs(inner, directory.path)


def _abs(state: llb.State, path: str) -> str:
    return path if _gopath.is_abs(path) else _gopath.join(state.dir or "/", path)


def _cc(config: ImageConfig, **changes: Any) -> ImageConfig:
    return replace(config, config=replace(config.config, **changes))
