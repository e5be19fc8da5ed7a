"""Which COPY/ADD sources are git repositories, and what their URL asks for (ref, subdir, options).

Follows the engine's frontend (`dfgitutil.ParseGitRef`, Dockerfile 1.19): `git://`, `ssh://`,
`http(s)://...*.git` and scp-like `user@host:path` are git; `./`, `../`, unknown schemes and plain
paths are not; `github.com/...` parses as git but "cannot be told from a local path", so ADD copies it
from the context. A fragment gives `ref[:subdir]`; a query may give `ref`, `tag`, `branch`,
`subdir`, `checksum`/`commit`, `keep-git-dir` and `submodules`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from buildwright._golang import parse_bool, quote
from buildwright._values import valueclass

_PROTOCOL = re.compile(r"^[a-zA-Z0-9]+://")
_SUPPORTED = frozenset({"http", "https", "ssh", "git"})
_SCP_STYLE = re.compile(r"([a-zA-Z0-9\-_]+)@([a-zA-Z0-9\-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?", re.DOTALL)
_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})")
_TAG_PREFIX = "refs/tags/"
_BRANCH_PREFIX = "refs/heads/"


@valueclass
class GitRef:
    """A git source: the remote to fetch (no query or fragment) and what to check out of it."""

    remote: str
    ref: str = ""
    subdir: str = ""
    checksum: str = ""
    keep_git_dir: bool | None = None
    submodules: bool | None = None
    indistinguishable_from_local: bool = False


@valueclass
class GitRefParse:
    """The outcome of reading a source as a git URL.

    `is_git` with an `error` means a git URL whose query is invalid: the instruction fails.
    """

    ref: GitRef | None
    is_git: bool
    error: str | None = None


@valueclass
class _Url:
    scheme: str
    path: str
    remote: str
    query: dict[str, list[str]]
    fragment: str


def parse_git_ref(text: str) -> GitRefParse:
    """Read `text` as the engine's frontend does before deciding how to copy it."""
    if text.startswith(("./", "../")):
        return GitRefParse(None, False)
    local_like = text.startswith("github.com/")
    if local_like:
        url = _split_url("https", text)
    else:
        protocol = _PROTOCOL.match(text)
        if protocol is not None:
            scheme = protocol.group(0)[:-3].lower()
            if scheme not in _SUPPORTED:
                return GitRefParse(None, False, f"{scheme}: invalid protocol")
            url = _split_url(scheme, text)
        else:
            scp = _SCP_STYLE.fullmatch(text)
            if scp is None:
                return GitRefParse(None, False, "unknown protocol")
            user, host, path, query, fragment = scp.groups()
            url = _Url("ssh", path, f"{user}@{host}:{path}", _parse_query(query or ""), fragment or "")
        if url.scheme in ("http", "https") and not url.path.endswith(".git"):
            return GitRefParse(None, False, "invalid argument")
    remote = url.remote
    if local_like:
        remote = remote.split("://", 1)[-1]
    ref, _, subdir = url.fragment.partition(":")
    try:
        return GitRefParse(_load_query(GitRef(remote, ref, subdir, indistinguishable_from_local=local_like), url), True)
    except ValueError as exc:
        return GitRefParse(None, True, str(exc))


def _split_url(scheme: str, text: str) -> _Url:
    # Go's url.Parse: the fragment starts at the first '#', the query at the first '?' before it.
    rest, _, fragment = text.partition("#")
    remote, _, raw_query = rest.partition("?")
    path = ""
    if "://" in remote:
        after_scheme = remote.split("://", 1)[1]
        remote = f"{scheme}://{after_scheme}"  # Go's url.Parse lower-cases the scheme
        slash = after_scheme.find("/")
        if slash >= 0:
            path = unquote(after_scheme[slash:])
    else:
        remote = f"{scheme}://{remote}"
    return _Url(scheme, path, remote, _parse_query(raw_query), unquote(fragment))


def _parse_query(raw: str) -> dict[str, list[str]]:
    # Go's url.ParseQuery as URL.Query() uses it: '&'-separated, bad pairs silently dropped.
    values: dict[str, list[str]] = {}
    for pair in raw.split("&"):
        if not pair or ";" in pair:
            continue
        key, _, value = pair.partition("=")
        if _BAD_ESCAPE.search(key) or _BAD_ESCAPE.search(value):
            continue
        values.setdefault(unquote(key.replace("+", " ")), []).append(unquote(value.replace("+", " ")))
    return values


def _parse_bool(key: str, values: list[str]) -> bool:
    if not values:
        return True
    flag = parse_bool(values[0])
    if flag is None:
        raise ValueError(f"invalid {key} value: {quote(values[0])}")
    return flag


def _load_query(ref: GitRef, url: _Url) -> GitRef:
    name, subdir = ref.ref, ref.subdir
    checksum = ""
    keep_git_dir: bool | None = None
    submodules: bool | None = None
    tag = branch = ""
    # The reference walks a Go map (random order); keys are taken in a fixed order here.
    for key in sorted(url.query):
        values = url.query[key]
        if len(values) > 1:
            raise ValueError(f"query {quote(key)} has multiple values")
        if not values or values[0] == "":
            if key not in ("submodules", "keep-git-dir"):
                raise ValueError(f"query {quote(key)} has no value")
            values = []
        if key == "ref":
            if name and name != values[0]:
                raise ValueError(f"ref conflicts: {quote(name)} vs {quote(values[0])}")
            name = values[0]
        elif key == "tag":
            tag = values[0]
        elif key == "branch":
            branch = values[0]
        elif key == "subdir":
            if subdir and subdir != values[0]:
                raise ValueError(f"subdir conflicts: {quote(subdir)} vs {quote(values[0])}")
            subdir = values[0]
        elif key in ("checksum", "commit"):
            checksum = values[0]
        elif key == "keep-git-dir":
            keep_git_dir = _parse_bool(key, values)
        elif key == "submodules":
            submodules = _parse_bool(key, values)
        else:
            raise ValueError(f"unexpected query {quote(key)}")
    if tag:
        tag = tag if tag.startswith(_TAG_PREFIX) else _TAG_PREFIX + tag
        if name and name != tag:
            raise ValueError(f"ref conflicts: {quote(name)} vs {quote(tag)}")
        name = tag
    if branch:
        if tag:
            raise ValueError("branch conflicts with tag")
        branch = branch if branch.startswith(_BRANCH_PREFIX) else _BRANCH_PREFIX + branch
        if name and name != branch:
            raise ValueError(f"ref conflicts: {quote(name)} vs {quote(branch)}")
        name = branch
    return GitRef(
        remote=ref.remote,
        ref=name,
        subdir=subdir,
        checksum=checksum,
        keep_git_dir=keep_git_dir,
        submodules=submodules,
        indistinguishable_from_local=ref.indistinguishable_from_local,
    )
