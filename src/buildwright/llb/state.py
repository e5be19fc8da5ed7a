"""`State`: an immutable handle on a filesystem being built, plus the process settings
(env, working directory, user, platform, network...) that later `run` calls use.

Every method returns a new State; nothing is computed until `marshal()`. The shape and the
defaults follow BuildKit's Go `client/llb` (`state.go`, `meta.go`, `source.go`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from typing import Any, Unpack

from buildwright import _gopath
from buildwright._frozen import replace
from buildwright._values import valueclass
from buildwright.errors import LLBError
from buildwright.llb.constraints import Constraints, OpOptions, make_constraints
from buildwright.llb.definition import Definition
from buildwright.llb.env import EnvList
from buildwright.llb.exec import (
    CDIDevice,
    ExecMeta,
    ExecOp,
    HostIP,
    Mount,
    NetMode,
    ProxyEnv,
    SecretMount,
    SecurityMode,
    SSHMount,
    Ulimit,
    new_exec,
)
from buildwright.llb.fileop import FileAction, FileOp, check_action
from buildwright.llb.git import git_source
from buildwright.llb.marshal import marshal
from buildwright.llb.merge import DiffOp, MergeOp
from buildwright.llb.platform import Platform
from buildwright.llb.source import DiffType, ResolveMode, http_source, image_source, local_source, oci_layout_source
from buildwright.llb.sourcemap import SourceMap
from buildwright.llb.vertex import LateVertex, Output

# Where an op came from: source-map locations, or bare Dockerfile ranges (see `SourceMap`).


@valueclass
class StateMeta:
    """The process settings a state carries (BuildKit's state values `llb.exec.*`)."""

    env: EnvList = field(default_factory=EnvList)
    dir: str = "/"
    user: str = ""
    hostname: str = ""
    platform: Platform | None = None
    network: NetMode = NetMode.SANDBOX
    security: SecurityMode = SecurityMode.SANDBOX
    extra_hosts: tuple[HostIP, ...] = ()
    ulimits: tuple[Ulimit, ...] = ()
    cgroup_parent: str = ""


@valueclass
class State:
    """A filesystem (the `output` of some op, or None for scratch) plus process settings."""

    output: Output | None = None
    meta: StateMeta = field(default_factory=StateMeta)

    # -- getters -----------------------------------------------------------------------------
    @property
    def env(self) -> EnvList:
        """Environment variables, in BuildKit's order."""
        return self.meta.env

    def get_env(self, key: str) -> str | None:
        """The value of one variable, or None."""
        return self.meta.env.get(key)

    @property
    def dir(self) -> str:
        """Working directory."""
        return self.meta.dir

    @property
    def user(self) -> str:
        """User processes run as ("" means the image default)."""
        return self.meta.user

    @property
    def hostname(self) -> str:
        """Hostname of processes."""
        return self.meta.hostname

    @property
    def platform(self) -> Platform | None:
        """Platform of this state (None: the marshal call's platform)."""
        return self.meta.platform

    @property
    def network(self) -> NetMode:
        """Network mode of processes."""
        return self.meta.network

    @property
    def security(self) -> SecurityMode:
        """Security mode of processes."""
        return self.meta.security

    # -- setters -----------------------------------------------------------------------------
    def _with_meta(self, **changes: Any) -> State:
        return State(self.output, replace(self.meta, **changes))

    def with_env(self, key: str, value: str) -> State:
        """Set `key` (moving it to the end of the environment)."""
        return self._with_meta(env=self.meta.env.add_or_replace(key, value))

    add_env = with_env

    def without_env(self, key: str) -> State:
        """Unset `key`."""
        return self._with_meta(env=self.meta.env.delete(key))

    def with_dir(self, path: str) -> State:
        """Set the working directory; a relative `path` is joined to the current one."""
        if not _gopath.is_abs(path):
            path = _gopath.join(self.meta.dir or "/", path)
        return self._with_meta(dir=path)

    def with_user(self, user: str) -> State:
        """Set the user processes run as."""
        return self._with_meta(user=user)

    def with_hostname(self, hostname: str) -> State:
        """Set the hostname of processes."""
        return self._with_meta(hostname=hostname)

    def with_platform(self, platform: Platform) -> State:
        """Set the platform (normalised)."""
        return self._with_meta(platform=platform.normalized())

    def with_network(self, network: NetMode) -> State:
        """Set the network mode of processes."""
        return self._with_meta(network=network)

    def with_security(self, security: SecurityMode) -> State:
        """Set the security mode of processes."""
        return self._with_meta(security=security)

    def with_extra_host(self, host: str, ip: str) -> State:
        """Add an /etc/hosts entry for processes."""
        return self._with_meta(extra_hosts=(*self.meta.extra_hosts, HostIP(host, ip)))

    def with_ulimit(self, name: str, soft: int, hard: int) -> State:
        """Add a resource limit for processes."""
        return self._with_meta(ulimits=(*self.meta.ulimits, Ulimit(name, soft, hard)))

    def with_cgroup_parent(self, parent: str) -> State:
        """Set the parent cgroup of processes."""
        return self._with_meta(cgroup_parent=parent)

    def with_output(self, output: Output | None) -> State:
        """The same settings over another filesystem; an output's own platform wins."""
        meta = self.meta
        if output is not None and output.platform is not None:
            meta = replace(meta, platform=output.platform)
        return State(output, meta)

    def with_image_config(self, config: bytes | str | Mapping[str, Any]) -> State:
        """Apply an OCI image config: its Env, WorkingDir, and platform (Go `WithImageConfig`)."""
        doc: Mapping[str, Any] = config if isinstance(config, Mapping) else json.loads(config)
        cfg = doc.get("config") or {}
        s = self
        for item in cfg.get("Env") or ():
            key, _, value = str(item).partition("=")
            if key:
                s = s.with_env(key, value)
        s = s.with_dir(str(cfg.get("WorkingDir") or ""))
        if doc.get("architecture") and doc.get("os"):
            s = s.with_platform(
                Platform(
                    str(doc["os"]),
                    str(doc["architecture"]),
                    str(doc.get("variant") or ""),
                    str(doc.get("os.version") or ""),
                )
            )
        return s

    def with_(self, fn: Callable[[State], State]) -> State:
        """Apply a reusable step."""
        return fn(self)

    # -- ops ---------------------------------------------------------------------------------
    def run(
        self,
        args: Sequence[str],
        *,
        mounts: Sequence[Mount | SecretMount | SSHMount] = (),
        readonly_rootfs: bool = False,
        network: NetMode | None = None,
        security: SecurityMode | None = None,
        hostname: str | None = None,
        user: str | None = None,
        dir: str | None = None,
        env: Mapping[str, str] | None = None,
        valid_exit_codes: Sequence[int] | None = None,
        extra_hosts: Sequence[HostIP] = (),
        ulimits: Sequence[Ulimit] = (),
        cgroup_parent: str | None = None,
        cdi_devices: Sequence[CDIDevice] = (),
        proxy_env: ProxyEnv | None = None,
        export_cache: bool | None = None,
        platform: Platform | None = None,
        **options: Unpack[OpOptions],
    ) -> ExecState:
        """Run `args` in a container whose root is this state.

        Keyword settings (network, user, env...) apply to this one process only; the
        returned `ExecState.root()` keeps this state's own settings, as in the Go client.
        """
        if isinstance(args, str):
            raise LLBError("run() takes an argument list, not a string")
        base = self
        if dir is not None:
            base = base.with_dir(dir)
        if user is not None:
            base = base.with_user(user)
        if hostname is not None:
            base = base.with_hostname(hostname)
        if network is not None:
            base = base.with_network(network)
        if security is not None:
            base = base.with_security(security)
        if cgroup_parent is not None:
            base = base.with_cgroup_parent(cgroup_parent)
        for key, value in (env or {}).items():
            base = base.with_env(key, value)
        for h in extra_hosts:
            base = base.with_extra_host(h.host, h.ip)
        for u in ulimits:
            base = base.with_ulimit(u.name, u.soft, u.hard)
        c = make_constraints(export_cache=export_cache, platform=platform, **options)
        m = base.meta
        # The exec's platform: its own constraint, else the state's (else marshal's).
        c = c.with_platform_default(m.platform)
        meta = ExecMeta(
            args=tuple(args),
            env=m.env,
            cwd=m.dir,
            user=m.user,
            hostname=m.hostname,
            cgroup_parent=m.cgroup_parent,
            valid_exit_codes=tuple(valid_exit_codes) if valid_exit_codes is not None else None,
            extra_hosts=m.extra_hosts,
            ulimits=m.ulimits,
            network=m.network,
            security=m.security,
        )
        plain = [x for x in mounts if isinstance(x, Mount)]
        secrets = [x for x in mounts if isinstance(x, SecretMount)]
        ssh = [x for x in mounts if isinstance(x, SSHMount)]
        op = new_exec(
            meta,
            self.output,
            plain,
            c,
            readonly_root=readonly_rootfs,
            secrets=secrets,
            ssh=ssh,
            cdi_devices=cdi_devices,
            proxy_env=proxy_env,
        )
        # The root output carries only the platform the run itself asked for.
        root_out = self.output if readonly_rootfs else _exec_output(op, "/", platform)
        return ExecState(self.with_output(root_out), op, platform.normalized() if platform else None)

    def file(
        self,
        action: FileAction,
        *,
        export_cache: bool | None = None,
        platform: Platform | None = None,
        **options: Unpack[OpOptions],
    ) -> State:
        """Apply a chain of file actions (`mkdir`, `mkfile`, `rm`, `symlink`, `copy`) to this state."""
        bound = check_action(action)._bind(self)
        c = make_constraints(export_cache=export_cache, platform=platform, **options)
        return self.with_output(FileOp(bound, c).output())

    def marshal(
        self,
        *,
        platform: Platform | None = None,
        caps: frozenset[str] | None = None,
        local_unique_id: str | None = None,
        worker_constraints: Sequence[str] = (),
        source_maps: Sequence[SourceMap] = (),
    ) -> Definition:
        """Marshal this state's graph.

        Args:
            platform: default platform for ops that have none (this machine's when omitted).
            caps: LLB caps the engine supports (from its Ping); None when unknown. When given,
                execs rely on the engine's default PATH if it can set it, else carry one.
            local_unique_id: `local.unique` for local sources that have no session id.
            worker_constraints: containerd-style worker filters added to every op.
            source_maps: files that bare `SourceRange` locations refer to, matched by filename.
        """
        return marshal(
            self.output,
            platform=platform,
            caps=caps,
            local_unique_id=local_unique_id,
            constraints=Constraints(worker_constraints=tuple(worker_constraints)),
            source_maps=source_maps,
        )


def _exec_output(op: ExecOp, target: str, platform: Platform | None) -> Output:
    out = op.output_for(target)
    if out.vertex is op:
        return Output(op, out.index, platform.normalized() if platform else None)
    return out


@valueclass
class ExecState:
    """The result of `State.run`: the new root and access to the exec's other mounts."""

    _root: State
    op: ExecOp
    _platform: Platform | None = None

    def root(self) -> State:
        """The root filesystem after the process ran, with the original state's settings."""
        return self._root

    def get_mount(self, target: str) -> State:
        """The filesystem of the mount at `target` after the process ran (fresh settings)."""
        return _new_state(_exec_output(self.op, target, self._platform))


def _new_state(output: Output | None) -> State:
    return State().with_output(output)


def scratch() -> State:
    """An empty filesystem."""
    return State()


class LateState:
    """A state whose filesystem is decided after the ops reading it are made (see `LateVertex`).

    `state` can be used at once; `bind` gives it its filesystem, once, before marshalling.
    """

    __slots__ = ("_vertex", "state")

    def __init__(self) -> None:
        self._vertex = LateVertex()
        self.state = State(Output(self._vertex))

    def bind(self, state: State) -> None:
        if state.output is None:
            raise LLBError("a late state is bound to an op's output, not to scratch")
        self._vertex.bind(state.output)


def image(
    ref: str,
    *,
    platform: Platform | None = None,
    resolve_mode: ResolveMode | None = None,
    record_type: str | None = None,
    layer_limit: int | None = None,
    checksum: str | None = None,
    **options: Unpack[OpOptions],
) -> State:
    """A registry image (`docker-image://`); `ref` is normalised like `docker.io/library/x:latest`.

    Apply the image's config (env, workdir, platform) with `State.with_image_config`.
    """
    c = make_constraints(platform=platform, **options)
    op = image_source(
        ref, c, resolve_mode=resolve_mode, record_type=record_type, layer_limit=layer_limit, checksum=checksum
    )
    return _new_state(op.output())


def oci_layout(
    ref: str, *, session_id: str, store_id: str, platform: Platform | None = None, **options: Unpack[OpOptions]
) -> State:
    """An image in an OCI layout the client serves in its session (`oci-layout://name@digest`);
    apply its config with `State.with_image_config`."""
    c = make_constraints(platform=platform, **options)
    return _new_state(oci_layout_source(ref, c, session_id=session_id, store_id=store_id).output())


def local(
    name: str,
    *,
    session_id: str | None = None,
    shared_key_hint: str | None = None,
    include_patterns: Sequence[str] = (),
    exclude_patterns: Sequence[str] = (),
    follow_paths: Sequence[str] = (),
    differ: DiffType | None = None,
    differ_required: bool = False,
    metadata_only: bool = False,
    metadata_only_exceptions: Sequence[str] = (),
    local_unique_id: str | None = None,
    **options: Unpack[OpOptions],
) -> State:
    """A client-side directory (`local://name`) sent through the session `session_id`."""
    c = make_constraints(**options)
    op = local_source(
        name,
        c,
        session_id=session_id,
        shared_key_hint=shared_key_hint,
        include_patterns=include_patterns,
        exclude_patterns=exclude_patterns,
        follow_paths=follow_paths,
        differ=differ,
        differ_required=differ_required,
        metadata_only=metadata_only,
        metadata_only_exceptions=metadata_only_exceptions,
        local_unique_id=local_unique_id,
    )
    return _new_state(op.output())


def http(
    url: str,
    *,
    checksum: str | None = None,
    filename: str | None = None,
    perm: int = 0,
    uid: int = 0,
    gid: int = 0,
    auth_header_secret: str | None = None,
    accept: str | None = None,
    user_agent: str | None = None,
    **options: Unpack[OpOptions],
) -> State:
    """A file downloaded over HTTP(S), saved as `filename` (default: from the URL)."""
    c = make_constraints(**options)
    op = http_source(
        url,
        c,
        checksum=checksum,
        filename=filename,
        perm=perm,
        uid=uid,
        gid=gid,
        auth_header_secret=auth_header_secret,
        accept=accept,
        user_agent=user_agent,
    )
    return _new_state(op.output())


def git(
    url: str,
    fragment: str = "",
    *,
    ref: str | None = None,
    subdir: str | None = None,
    keep_git_dir: bool = False,
    auth_token_secret: str | None = None,
    auth_header_secret: str | None = None,
    known_ssh_hosts: str | None = None,
    mount_ssh_sock: str | None = None,
    checksum: str | None = None,
    skip_submodules: bool = False,
    mtime: str | None = None,
    **options: Unpack[OpOptions],
) -> State:
    """A git repository checkout (`git://host/path#ref:subdir`); `fragment` is the old `ref:subdir` form."""
    c = make_constraints(**options)
    op = git_source(
        url,
        fragment,
        c,
        ref=ref,
        subdir=subdir,
        keep_git_dir=keep_git_dir,
        auth_token_secret=auth_token_secret,
        auth_header_secret=auth_header_secret,
        known_ssh_hosts=known_ssh_hosts,
        mount_ssh_sock=mount_ssh_sock,
        checksum=checksum,
        skip_submodules=skip_submodules,
        mtime=mtime,
    )
    return _new_state(op.output())


def merge(
    states: Sequence[State],
    **options: Unpack[OpOptions],
) -> State:
    """Stack `states` in order; scratch inputs are dropped, and one input is returned as is."""
    from buildwright.llb import caps

    kept = [s for s in states if s.output is not None]
    if not kept:
        return scratch()
    if len(kept) == 1:
        return kept[0]
    c = make_constraints(caps=(caps.MERGE_OP,), **options)
    outputs = tuple(s.output for s in kept if s.output is not None)
    return kept[0].with_output(MergeOp(outputs, c).output())


def diff(
    lower: State,
    upper: State,
    **options: Unpack[OpOptions],
) -> State:
    """The changes that turn `lower` into `upper`, as a filesystem."""
    from buildwright.llb import caps

    if lower.output is None:
        return scratch() if upper.output is None else upper
    c = make_constraints(caps=(caps.DIFF_OP,), **options)
    return lower.with_output(DiffOp(lower.output, upper.output, c).output())
