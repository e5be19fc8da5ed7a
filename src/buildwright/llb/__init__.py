"""LLB: an immutable State API over BuildKit's low-level build graph, and its deterministic marshalling.

Names keep BuildKit's Go `client/llb` words (`image`, `local`, `scratch`, `run`, `file`,
`mkdir`, `copy`, `merge`, `diff`) so its documentation maps one to one.
"""

from buildwright.llb import caps
from buildwright.llb.constraints import CUSTOM_NAME_KEY, OpMetadata, OpOptions, ProgressGroup
from buildwright.llb.definition import Definition
from buildwright.llb.env import EnvList
from buildwright.llb.exec import (
    CacheSharing,
    CDIDevice,
    HostIP,
    Mount,
    MountContentCache,
    NetMode,
    ProxyEnv,
    SecretMount,
    SecurityMode,
    SSHMount,
    Ulimit,
)
from buildwright.llb.fileop import (
    Chown,
    CopyInfo,
    CopyOptions,
    FileAction,
    FileActionWithState,
    UserOpt,
    copy,
    mkdir,
    mkfile,
    rm,
    symlink,
)
from buildwright.llb.mounts import bind, cache, secret, ssh, tmpfs
from buildwright.llb.platform import Platform, default_platform
from buildwright.llb.reference import normalize_image_ref
from buildwright.llb.source import DiffType, ResolveMode
from buildwright.llb.sourcemap import SourceLocation, SourceMap
from buildwright.llb.state import (
    ExecState,
    LateState,
    State,
    StateMeta,
    diff,
    git,
    http,
    image,
    local,
    merge,
    oci_layout,
    scratch,
)
from buildwright.llb.vertex import digest_of

__all__ = [
    "CUSTOM_NAME_KEY",
    "CDIDevice",
    "CacheSharing",
    "Chown",
    "CopyInfo",
    "CopyOptions",
    "Definition",
    "DiffType",
    "EnvList",
    "ExecState",
    "FileAction",
    "FileActionWithState",
    "HostIP",
    "LateState",
    "Mount",
    "MountContentCache",
    "NetMode",
    "OpMetadata",
    "OpOptions",
    "Platform",
    "ProgressGroup",
    "ProxyEnv",
    "ResolveMode",
    "SSHMount",
    "SecretMount",
    "SecurityMode",
    "SourceLocation",
    "SourceMap",
    "State",
    "StateMeta",
    "Ulimit",
    "UserOpt",
    "bind",
    "cache",
    "caps",
    "copy",
    "default_platform",
    "diff",
    "digest_of",
    "git",
    "http",
    "image",
    "local",
    "merge",
    "mkdir",
    "mkfile",
    "normalize_image_ref",
    "oci_layout",
    "rm",
    "scratch",
    "secret",
    "ssh",
    "symlink",
    "tmpfs",
]
