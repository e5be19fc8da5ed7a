"""Lazy pipeline values: `Container` (a filesystem plus the image config it will have) and
`Directory` (a client directory, or a path inside a container).

Every `with_*` method returns a new value linked to the old one and nothing happens until a
terminal call (`Container.build`); the recipe is then compiled to LLB on the engine (see
`compiler.py`), so base images resolve there and local directories travel through the session.

    ctr = (
        buildwright.image("busybox:latest")
        .with_workdir("/src")
        .with_directory("/src", buildwright.local("./app"))
        .with_exec(["sh", "-c", "make"])
    )
    result = ctr.build(tags=["app:dev"], engine=engine)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

from buildwright._values import valueclass
from buildwright.client.outputs import OutputSpec
from buildwright.errors import LLBError
from buildwright.llb import CacheSharing, normalize_image_ref

if TYPE_CHECKING:
    from buildwright.engine import Engine, EventCallback
    from buildwright.options import EngineOptions
    from buildwright.results import BuildResult


@valueclass
class _From:
    ref: str  # normalised (`docker.io/library/busybox:latest`)


@valueclass
class _Scratch:
    pass


@valueclass
class _Exec:
    args: tuple[str, ...]
    user: str | None
    expect_exit_codes: tuple[int, ...] | None


@valueclass
class _Env:
    key: str
    value: str | None  # None unsets


@valueclass
class _Workdir:
    path: str


@valueclass
class _User:
    user: str


@valueclass
class _Entrypoint:
    args: tuple[str, ...]


@valueclass
class _Cmd:
    args: tuple[str, ...]


@valueclass
class _Label:
    key: str
    value: str


@valueclass
class _ExposedPort:
    port: str  # `8080/tcp`


@valueclass
class _CopyDirectory:
    path: str
    source: Directory
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    owner: str | None


@valueclass
class _CopyFile:
    path: str
    source: Directory
    src: str
    permissions: int | None
    owner: str | None


@valueclass
class _NewFile:
    path: str
    contents: bytes
    permissions: int
    owner: str | None


@valueclass
class _MountCache:
    path: str
    key: str
    sharing: CacheSharing


@valueclass
class _MountDirectory:
    path: str
    source: Directory


ContainerOp: TypeAlias = (
    _From
    | _Scratch
    | _Exec
    | _Env
    | _Workdir
    | _User
    | _Entrypoint
    | _Cmd
    | _Label
    | _ExposedPort
    | _CopyDirectory
    | _CopyFile
    | _NewFile
    | _MountCache
    | _MountDirectory
)


@valueclass(eq=False)
class Directory:
    """A directory for a pipeline: on the client (`buildwright.local`) or inside a container
    (`Container.directory`). Immutable and lazy."""

    local_path: Path | None = None
    container: Container | None = None
    path: str = "/"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def local(path: str | Path, *, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Directory:
    """A directory on this machine, sent to the engine through the build's session.

    `include`/`exclude` are .dockerignore-style patterns; only matching files are sent.

    Raises:
        LLBError: `path` is not a directory.
    """
    directory = Path(path)
    if not directory.is_dir():
        raise LLBError(f"local directory {str(path)!r} does not exist or is not a directory")
    return Directory(local_path=directory.resolve(), include=tuple(include), exclude=tuple(exclude))


@valueclass(eq=False)
class Container:
    """A container image being defined: each `with_*` call adds a step and returns a new Container."""

    op: ContainerOp
    parent: Container | None = None

    def _then(self, op: ContainerOp) -> Container:
        return Container(op, self)

    def ops(self) -> Iterator[ContainerOp]:
        """The steps from the base to this one."""
        chain: list[ContainerOp] = []
        node: Container | None = self
        while node is not None:
            chain.append(node.op)
            node = node.parent
        return reversed(chain)

    # -- process settings and image config ----------------------------------------------------
    def with_env(self, key: str, value: str) -> Container:
        """Set an environment variable for later steps and in the image config."""
        if not key or "=" in key:
            raise LLBError(f"invalid environment variable name {key!r}")
        return self._then(_Env(key, value))

    def without_env(self, key: str) -> Container:
        """Unset an environment variable."""
        return self._then(_Env(key, None))

    def with_workdir(self, path: str) -> Container:
        """Set the working directory (relative paths join the current one)."""
        return self._then(_Workdir(path))

    def with_user(self, user: str) -> Container:
        """Run later steps, and the image, as `user` (`name`, `uid`, `uid:gid`)."""
        return self._then(_User(user))

    def with_entrypoint(self, args: Sequence[str]) -> Container:
        """The image's Entrypoint."""
        return self._then(_Entrypoint(_argv(args)))

    def with_cmd(self, args: Sequence[str]) -> Container:
        """The image's Cmd (default arguments)."""
        return self._then(_Cmd(_argv(args)))

    def with_label(self, key: str, value: str) -> Container:
        """Add an image label."""
        return self._then(_Label(key, value))

    def with_exposed_port(self, port: int, *, protocol: str = "tcp") -> Container:
        """Declare a port the image listens on."""
        if protocol not in ("tcp", "udp", "sctp"):
            raise LLBError(f"invalid protocol {protocol!r} (tcp, udp or sctp)")
        return self._then(_ExposedPort(f"{port}/{protocol}"))

    # -- filesystem -----------------------------------------------------------------------------
    def with_exec(
        self, args: Sequence[str], *, user: str | None = None, expect_exit_codes: Sequence[int] | None = None
    ) -> Container:
        """Run `args` (no shell) in the container; its changes become a new layer.

        `user` overrides the user for this step only; by default a non-zero exit fails the build,
        `expect_exit_codes` lists the codes that count as success instead.
        """
        return self._then(_Exec(_argv(args), user, tuple(expect_exit_codes) if expect_exit_codes is not None else None))

    def with_directory(
        self,
        path: str,
        source: Directory,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        owner: str | None = None,
    ) -> Container:
        """Copy the contents of `source` into `path` (created if missing)."""
        return self._then(_CopyDirectory(path, _directory(source), tuple(include), tuple(exclude), owner))

    def with_file(
        self,
        path: str,
        source: Directory,
        src: str,
        *,
        permissions: int | None = None,
        owner: str | None = None,
    ) -> Container:
        """Copy the file `src` of `source` to `path`."""
        return self._then(_CopyFile(path, _directory(source), src, permissions, owner))

    def with_new_file(
        self, path: str, contents: str | bytes, *, permissions: int = 0o644, owner: str | None = None
    ) -> Container:
        """Write a file holding `contents` (parents must exist)."""
        data = contents.encode() if isinstance(contents, str) else bytes(contents)
        return self._then(_NewFile(path, data, permissions, owner))

    def with_mounted_cache(self, path: str, key: str, *, sharing: CacheSharing = CacheSharing.SHARED) -> Container:
        """Mount the persistent cache `key` at `path` for every later `with_exec` (not in the image)."""
        return self._then(_MountCache(path, key, sharing))

    def with_mounted_directory(self, path: str, source: Directory) -> Container:
        """Mount `source` read-only at `path` for every later `with_exec` (not in the image)."""
        return self._then(_MountDirectory(path, _directory(source)))

    def with_(self, fn: Callable[[Container], Container]) -> Container:
        """Apply a reusable step: `ctr.with_(go_toolchain)`."""
        result = fn(self)
        if not isinstance(result, Container):
            raise LLBError(f"with_() step returned {type(result).__name__}, not a Container")
        return result

    def directory(self, path: str) -> Directory:
        """The directory `path` of this container, to copy or mount elsewhere."""
        return Directory(container=self, path=path)

    # -- terminal calls -------------------------------------------------------------------------
    def build(
        self,
        *,
        tags: Sequence[str] = (),
        outputs: Sequence[str | OutputSpec] = (),
        push: bool = False,
        output_stream: BinaryIO | None = None,
        engine: EngineOptions | Engine | None = None,
        no_cache: bool = False,
        on_event: EventCallback | None = None,
    ) -> BuildResult:
        """Build the image on the engine; with `tags`, it is stored under those names.

        `outputs` and `push` are those of `buildwright.build` (`type=local,dest=DIR`,
        `type=oci,dest=FILE`, `type=registry`, ...); a `-` destination writes to `output_stream`.

        Raises:
            EngineUnavailableError: no engine answered.
            BuildFailed: a step failed on the engine (its name, exit code and last log lines).
        """
        from buildwright.pipeline.run import build_container

        return build_container(
            self,
            tags=tags,
            outputs=outputs,
            push=push,
            output_stream=output_stream,
            engine=engine,
            no_cache=no_cache,
            on_event=on_event,
        )

    def build_with(self, engine: Engine, /, **options: Any) -> BuildResult:
        """Build on the open `engine` (what `Engine.build(container, ...)` calls)."""
        return self.build(engine=engine, **options)

    def export(
        self,
        dest: str | Path,
        *,
        engine: EngineOptions | Engine | None = None,
        on_event: EventCallback | None = None,
    ) -> BuildResult:
        """Build, and write the container's filesystem into the local directory `dest`."""
        return self.build(outputs=[OutputSpec("local", str(dest))], engine=engine, on_event=on_event)


def image(ref: str) -> Container:
    """A container from a registry (or the engine's local) image, e.g. `busybox:latest`.

    The image's config (Env, WorkingDir, User, Cmd, ...) is the starting config.

    Raises:
        LLBError: `ref` is not a valid image reference.
    """
    return Container(_From(normalize_image_ref(ref)))


def scratch() -> Container:
    """An empty container."""
    return Container(_Scratch())


def _argv(args: Sequence[str]) -> tuple[str, ...]:
    if isinstance(args, str):
        raise LLBError("expected an argument list like ['sh', '-c', 'make'], not a string")
    if not args:
        raise LLBError("expected at least one argument")
    return tuple(str(a) for a in args)


def _directory(source: object) -> Directory:
    if not isinstance(source, Directory):
        raise LLBError(
            f"expected a Directory (buildwright.local(...) or container.directory(...)), got {type(source).__name__}"
        )
    return source
