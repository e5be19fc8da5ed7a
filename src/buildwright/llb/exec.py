"""Exec ops: run a process over a root filesystem and extra mounts.

Marshalling follows BuildKit's `client/llb/exec.go`: mounts sorted by target, one input per
distinct source, output indexes only for writable bind mounts (root first), secret and SSH
mounts appended after, and the caps each feature needs recorded in the op metadata.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import field

from buildwright._pb import ops_pb2 as pb
from buildwright._values import valueclass
from buildwright.errors import LLBError
from buildwright.llb import caps
from buildwright.llb.constraints import Constraints
from buildwright.llb.env import EnvList
from buildwright.llb.vertex import MarshalContext, Marshaled, Output, Vertex, finish, marshal_constraints

ROOT_MOUNT = "/"
EMPTY_INPUT = -1
SKIP_OUTPUT = -1
DEFAULT_PATH_UNIX = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_PATH_WINDOWS = "c:\\Windows\\System32;c:\\Windows;C:\\Windows\\System32\\WindowsPowerShell\\v1.0"


class NetMode(enum.IntEnum):
    """Network of an exec (`pb.NetMode`)."""

    SANDBOX = 0
    HOST = 1
    NONE = 2


class SecurityMode(enum.IntEnum):
    """Privileges of an exec (`pb.SecurityMode`)."""

    SANDBOX = 0
    INSECURE = 1


class CacheSharing(enum.IntEnum):
    """How concurrent builds share a cache mount (`pb.CacheSharingOpt`)."""

    SHARED = 0
    PRIVATE = 1
    LOCKED = 2


class MountContentCache(enum.IntEnum):
    """Whether the engine may cache a bind mount's content (`pb.MountContentCache`)."""

    DEFAULT = 0
    ON = 1
    OFF = 2


class MountKind(enum.Enum):
    """What a `Mount` mounts."""

    BIND = "bind"
    CACHE = "cache"
    TMPFS = "tmpfs"


@valueclass
class Mount:
    """A filesystem mount of an exec; build one with `bind`, `cache` or `tmpfs`.

    `source` is the output mounted (None: an empty directory).
    """

    target: str
    source: Output | None = None
    kind: MountKind = MountKind.BIND
    selector: str = ""
    readonly: bool = False
    no_output: bool = False
    cache_id: str = ""
    sharing: CacheSharing = CacheSharing.SHARED
    tmpfs_size: int = 0
    content_cache: MountContentCache = MountContentCache.DEFAULT

    @property
    def produces_output(self) -> bool:
        """Whether the mount's final content is an output of the exec."""
        return not (self.no_output or self.readonly or self.kind is not MountKind.BIND)


@valueclass
class SecretMount:
    """A secret exposed as a file (`target`), an environment variable (`env`), or both."""

    id: str
    target: str | None = None
    env: str | None = None
    uid: int = 0
    gid: int = 0
    mode: int = 0o400
    optional: bool = False


@valueclass
class SSHMount:
    """An SSH agent socket forwarded from the client; `target` defaults per index."""

    id: str = ""
    target: str = ""
    uid: int = 0
    gid: int = 0
    mode: int = 0o600
    optional: bool = False


@valueclass
class ProxyEnv:
    """Proxy variables given to an exec outside its cache key."""

    http_proxy: str = ""
    https_proxy: str = ""
    ftp_proxy: str = ""
    no_proxy: str = ""
    all_proxy: str = ""


@valueclass
class Ulimit:
    """One resource limit (`nofile`, `nproc`, ...)."""

    name: str
    soft: int
    hard: int


@valueclass
class HostIP:
    """An /etc/hosts entry for an exec."""

    host: str
    ip: str


@valueclass
class CDIDevice:
    """A CDI device requested by name."""

    name: str
    optional: bool = False


@valueclass
class ExecMeta:
    """The process side of an exec, taken from the state it runs on."""

    args: tuple[str, ...]
    env: EnvList
    cwd: str
    user: str = ""
    hostname: str = ""
    cgroup_parent: str = ""
    valid_exit_codes: tuple[int, ...] | None = None
    extra_hosts: tuple[HostIP, ...] = ()
    ulimits: tuple[Ulimit, ...] = ()
    network: NetMode = NetMode.SANDBOX
    security: SecurityMode = SecurityMode.SANDBOX


@valueclass(eq=False)
class ExecOp(Vertex):
    """A process run. `mounts` are already sorted by target (root included)."""

    meta: ExecMeta
    mounts: tuple[Mount, ...]
    constraints: Constraints
    secrets: tuple[SecretMount, ...] = ()
    ssh: tuple[SSHMount, ...] = ()
    cdi_devices: tuple[CDIDevice, ...] = ()
    proxy_env: ProxyEnv | None = None
    _output_indexes: dict[str, int] = field(default_factory=dict, compare=False)

    def output_for(self, target: str) -> Output:
        """The output of the mount at `target` (for a read-only mount: its unchanged source)."""
        for m in self.mounts:
            if m.target != target:
                continue
            if m.readonly:
                if m.source is None:
                    raise LLBError(f"read-only mount {target} has no source to use as a parent")
                return m.source
            if m.kind is MountKind.TMPFS:
                raise LLBError(f"tmpfs mount for {target} can't be used as a parent")
            if m.no_output:
                raise LLBError(f"mount marked no-output and {target} can't be used as a parent")
            if m.kind is MountKind.CACHE:
                raise LLBError(f"invalid mount: {target}")
            return Output(self, self._output_indexes[target], self.constraints.platform)
        raise LLBError(f"no mount at {target}")

    def inputs(self) -> tuple[Output, ...]:
        seen: list[Output] = []
        for m in self.mounts:
            if m.source is not None and m.source not in seen:
                seen.append(m.source)
        return tuple(seen)

    def marshal(self, ctx: MarshalContext) -> Marshaled:
        meta = self.meta
        if not meta.args:
            raise LLBError("arguments are required")
        if not meta.cwd:
            raise LLBError("working directory is required")
        own = self.constraints
        env = meta.env
        ssh = self.ssh
        if ssh and env.get("SSH_AUTH_SOCK") is None:
            env = env.add_or_replace("SSH_AUTH_SOCK", ssh[0].target)
        if ctx.caps is not None:
            if caps.EXEC_META_SETS_DEFAULT_PATH in ctx.caps:
                own = own.with_caps(caps.EXEC_META_SETS_DEFAULT_PATH)
            else:
                # Older engines do not add PATH themselves; BuildKit #5445: never on Windows.
                os_name = "linux"
                if ctx.constraints.platform is not None:
                    os_name = ctx.constraints.platform.os
                elif own.platform is not None:
                    os_name = own.platform.os
                if os_name != "windows":
                    env = env.set_default("PATH", DEFAULT_PATH_UNIX)

        pmeta = pb.Meta(
            args=list(meta.args),
            env=env.to_list(),
            cwd=meta.cwd,
            user=meta.user,
            hostname=meta.hostname,
            cgroupParent=meta.cgroup_parent,
            removeMountStubsRecursive=True,
        )
        if meta.valid_exit_codes is not None:
            pmeta.validExitCodes.extend(meta.valid_exit_codes)
            own = own.with_caps(caps.EXEC_VALID_EXIT_CODE)
        for host in meta.extra_hosts:
            pmeta.extraHosts.append(pb.HostIP(Host=host.host, IP=host.ip))
        if meta.ulimits:
            own = own.with_caps(caps.EXEC_META_ULIMIT)
            for u in meta.ulimits:
                pmeta.ulimit.append(pb.Ulimit(Name=u.name, Soft=u.soft, Hard=u.hard))

        if meta.network is not NetMode.SANDBOX:
            own = own.with_caps(caps.EXEC_META_NETWORK)
        if meta.security is SecurityMode.INSECURE:
            own = own.with_caps(caps.EXEC_META_SECURITY)
        elif meta.security is not SecurityMode.SANDBOX:  # pragma: no cover - enum guards this
            raise LLBError(f"invalid security mode {meta.security}")

        if self.proxy_env is not None:
            p = self.proxy_env
            pmeta.proxy_env.CopyFrom(
                pb.ProxyEnv(
                    http_proxy=p.http_proxy,
                    https_proxy=p.https_proxy,
                    ftp_proxy=p.ftp_proxy,
                    no_proxy=p.no_proxy,
                    all_proxy=p.all_proxy,
                )
            )
            own = own.with_caps(caps.EXEC_META_PROXY)
        own = own.with_caps(caps.EXEC_META_BASE)

        for m in self.mounts:
            if m.selector:
                own = own.with_caps(caps.EXEC_MOUNT_SELECTOR)
            if m.cache_id:
                own = own.with_caps(caps.EXEC_MOUNT_CACHE, caps.EXEC_MOUNT_CACHE_SHARING)
            elif m.kind is MountKind.TMPFS:
                own = own.with_caps(caps.EXEC_MOUNT_TMPFS)
                if m.tmpfs_size > 0:
                    own = own.with_caps(caps.EXEC_MOUNT_TMPFS_SIZE)
            elif m.source is not None:
                own = own.with_caps(caps.EXEC_MOUNT_BIND)
            if m.content_cache is not MountContentCache.DEFAULT:
                own = own.with_caps(caps.EXEC_MOUNT_CONTENT_CACHE)
        if self.secrets:
            own = own.with_caps(caps.EXEC_MOUNT_SECRET)
            if any(s.env is not None for s in self.secrets):
                own = own.with_caps(caps.EXEC_SECRET_ENV)
        if ssh:
            own = own.with_caps(caps.EXEC_MOUNT_SSH)
        if self.cdi_devices:
            own = own.with_caps(caps.EXEC_META_CDI)

        op, metadata = marshal_constraints(ctx, own)
        exec_op = op.exec
        exec_op.meta.CopyFrom(pmeta)
        exec_op.network = int(meta.network)
        exec_op.security = int(meta.security)
        for d in self.cdi_devices:
            exec_op.cdiDevices.append(pb.CDIDevice(name=d.name, optional=d.optional))

        out_index = 0
        for m in self.mounts:
            input_index = len(op.inputs)
            if m.source is not None:
                if m.kind is MountKind.TMPFS:
                    raise LLBError("tmpfs mounts must use scratch")
                inp = ctx.to_input(m.source)
                for i, existing in enumerate(op.inputs):
                    if existing == inp:
                        input_index = i
                        break
                else:
                    op.inputs.append(inp)
            else:
                input_index = EMPTY_INPUT
            output_index = SKIP_OUTPUT
            if m.produces_output:
                output_index = out_index
                out_index += 1
            pm = pb.Mount(
                input=input_index,
                dest=m.target,
                readonly=m.readonly,
                output=output_index,
                selector=m.selector,
                contentCache=m.content_cache.name,
            )
            if m.cache_id:
                pm.mountType = pb.CACHE
                pm.cacheOpt.CopyFrom(pb.CacheOpt(ID=m.cache_id, sharing=m.sharing.name))
            if m.kind is MountKind.TMPFS:
                pm.mountType = pb.TMPFS
                pm.TmpfsOpt.CopyFrom(pb.TmpfsOpt(size=m.tmpfs_size))
            exec_op.mounts.append(pm)

        for s in self.secrets:
            if s.env is not None:
                exec_op.secretenv.append(pb.SecretEnv(ID=s.id, name=s.env, optional=s.optional))
            if s.target is not None:
                exec_op.mounts.append(
                    pb.Mount(
                        input=EMPTY_INPUT,
                        dest=s.target,
                        mountType=pb.SECRET,
                        secretOpt=pb.SecretOpt(ID=s.id, uid=s.uid, gid=s.gid, mode=s.mode, optional=s.optional),
                    )
                )
        for sh in ssh:
            exec_op.mounts.append(
                pb.Mount(
                    input=EMPTY_INPUT,
                    dest=sh.target,
                    mountType=pb.SSH,
                    SSHOpt=pb.SSHOpt(ID=sh.id, uid=sh.uid, gid=sh.gid, mode=sh.mode, optional=sh.optional),
                )
            )
        return finish(op, metadata, own.locations)


def new_exec(
    meta: ExecMeta,
    root: Output | None,
    mounts: Sequence[Mount],
    constraints: Constraints,
    *,
    readonly_root: bool = False,
    secrets: Sequence[SecretMount] = (),
    ssh: Sequence[SSHMount] = (),
    cdi_devices: Sequence[CDIDevice] = (),
    proxy_env: ProxyEnv | None = None,
) -> ExecOp:
    """Assemble an exec: root mount plus `mounts`, sorted, with each output index fixed up front."""
    all_mounts = [Mount(ROOT_MOUNT, root, readonly=readonly_root), *mounts]
    # Stable sort by target: the engine pairs outputs with mounts in this order.
    all_mounts.sort(key=lambda m: m.target.encode())
    ssh_fixed = tuple(
        s if s.target else SSHMount(s.id, f"/run/buildkit/ssh_agent.{i}", s.uid, s.gid, s.mode, s.optional)
        for i, s in enumerate(ssh)
    )
    indexes: dict[str, int] = {}
    i = 0
    for m in all_mounts:
        if m.produces_output:
            indexes.setdefault(m.target, i)
            i += 1
    return ExecOp(
        meta,
        tuple(all_mounts),
        constraints,
        tuple(secrets),
        ssh_fixed,
        tuple(cdi_devices),
        proxy_env,
        indexes,
    )
