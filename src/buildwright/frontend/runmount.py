"""`RUN --mount` values lowered to exec mounts: bind, cache, tmpfs, secret and ssh.

Each mount of a RUN has one source stage, aligned by position (`StageNode.sources`): the stage
named by `from=`, or an implicit scratch stage when there is none (as in the reference, which
also makes a single-stage Dockerfile with a mount show `stage-0` in progress names). A bind
mount without `from=` reads the build context, and records which context path it reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from buildwright import _gopath, llb
from buildwright._values import valueclass
from buildwright.dockerfile import RunInstruction
from buildwright.dockerfile.mounts import BIND, CACHE, SECRET, SSH, TMPFS, MountSpec
from buildwright.errors import DockerfileError
from buildwright.frontend.stage_build import DispatchContext, MountUse, StageBuild
from buildwright.llb.exec import CacheSharing, Mount, MountKind, SecretMount, SSHMount

# Build arg that namespaces every cache mount id (buildx `--build-arg BUILDKIT_CACHE_MOUNT_NS=...`).
CACHE_NS_ARG = "BUILDKIT_CACHE_MOUNT_NS"
CACHE_PERMISSIONS_NAME = "[internal] setting cache mount permissions"
SECRETS_DIR = "/run/secrets/"
DEFAULT_SECRET_MODE = 0o400
DEFAULT_SSH_MODE = 0o600
DEFAULT_SSH_ID = "default"
# An engine with this cap discards what a read-write bind mount wrote, without an output.
_BIND_RW_NO_OUTPUT = "exec.mount.bind.readwrite-nooutput"
_SHARING = {
    "": CacheSharing.SHARED,
    "shared": CacheSharing.SHARED,
    "private": CacheSharing.PRIVATE,
    "locked": CacheSharing.LOCKED,
}

RunMount = Mount | SecretMount | SSHMount


@valueclass
class RunMounts:
    """The mounts of one RUN, and the build-context paths its bind mounts read."""

    mounts: tuple[RunMount, ...]
    context_paths: frozenset[str]
    uses: tuple[MountUse, ...] = ()  # the secrets and SSH agents, for `--call=outline`


def dispatch_run_mounts(
    build: StageBuild,
    instruction: RunInstruction,
    sources: Sequence[StageBuild],
    context_state: llb.State,
    context: DispatchContext,
) -> RunMounts:
    """Lower the (already expanded) mounts of `instruction`, in the order they were written."""
    out: list[RunMount] = []
    used: set[str] = set()
    uses: list[MountUse] = []
    namespace = context.build_args.get(CACHE_NS_ARG, "")
    for index, spec in enumerate(instruction.mounts):
        from_stage = spec.from_stage
        if not from_stage and spec.type == CACHE:
            from_stage = "scratch"
        state = context_state
        if from_stage:
            state = sources[index].state if index < len(sources) else llb.scratch()
        if spec.type == SECRET:
            secret = secret_mount(spec)
            out.append(secret)
            uses.append(MountUse("secret", secret.id, spec.required, instruction.location))
            continue
        if spec.type == SSH:
            out.append(ssh_mount(spec))
            uses.append(MountUse("ssh", spec.cache_id or DEFAULT_SSH_ID, spec.required, instruction.location))
            continue
        tmpfs = spec.type == TMPFS
        if tmpfs:
            state = llb.scratch()
        no_output = not spec.readonly and spec.type == BIND and _supports(context, _BIND_RW_NO_OUTPUT)
        cache_id = ""
        if spec.type == CACHE:
            cache_id = f"{namespace}/{spec.cache_id or _gopath.clean(spec.target)}"
        target = spec.target
        if not _gopath.is_abs(_gopath.clean(target)):
            target = _gopath.join("/", build.state.dir, target)
        if target == "/":
            raise DockerfileError(f'invalid mount target "{target}"')
        selector = ""
        source_path = _gopath.join("/", spec.source)
        if source_path != "/":
            selector = source_path
        elif spec.uid is not None or spec.gid is not None or spec.mode is not None:
            state = _with_cache_permissions(spec, state)
            selector = "/cache"
        out.append(
            Mount(
                target,
                state.output,
                MountKind.TMPFS if tmpfs else (MountKind.CACHE if cache_id else MountKind.BIND),
                selector=selector,
                readonly=spec.readonly,
                no_output=no_output,
                cache_id=cache_id,
                sharing=_SHARING[spec.cache_sharing],
                tmpfs_size=spec.size_limit if tmpfs else 0,
            )
        )
        if not from_stage:
            # Even a tmpfs without `from` marks "/" as read, as the reference does: the whole
            # context is then sent.
            used.add(source_path)
    return RunMounts(tuple(out), frozenset(used), tuple(uses))


def secret_mount(spec: MountSpec) -> SecretMount:
    """A secret as a file (default `/run/secrets/<id>`) and/or an environment variable."""
    secret_id = spec.source or spec.cache_id
    if not secret_id:
        if not spec.target:
            raise DockerfileError("one of source, target required")
        secret_id = _base(spec.target)
    target: str | None = spec.target or None
    if spec.env is None:
        target = spec.target or SECRETS_DIR + _base(secret_id)
    uid, gid, mode = 0, 0, DEFAULT_SECRET_MODE
    if spec.uid is not None or spec.gid is not None or spec.mode is not None:
        uid, gid = spec.uid or 0, spec.gid or 0
        mode = spec.mode if spec.mode is not None else DEFAULT_SECRET_MODE
    return SecretMount(secret_id, target, spec.env, uid, gid, mode, optional=not spec.required)


def ssh_mount(spec: MountSpec) -> SSHMount:
    """A forwarded SSH agent socket; the id stays empty on the wire when not given (= `default`)."""
    if spec.source:
        raise DockerfileError("ssh does not support source")
    uid, gid, mode = 0, 0, DEFAULT_SSH_MODE
    if spec.uid is not None or spec.gid is not None or spec.mode is not None:
        uid, gid = spec.uid or 0, spec.gid or 0
        mode = spec.mode if spec.mode is not None else DEFAULT_SSH_MODE
    return SSHMount(spec.cache_id, spec.target, uid, gid, mode, optional=not spec.required)


def ssh_ids(instruction: RunInstruction) -> tuple[str, ...]:
    """The SSH agent ids a RUN needs (`default` when not named)."""
    return tuple(spec.cache_id or DEFAULT_SSH_ID for spec in instruction.mounts if spec.type == SSH)


def masked_secret_env(instruction: RunInstruction, env: Mapping[str, str]) -> dict[str, str]:
    """`env` with every secret exposed as an environment variable shown as `****` (progress names)."""
    masked = dict(env)
    for spec in instruction.mounts:
        if spec.type == SECRET and spec.env is not None:
            masked.pop(spec.env, None)
            masked[spec.env] = "****"
    return masked


def mount_order_error(instruction: RunInstruction, stage_name: str, context: DispatchContext) -> DockerfileError:
    """The error for a `--mount from=` naming a stage defined after the current command (`instruction`
    is expanded)."""
    from_value, target = stage_name, ""
    for spec in instruction.mounts:
        if spec.from_stage and spec.from_stage.lower() == stage_name.lower():
            from_value, target = spec.from_stage, spec.target
            break
    return context.error(
        f'cannot mount from stage "{from_value}" to "{target}", stage needs to be defined before current command',
        instruction,
    )


def _with_cache_permissions(spec: MountSpec, state: llb.State) -> llb.State:
    # The cache is seeded from a `/cache` directory carrying the requested owner and mode.
    mode = spec.mode if spec.mode is not None else 0o755
    action = llb.mkdir("/cache", mode, user=llb.Chown.ids(spec.uid or 0, spec.gid or 0))
    return state.file(action, custom_name=CACHE_PERMISSIONS_NAME)


def _supports(context: DispatchContext, cap: str) -> bool:
    # Compiling without an engine (llb_caps None) assumes a current one.
    return context.llb_caps is None or cap in context.llb_caps


def _base(path: str) -> str:
    """Go's `path.Base`."""
    if path == "":
        return "."
    path = path.rstrip("/")
    if path == "":
        return "/"
    return path.rsplit("/", 1)[-1]


__all__ = [
    "CACHE_NS_ARG",
    "RunMounts",
    "dispatch_run_mounts",
    "masked_secret_env",
    "mount_order_error",
    "secret_mount",
    "ssh_ids",
    "ssh_mount",
]
