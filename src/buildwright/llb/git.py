"""Git sources: turning a remote URL plus `ref:subdir` into a `git://` identifier and attributes.

The identifier is host + cleaned path (so https and ssh remotes of one repository share cache),
following BuildKit's `client/llb/source.go` (`Git`) and `util/gitutil` URL parsing. Unlike the
Go client, known SSH hosts are never fetched here (no `ssh-keyscan` at marshal time): pass them.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from urllib.parse import unquote, urlsplit

from buildwright import _gopath
from buildwright._values import valueclass
from buildwright.llb import caps
from buildwright.llb.constraints import Constraints
from buildwright.llb.source import SourceOp

ATTR_KEEP_GIT_DIR = "git.keepgitdir"
ATTR_FULL_REMOTE_URL = "git.fullurl"
ATTR_AUTH_HEADER_SECRET = "git.authheadersecret"
ATTR_AUTH_TOKEN_SECRET = "git.authtokensecret"
ATTR_KNOWN_SSH_HOSTS = "git.knownsshhosts"
ATTR_MOUNT_SSH_SOCK = "git.mountsshsock"
ATTR_CHECKSUM = "git.checksum"
ATTR_SKIP_SUBMODULES = "git.skipsubmodules"
ATTR_MTIME = "git.mtime"

AUTH_HEADER_KEY = "GIT_AUTH_HEADER"
AUTH_TOKEN_KEY = "GIT_AUTH_TOKEN"

_PROTO = re.compile(r"^[a-zA-Z0-9]+://")
_SCP = re.compile(r"^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$")
_SUPPORTED = frozenset({"http", "https", "ssh", "git"})


@valueclass
class GitRemote:
    """A parsed git remote: scheme, host (with port), path, and the URL without query/fragment."""

    scheme: str
    host: str
    path: str
    remote: str


class _UnknownProtocol(Exception):
    pass


class _InvalidURL(Exception):
    pass


def parse_git_url(url: str) -> GitRemote:
    """Parse `url` like gitutil.ParseURL; raises on unknown or unsupported protocols."""
    proto = _PROTO.match(url)
    if proto is not None:
        scheme = proto.group(0)[:-3].lower()
        if scheme not in _SUPPORTED:
            raise _InvalidURL(scheme)
        parts = urlsplit(url)
        remote = url.split("#", 1)[0].split("?", 1)[0]
        return GitRemote(scheme, parts.netloc.rpartition("@")[2], unquote(parts.path), remote)
    scp = _SCP.match(url)
    if scp is not None:
        user, host, path = scp.group(1), scp.group(2), scp.group(3)
        return GitRemote("ssh", host, path, f"{user}@{host}:{path}")
    raise _UnknownProtocol(url)


def git_source(
    url: str,
    fragment: str,
    constraints: Constraints,
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
) -> SourceOp:
    """A `git://` source for `url` at `fragment` (`ref[:subdir]`); keyword options override it."""
    remote: GitRemote | None
    try:
        remote = parse_git_url(url)
    except _UnknownProtocol:
        url = "https://" + url
        try:
            remote = parse_git_url(url)
        except (_UnknownProtocol, _InvalidURL):
            remote = None
    except _InvalidURL:
        remote = None
    if remote is not None:
        url = remote.remote

    frag_ref, has_subdir, frag_subdir = fragment.partition(":")
    frag_subdir = _gopath.join("/", frag_subdir).removeprefix("/")
    the_ref = frag_ref
    the_subdir = frag_subdir if has_subdir and frag_subdir else ""
    if ref is not None:
        the_ref = ref
    if subdir is not None:
        the_subdir = subdir

    if remote is None:
        # The engine reports the bad URL; the identifier is just the text.
        identifier = url
    else:
        identifier = remote.host + _gopath.join("/", remote.path)
        if the_ref or the_subdir:
            identifier += "#" + the_ref
            if the_subdir:
                identifier += ":" + the_subdir

    c = constraints
    attrs: dict[str, str] = {}
    add_auth_cap = auth_token_secret is not None or auth_header_secret is not None
    if keep_git_dir:
        attrs[ATTR_KEEP_GIT_DIR] = "true"
        c = c.with_caps(caps.SOURCE_GIT_KEEP_DIR)
    if url:
        attrs[ATTR_FULL_REMOTE_URL] = url
        c = c.with_caps(caps.SOURCE_GIT_FULL_URL)
    token = auth_token_secret if auth_token_secret is not None else AUTH_TOKEN_KEY
    header = auth_header_secret if auth_header_secret is not None else AUTH_HEADER_KEY
    if token:
        attrs[ATTR_AUTH_TOKEN_SECRET] = token
        if add_auth_cap:
            c = c.with_caps(caps.SOURCE_GIT_HTTP_AUTH)
    if header:
        attrs[ATTR_AUTH_HEADER_SECRET] = header
        if add_auth_cap:
            c = c.with_caps(caps.SOURCE_GIT_HTTP_AUTH)
    if remote is not None and remote.scheme == "ssh":
        if known_ssh_hosts:
            attrs[ATTR_KNOWN_SSH_HOSTS] = known_ssh_hosts.removesuffix("\n") + "\n"
        c = c.with_caps(caps.SOURCE_GIT_KNOWN_SSH_HOSTS)
        attrs[ATTR_MOUNT_SSH_SOCK] = mount_ssh_sock or "default"
        c = c.with_caps(caps.SOURCE_GIT_MOUNT_SSH_SOCK)
    if checksum:
        attrs[ATTR_CHECKSUM] = checksum
        c = c.with_caps(caps.SOURCE_GIT_CHECKSUM)
    if skip_submodules:
        attrs[ATTR_SKIP_SUBMODULES] = "true"
        c = c.with_caps(caps.SOURCE_GIT_SKIP_SUBMODULES)
    if mtime:
        attrs[ATTR_MTIME] = mtime
        c = c.with_caps(caps.SOURCE_GIT_MTIME)
    c = c.with_caps(caps.SOURCE_GIT)
    return SourceOp("git://" + identifier, MappingProxyType(attrs), c)
