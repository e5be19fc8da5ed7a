"""What a build read from a local directory: each entry's metadata as the session sent it.

The session records the fsutil `Stat` of every entry it sends (mode, size, mtime, link target);
a content hash is added here for small regular files, carried over from the previous record when
the metadata did not move, so a file that was only touched is seen as unchanged (the engine's
content checksums leave mtime out too: buildkit `cache/contenthash/tarsum.go`).
A prediction walks the directory with the same walk and filter the session would use.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from buildwright.cachemiss.graph import ContextRead, LocalFilter
from buildwright.client.session.fswalk import MODE_DIR, MODE_TYPE, FilterSpec, MatcherFactory, walk
from buildwright.client.session.patterns import default_matcher_factory

# Files up to this size get a content hash (reading them is cheap); bigger ones compare by mtime.
HASH_LIMIT = 1024 * 1024
# At most this many bytes are read for hashes in one build; beyond that, files compare by mtime.
HASH_BUDGET = 256 * 1024 * 1024
# A record keeps at most this many entries per directory (the record stays a small file).
MAX_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class FileMeta:
    """One entry as the session sends it; `sha256` is None where no hash was taken."""

    mode: int
    size: int
    mtime: int
    linkname: str = ""
    sha256: str | None = None

    @property
    def is_dir(self) -> bool:
        return bool(self.mode & MODE_DIR)

    @property
    def is_regular(self) -> bool:
        return not self.mode & MODE_TYPE

    def same_content(self, other: FileMeta) -> bool:
        """Whether the engine would see the same entry (mtime counts only without hashes)."""
        if self.mode != other.mode or self.linkname != other.linkname:
            return False
        if self.is_dir:
            return True
        if self.size != other.size:
            return False
        if self.sha256 is not None and other.sha256 is not None:
            return self.sha256 == other.sha256
        return self.mtime == other.mtime

    def to_json(self) -> list[object]:
        return [self.mode, self.size, self.mtime, self.linkname, self.sha256]

    @staticmethod
    def from_json(value: object) -> FileMeta | None:
        if not isinstance(value, list) or len(value) != 5:
            return None
        mode, size, mtime, linkname, sha = value
        if not all(isinstance(v, int) for v in (mode, size, mtime)) or not isinstance(linkname, str):
            return None
        return FileMeta(mode, size, mtime, linkname, sha if isinstance(sha, str) else None)


@dataclass(frozen=True, slots=True)
class DirSnapshot:
    """The entries of one local directory by relative path; `truncated` when over MAX_ENTRIES."""

    entries: Mapping[str, FileMeta]
    truncated: bool = False


class SentFiles:
    """Collects what the session sends for each directory (fed from the session's thread)."""

    def __init__(self) -> None:
        self._dirs: dict[str, dict[str, FileMeta]] = {}
        self._truncated: set[str] = set()
        self.count = 0  # entries seen so far: tells a reader whether anything new came

    def sent(self, dir_name: str, path: str, mode: int, size: int, mtime: int, linkname: str) -> None:
        self.count += 1
        entries = self._dirs.setdefault(dir_name, {})
        if len(entries) >= MAX_ENTRIES:
            self._truncated.add(dir_name)
            return
        entries[path] = FileMeta(mode, size, mtime, linkname)

    def snapshots(self) -> dict[str, DirSnapshot]:
        return {name: DirSnapshot(dict(entries), name in self._truncated) for name, entries in self._dirs.items()}


def walk_snapshot(
    root: Path, local: LocalFilter, matcher_factory: MatcherFactory = default_matcher_factory
) -> DirSnapshot:
    """The entries the session would send for `root` under `local`'s filter (no hashes yet)."""
    spec = FilterSpec(local.include_patterns, local.exclude_patterns, local.follow_paths)
    entries: dict[str, FileMeta] = {}
    for entry in walk(root, spec, matcher_factory):
        stat = entry.stat
        if len(entries) >= MAX_ENTRIES:
            return DirSnapshot(entries, truncated=True)
        entries[stat.path] = FileMeta(stat.mode, stat.size, stat.modTime, stat.linkname)
    return DirSnapshot(entries)


def with_hashes(root: Path, snapshot: DirSnapshot, previous: DirSnapshot | None) -> DirSnapshot:
    """`snapshot` with a content hash on each small regular file (reused from `previous` when
    the file's mode, size and mtime are those it had then)."""
    old = previous.entries if previous is not None else {}
    budget = HASH_BUDGET
    out: dict[str, FileMeta] = {}
    for path, meta in snapshot.entries.items():
        if not meta.is_regular or meta.size > HASH_LIMIT:
            out[path] = meta
            continue
        before = old.get(path)
        if (
            before is not None
            and before.sha256
            and (before.mode, before.size, before.mtime)
            == (
                meta.mode,
                meta.size,
                meta.mtime,
            )
        ):
            out[path] = FileMeta(meta.mode, meta.size, meta.mtime, meta.linkname, before.sha256)
            continue
        digest = _hash(root, path) if budget >= meta.size else None
        budget -= meta.size
        out[path] = FileMeta(meta.mode, meta.size, meta.mtime, meta.linkname, digest)
    return DirSnapshot(out, snapshot.truncated)


def _hash(root: Path, path: str) -> str | None:
    try:
        fd = os.open(root / path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        digest = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class FileChanges:
    """How the entries a step reads differ between two builds."""

    root: str
    changed: tuple[tuple[str, FileMeta, FileMeta], ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)

    def text(self) -> str:
        """One phrase: `src/main.c changed (size 120 -> 131)`, `3 files added under src/`."""
        under = f" under {self.root}/" if self.root else ""
        parts = []
        if len(self.changed) == 1 and not self.added and not self.removed:
            path, before, after = self.changed[0]
            return f"{path} changed ({_difference(before, after)})"
        if len(self.added) == 1 and not self.changed and not self.removed:
            return f"{self.added[0]} added"
        if len(self.removed) == 1 and not self.changed and not self.added:
            return f"{self.removed[0]} removed"
        for count, verb in ((len(self.changed), "changed"), (len(self.added), "added"), (len(self.removed), "removed")):
            if count:
                parts.append(f"{count} {'file' if count == 1 else 'files'} {verb}")
        return ", ".join(parts) + under


def _difference(before: FileMeta, after: FileMeta) -> str:
    if before.mode != after.mode:
        return f"mode {_perm(before.mode)} -> {_perm(after.mode)}"
    if before.linkname != after.linkname:
        return f"link {before.linkname} -> {after.linkname}"
    if before.size != after.size:
        return f"size {before.size} -> {after.size}"
    if before.sha256 is not None and after.sha256 is not None:
        return "content"
    return "mtime"


def _perm(mode: int) -> str:
    return format(mode & 0o7777, "o")


def read_changes(
    reads: Iterable[ContextRead], before: Mapping[str, DirSnapshot], after: Mapping[str, DirSnapshot]
) -> FileChanges | None:
    """What changed under the paths a step reads, or None when nothing did (or nothing is known)."""
    for read in reads:
        old, new = before.get(read.source), after.get(read.source)
        if old is None or new is None:
            continue
        for path in read.paths:
            changes = _changes_under(path, old.entries, new.entries)
            if changes:
                return changes
    return None


def _changes_under(root: str, old: Mapping[str, FileMeta], new: Mapping[str, FileMeta]) -> FileChanges:
    old_paths = {p for p in old if _under(p, root)}
    new_paths = {p for p in new if _under(p, root)}
    changed = tuple((p, old[p], new[p]) for p in sorted(old_paths & new_paths) if not old[p].same_content(new[p]))
    # A directory that appears with its files is not worth naming: the files are the news.
    added = tuple(p for p in sorted(new_paths - old_paths) if not new[p].is_dir)
    removed = tuple(p for p in sorted(old_paths - new_paths) if not old[p].is_dir)
    label = _literal_prefix(root)
    return FileChanges(label, changed, added, removed)


def _under(path: str, root: str) -> bool:
    if not root:
        return True
    if path == root or path.startswith(root + "/"):
        return True
    if any(c in root for c in "*?["):
        # A wildcard source reads what it matches and everything under a matched directory.
        parts = path.split("/")
        return any(fnmatch.fnmatchcase("/".join(parts[:n]), root) for n in range(1, len(parts) + 1))
    return False


def _literal_prefix(root: str) -> str:
    if not any(c in root for c in "*?["):
        return root
    head = []
    for part in root.split("/"):
        if any(c in part for c in "*?["):
            break
        head.append(part)
    return posixpath.join(*head) if head else ""
