"""Walking a shared directory the way fsutil's sender does, producing fsutil `Stat` records.

Facts from tonistiigi/fsutil (fs.go, stat.go, stat_unix.go, filter.go, hardlinks.go) and buildkit's
client (which resets uid/gid to 0 before sending):

- order: depth first, a directory before its children, entries of a directory sorted by name bytes
  (Go's filepath.WalkDir); the root itself is not sent;
- `mode` is Go's os.FileMode (type bits at the top), with the socket bit cleared;
- a regular file whose inode was already sent carries `linkname` = the first path and size 0;
- include/exclude patterns follow fsutil's FilterFS: a skipped directory is still descended when a
  pattern might match inside it, and is sent (before its first kept child) only if something inside
  is kept.

Safety: directories are opened relative to their parent with O_NOFOLLOW, so a symlink (or a rename
during the walk) can never lead the walk outside the shared root.
"""

from __future__ import annotations

import contextlib
import errno
import operator
import os
import posixpath
import stat as st
from collections.abc import Callable, Iterator, Sequence
from dataclasses import field
from typing import Any, Protocol

from buildwright import _golang
from buildwright._pb import stat_pb2
from buildwright._values import valueclass
from buildwright.errors import BuildConfigError

# Go os.FileMode type bits (io/fs).
MODE_DIR = 1 << 31
MODE_SYMLINK = 1 << 27
MODE_DEVICE = 1 << 26
MODE_NAMED_PIPE = 1 << 25
MODE_SOCKET = 1 << 24
MODE_SETUID = 1 << 23
MODE_SETGID = 1 << 22
MODE_CHAR_DEVICE = 1 << 21
MODE_STICKY = 1 << 20
# Any of these set means "not a regular file": fsutil's receiver asks data only for files without them.
MODE_TYPE = MODE_DIR | MODE_SYMLINK | MODE_NAMED_PIPE | MODE_SOCKET | MODE_DEVICE | MODE_CHAR_DEVICE | (1 << 19)


def go_file_mode(st_mode: int) -> int:
    """Encode a POSIX st_mode as Go's os.FileMode, as os.Lstat does on Linux."""
    mode = st_mode & 0o777
    kind = st.S_IFMT(st_mode)
    if kind == st.S_IFBLK:
        mode |= MODE_DEVICE
    elif kind == st.S_IFCHR:
        mode |= MODE_DEVICE | MODE_CHAR_DEVICE
    elif kind == st.S_IFDIR:
        mode |= MODE_DIR
    elif kind == st.S_IFIFO:
        mode |= MODE_NAMED_PIPE
    elif kind == st.S_IFLNK:
        mode |= MODE_SYMLINK
    elif kind == st.S_IFSOCK:
        mode |= MODE_SOCKET
    if st_mode & st.S_ISGID:
        mode |= MODE_SETGID
    if st_mode & st.S_ISUID:
        mode |= MODE_SETUID
    if st_mode & st.S_ISVTX:
        mode |= MODE_STICKY
    return mode


def can_request_data(go_mode: int) -> bool:
    """Whether the receiver may ask for this entry's contents (a regular file)."""
    return go_mode & MODE_TYPE == 0


def _major(dev: int) -> int:
    return (dev >> 8) & 0xFFF


def _minor(dev: int) -> int:
    return (dev & 0xFF) | ((dev >> 12) & 0xFFF00)


class PathMatcher(Protocol):
    """What the walker needs from a pattern matcher (moby/patternmatcher semantics).

    `matches_using_parent_results` takes the opaque info returned for the parent directory (or
    nothing for a top-level entry) and returns (matched, info for this path's children).
    """

    def matches_using_parent_results(self, path: str, parent: Any = ...) -> tuple[bool, Any]: ...


MatcherFactory = Callable[[Sequence[str]], PathMatcher]


def _clean_patterns(patterns: Sequence[str]) -> list[str]:
    out = []
    for p in patterns:
        p = p.strip()
        if p:
            out.append(posixpath.normpath(p))
    return out


def _without_trailing_glob(pattern: str) -> str:
    for suffix in ("/**", "/*"):
        if pattern.endswith(suffix):
            return pattern[: -len(suffix)]
    return pattern


def _may_lead_to(directory: str, pattern: list[str]) -> bool:
    """Whether something inside `directory` could match the include pattern `pattern` (components).

    Each directory component must match the pattern's component at the same depth (`*`, `?` and
    classes stay within one component, as in the matcher); a `**` can match any depth, so from
    there on everything may match. Only directories this rules out are skipped unlisted.
    """
    components = directory.split("/")
    for depth, name in enumerate(components):
        if depth >= len(pattern):
            return True
        part = pattern[depth]
        if "**" in part:
            return True
        try:
            if not _golang.filepath_match(part, name):
                return False
        except _golang.BadPatternError:
            return True  # let the matcher decide (and report) on the path itself
    return True


@valueclass
class FilterSpec:
    """The filters a DiffCopy request carries (gRPC metadata `include-patterns`, ...)."""

    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    follow_paths: tuple[str, ...] = ()


@valueclass(frozen=False)
class WalkEntry:
    """One entry to send: its Stat, and for regular files the (dev, ino) to check when it is opened."""

    stat: stat_pb2.Stat
    identity: tuple[int, int] | None = None


@valueclass(frozen=False)
class _Dir:
    prefix: str  # path + "/"
    stat: stat_pb2.Stat
    sent: bool = field(default=False)
    # Match infos of the include and exclude matchers, handed to the children.
    include_info: Any = None
    exclude_info: Any = None


class _Filter:
    def __init__(self, spec: FilterSpec, includes: Sequence[str], factory: MatcherFactory | None) -> None:
        self.include: PathMatcher | None = None
        self.exclude: PathMatcher | None = None
        # The positive include patterns split into components, to skip directories no include
        # can reach without listing them (None: some pattern could match anywhere).
        self.include_parts: list[list[str]] | None = None
        self.exclude_dir_skip = False
        cleaned_inc = _clean_patterns(includes)
        cleaned_exc = _clean_patterns(spec.exclude_patterns)
        if (cleaned_inc or cleaned_exc) and factory is None:
            raise ValueError("include/exclude patterns given but no pattern matcher available")
        if cleaned_inc:
            assert factory is not None
            self.include = factory(list(includes))
            positive = [_without_trailing_glob(p).lstrip("/") for p in cleaned_inc if not p.startswith("!")]
            if not any(p in ("", ".") for p in positive):
                self.include_parts = [p.split("/") for p in positive]
        if cleaned_exc:
            assert factory is not None
            self.exclude = factory(list(spec.exclude_patterns))
            # With no exception patterns nothing inside an excluded directory can come back.
            self.exclude_dir_skip = not any(p.startswith("!") for p in cleaned_exc)

    @property
    def active(self) -> bool:
        return self.include is not None or self.exclude is not None

    @staticmethod
    def _match(matcher: PathMatcher, path: str, parent_info: Any) -> tuple[bool, Any]:
        if parent_info is None:
            return matcher.matches_using_parent_results(path)
        return matcher.matches_using_parent_results(path, parent_info)

    def decide(self, path: str, is_dir: bool, parent: _Dir | None) -> tuple[bool, bool, Any, Any]:
        """Return (keep, descend, include info, exclude info) for one path."""
        keep = True
        include_info: Any = None
        exclude_info: Any = None
        if self.include is not None:
            matched, include_info = self._match(self.include, path, parent.include_info if parent else None)
            if not matched:
                parts = self.include_parts
                if is_dir and parts is not None and not any(_may_lead_to(path, p) for p in parts):
                    return False, False, None, None
                keep = False
        if self.exclude is not None:
            matched, exclude_info = self._match(self.exclude, path, parent.exclude_info if parent else None)
            if matched:
                if is_dir and self.exclude_dir_skip:
                    return False, False, None, None
                keep = False
        return keep, is_dir, include_info, exclude_info


def _resolve_follow_paths(root_fd: int, paths: Sequence[str]) -> list[str]:
    """The followpaths plus every path a symlink on their way leads to, as fsutil's FollowLinks.

    A path component that is a link (or, written as a wildcard, matches links) continues at the
    link's target, recursively; targets are taken inside the root (an absolute target, or one
    climbing above the root, is read from the root), so the narrowed context keeps what the
    links it sends point at and never leaves the context.
    """
    resolved: set[str] = set()

    def append(path: str) -> None:
        parts = [part for part in posixpath.normpath(path).split("/") if part not in ("", ".")]
        if not parts:
            resolved.add(".")
            return
        current = ""
        for position, part in enumerate(parts):
            if part == "..":
                return  # never above the root
            current = f"{current}/{part}" if current else part
            targets = _link_targets(root_fd, current)
            rest = parts[position + 1 :]
            if (not rest or targets is not None) and current in resolved:
                return  # already followed (this also ends link cycles)
            if targets is not None:
                resolved.add(current)
                for target in targets:
                    append(posixpath.join(target, *rest))
                return
            if not rest:
                resolved.add(current)
                return

    for path in paths:
        append(path)
    out: list[str] = []
    last = None
    for found in sorted(resolved):
        if found == ".":
            return []
        if last is not None and found.startswith(last + "/"):
            continue
        out.append(found)
        last = found
    return out


def _link_targets(root_fd: int, rel: str) -> list[str] | None:
    """Where the link `rel` (or the links a wildcard last component matches) lead; None: no links."""
    base = posixpath.basename(rel)
    if not _has_wildcards(base):
        target = _link_target(root_fd, rel)
        return None if target is None else [target]
    parent = posixpath.dirname(rel)
    try:
        fd = os.open(parent or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=root_fd)
    except OSError:
        return None
    try:
        names = sorted(os.listdir(fd))
    finally:
        os.close(fd)
    found: list[str] | None = None
    for name in names:
        try:
            matched = _golang.filepath_match(base, name)
        except _golang.BadPatternError:
            matched = False
        if matched:
            target = _link_target(root_fd, posixpath.join(parent, name))
            if target is not None:
                found = [*(found or []), target]
    return found


def _link_target(root_fd: int, rel: str) -> str | None:
    """The target of the link `rel` as a path inside the root; None when `rel` is no link."""
    try:
        info = os.lstat(rel, dir_fd=root_fd)
    except OSError:
        return None
    if not st.S_ISLNK(info.st_mode):
        return None
    try:
        link = os.readlink(rel, dir_fd=root_fd)
    except OSError:
        return None
    if not link.startswith("/"):
        link = posixpath.join("/", posixpath.dirname(rel), link)
    return posixpath.normpath(link).lstrip("/") or "."


def _has_wildcards(name: str) -> bool:
    # fsutil's containsWildcards: `*`, `?` or `[`, not escaped by a backslash.
    index = 0
    while index < len(name):
        if name[index] == "\\":
            index += 1
        elif name[index] in "*?[":
            return True
        index += 1
    return False


def _xattrs(dir_fd: int, name: str) -> dict[str, bytes]:
    # listxattr has no dir_fd form; /proc/self/fd/N names the directory actually opened.
    path = f"/proc/self/fd/{dir_fd}/{name}"
    try:
        keys = os.listxattr(path, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.ENOENT, errno.EPERM, errno.EACCES):
            return {}
        raise
    out: dict[str, bytes] = {}
    for key in keys:
        if key.startswith("com.apple."):
            continue
        with contextlib.suppress(OSError):
            out[key] = os.getxattr(path, key, follow_symlinks=False)
    return out


def walk(
    root: str | os.PathLike[str],
    spec: FilterSpec = FilterSpec(),
    matcher_factory: MatcherFactory | None = None,
    *,
    reset_owner: bool = True,
) -> Iterator[WalkEntry]:
    """Yield the entries of `root` in fsutil send order, filtered by `spec`.

    Args:
        root: the shared directory (symlinks in its own path are resolved once, as fsutil does).
        spec: include/exclude patterns and followpaths from the request.
        matcher_factory: builds a PathMatcher from patterns; required when patterns are given.
        reset_owner: send uid/gid 0, as buildkit's client does for local directories.
    """
    root_path = os.path.realpath(root)
    root_fd = os.open(root_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        includes = list(spec.include_patterns)
        if spec.follow_paths:
            targets = _resolve_follow_paths(root_fd, spec.follow_paths)
            if targets:
                includes = sorted({*includes, *targets})
        flt = _Filter(spec, includes, matcher_factory)
        yield from _walk_dir(root_fd, "", flt, [], {}, reset_owner)
    finally:
        os.close(root_fd)


_name = operator.attrgetter("name")


def _walk_dir(
    dir_fd: int,
    rel_dir: str,
    flt: _Filter,
    parents: list[_Dir],
    inodes: dict[int, str],
    reset_owner: bool,
) -> Iterator[WalkEntry]:
    with os.scandir(dir_fd) as it:
        entries = list(it)
    # fsutil sends names in byte order; for ASCII names that is the order of the str themselves,
    # which spares an encode per entry.
    if all(entry.name.isascii() for entry in entries):
        entries.sort(key=_name)
    else:
        entries.sort(key=lambda e: os.fsencode(e.name))
    for entry in entries:
        name = entry.name
        path = f"{rel_dir}/{name}" if rel_dir else name
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed during the walk, as fsutil skips not-exist errors
        is_dir = st.S_ISDIR(info.st_mode)
        include_info: Any = None
        exclude_info: Any = None
        if flt.active:
            keep, descend, include_info, exclude_info = flt.decide(path, is_dir, parents[-1] if parents else None)
        else:
            keep, descend = True, is_dir
        if not keep and not descend:
            continue
        stat = _make_stat(dir_fd, name, path, info, inodes if keep else None, reset_owner)
        if keep:
            for parent in parents:
                if not parent.sent:
                    parent.sent = True
                    yield WalkEntry(parent.stat)
            identity = (info.st_dev, info.st_ino) if can_request_data(stat.mode) else None
            yield WalkEntry(stat, identity)
        if descend:
            try:
                child_fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
            except FileNotFoundError:
                continue
            try:
                parents.append(_Dir(path + "/", stat, keep, include_info, exclude_info))
                yield from _walk_dir(child_fd, path, flt, parents, inodes, reset_owner)
            finally:
                parents.pop()
                os.close(child_fd)


def _utf8(text: str, what: str) -> str:
    # Stat packets carry names as protobuf strings, which must be UTF-8: the engine refuses the
    # packet otherwise ("string field contains invalid UTF-8", as buildx shows). Say which file.
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise BuildConfigError(
                f"{what} is not valid UTF-8, which the engine cannot receive: {_golang.quote(text)}"
            ) from None
    return text


def _make_stat(
    dir_fd: int,
    name: str,
    path: str,
    info: os.stat_result,
    inodes: dict[int, str] | None,
    reset_owner: bool,
) -> stat_pb2.Stat:
    mode = go_file_mode(info.st_mode) & ~MODE_SOCKET
    stat = stat_pb2.Stat(
        path=_utf8(path, "file name"),
        mode=mode,
        uid=0 if reset_owner else info.st_uid,
        gid=0 if reset_owner else info.st_gid,
        modTime=info.st_mtime_ns,
    )
    if not st.S_ISDIR(info.st_mode):
        stat.size = info.st_size
        if st.S_ISBLK(info.st_mode) or st.S_ISCHR(info.st_mode):
            stat.devmajor = _major(info.st_rdev)
            stat.devminor = _minor(info.st_rdev)
        if inodes is not None and info.st_nlink > 1:
            first = inodes.get(info.st_ino)
            if first is not None and first != path:
                stat.linkname = first
                stat.size = 0
            else:
                inodes[info.st_ino] = path
        if st.S_ISLNK(info.st_mode):
            stat.size = info.st_size
            stat.linkname = _utf8(os.readlink(name, dir_fd=dir_fd), f"target of symlink {_golang.quote(path)}")
    xattrs = _xattrs(dir_fd, name)
    if xattrs:
        stat.xattrs.update(xattrs)
    return stat
