"""Mount builders for `State.run(mounts=...)`: bind, cache, tmpfs, secret and ssh.

Names follow the Go client's options (`AddMount`, `AsPersistentCacheDir`, `Tmpfs`,
`AddSecret`, `AddSSHSocket`).
"""

from __future__ import annotations

from buildwright.llb.exec import CacheSharing, Mount, MountContentCache, MountKind, SecretMount, SSHMount
from buildwright.llb.state import State


def bind(
    target: str,
    state: State,
    *,
    selector: str = "",
    readonly: bool = False,
    no_output: bool = False,
    content_cache: MountContentCache = MountContentCache.DEFAULT,
) -> Mount:
    """Mount `state` (its `selector` subpath) at `target`; writable unless `readonly`."""
    return Mount(
        target,
        state.output,
        MountKind.BIND,
        selector=selector,
        readonly=readonly,
        no_output=no_output,
        content_cache=content_cache,
    )


def cache(
    target: str,
    id: str,
    *,
    sharing: CacheSharing = CacheSharing.SHARED,
    source: State | None = None,
    selector: str = "",
    readonly: bool = False,
) -> Mount:
    """A persistent cache directory `id` at `target`, seeded from `source` when given."""
    return Mount(
        target,
        source.output if source is not None else None,
        MountKind.CACHE,
        selector=selector,
        readonly=readonly,
        cache_id=id,
        sharing=sharing,
    )


def tmpfs(target: str, *, size: int = 0) -> Mount:
    """A tmpfs at `target`, limited to `size` bytes when positive."""
    return Mount(target, None, MountKind.TMPFS, tmpfs_size=size)


def secret(
    id: str,
    *,
    target: str | None = None,
    env: str | None = None,
    uid: int = 0,
    gid: int = 0,
    mode: int = 0o400,
    optional: bool = False,
) -> SecretMount:
    """Secret `id` as a file at `target` and/or as environment variable `env`."""
    return SecretMount(id, target, env, uid, gid, mode, optional)


def ssh(
    id: str = "",
    *,
    target: str = "",
    uid: int = 0,
    gid: int = 0,
    mode: int = 0o600,
    optional: bool = False,
) -> SSHMount:
    """Forward the client's SSH agent `id` as a socket at `target` (default per index)."""
    return SSHMount(id, target, uid, gid, mode, optional)
