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
import json
import os
import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path

from buildwright._values import valueclass
from buildwright.cachemiss.graph import ContextRead, LocalFilter
from buildwright.client.session.fswalk import MODE_DIR, MODE_TYPE, FilterSpec, MatcherFactory, walk
from buildwright.client.session.patterns import default_matcher_factory

# Files up to this size get a content hash (reading them is cheap); bigger ones compare by mtime.
HASH_LIMIT = 1024 * 1024
# At most this many bytes are read for hashes in one build; beyond that, files compare by mtime.
HASH_BUDGET = 256 * 1024 * 1024
# A record keeps at most this many entries per directory (the record stays a small file).
MAX_ENTRIES = 100_000


@valueclass
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

    def to_json(self) -> tuple[int, int, int, str, str | None]:
        return (self.mode, self.size, self.mtime, self.linkname, self.sha256)

    @staticmethod
    def from_json(value: object) -> FileMeta | None:
        if not isinstance(value, (list, tuple)) or len(value) != 5:
            return None
        mode, size, mtime, linkname, sha = value
        if not all(isinstance(v, int) for v in (mode, size, mtime)) or not isinstance(linkname, str):
            return None
        return FileMeta(mode, size, mtime, linkname, sha if isinstance(sha, str) else None)


# One entry as stored: (mode, size, mtime, linkname, sha256 or None); a JSON array in a record.
RawEntry = Sequence[object]


class RawEntries(Mapping[str, FileMeta]):
    """Entries kept as the raw tuples they are sent and stored as; a `FileMeta` is made only for
    an entry that is looked at (a record of 20,000 files is compared and rewritten without)."""

    __slots__ = ("raw",)

    def __init__(self, raw: Mapping[str, RawEntry]) -> None:
        self.raw = raw

    def __getitem__(self, path: str) -> FileMeta:
        meta = FileMeta.from_json(self.raw[path])
        if meta is None:
            raise KeyError(path)
        return meta

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __contains__(self, path: object) -> bool:
        return path in self.raw


@valueclass
class DirSnapshot:
    """The entries of one local directory by relative path; `truncated` when over MAX_ENTRIES."""

    entries: Mapping[str, FileMeta]
    truncated: bool = False
    # `listing_digest()`, when it is already known (a record read back carries it).
    digest: str = field(default="", compare=False)

    def raw(self) -> Mapping[str, RawEntry]:
        """The entries as raw tuples (see `RawEntries`)."""
        if isinstance(self.entries, RawEntries):
            return self.entries.raw
        return {path: meta.to_json() for path, meta in self.entries.items()}

    def listing_digest(self) -> str:
        """A digest of what the session sent (paths, modes, sizes, mtimes, links; no hashes): two
        equal digests mean the same listing, so a record's hashes hold as they are."""
        if self.digest:
            return self.digest
        # One C-encoded JSON document: a per-entry Python loop of hashing costs more.
        listing = [(path, *entry[:4]) for path, entry in self.raw().items()]
        text = json.dumps(listing, separators=(",", ":"), check_circular=False)
        data = text.encode("utf-8", "surrogateescape") + (b"|truncated" if self.truncated else b"")
        return hashlib.sha256(data).hexdigest()

    def with_digest(self) -> DirSnapshot:
        """The same snapshot, its listing digest computed once and carried."""
        return self if self.digest else DirSnapshot(self.entries, self.truncated, self.listing_digest())


class SentFiles:
    """Collects what the session sends (fed from the session's thread): one flat tuple appended
    per entry, the cheapest thing the session's loop can be made to do; grouped by directory
    (at most MAX_ENTRIES each) only when read. Also the content hash of each small file the
    engine asked for, taken from the bytes sent, and which directories' transfers ended."""

    def __init__(self, dirs: int = 1) -> None:
        self._rows: list[tuple[str, str, RawEntry]] = []
        self._limit = MAX_ENTRIES * max(1, dirs)  # bounds the memory before grouping
        self._dropped: set[str] = set()
        self._dropped_count = 0
        self._read = 0  # how far `pending` has handed out the rows
        self._contents: dict[str, dict[str, str]] = {}
        self._finished: set[str] = set()

    @property
    def count(self) -> int:
        """Entries seen so far: tells a reader whether anything new came."""
        return len(self._rows) + self._dropped_count

    def sent(self, dir_name: str, path: str, mode: int, size: int, mtime: int, linkname: str) -> None:
        if len(self._rows) < self._limit:
            self._rows.append((dir_name, path, (mode, size, mtime, linkname, None)))
        else:
            self._dropped.add(dir_name)
            self._dropped_count += 1

    def content(self, dir_name: str, path: str, data: memoryview) -> None:
        if len(data) > HASH_LIMIT:
            return
        # setdefault, one step under the interpreter lock: a reader on another thread that asked
        # for this directory's hashes first holds the same dict.
        hashed = self._contents.setdefault(dir_name, {})
        if len(hashed) < MAX_ENTRIES:
            hashed[path] = hashlib.sha256(data).hexdigest()

    def finished(self, dir_name: str) -> None:
        self._finished.add(dir_name)

    def is_finished(self, dir_name: str) -> bool:
        """Whether a transfer of `dir_name` ended: the engine asked for every file it wanted."""
        return dir_name in self._finished

    def content_hashes(self, dir_name: str) -> Mapping[str, str]:
        """The hashes of the files of `dir_name` whose bytes were sent, by path: a live mapping,
        filled as the session sends (read on any thread: entries are only added, one store each)."""
        return self._contents.setdefault(dir_name, {})

    def pending(self) -> list[tuple[str, str, RawEntry]]:
        """The entries sent since the last call (for one reader, on any thread: the list is only
        appended to, and a slice up to a length read first is a stable copy)."""
        start, end = self._read, len(self._rows)
        self._read = end
        return self._rows[start:end]

    def snapshots(self) -> dict[str, DirSnapshot]:
        grouped: dict[str, dict[str, RawEntry]] = {}
        truncated = set(self._dropped)
        for name, path, entry in self._rows[: len(self._rows)]:
            entries = grouped.get(name)
            if entries is None:
                entries = grouped[name] = {}
            if len(entries) < MAX_ENTRIES:
                entries[path] = entry
            else:
                truncated.add(name)
        return {name: DirSnapshot(RawEntries(entries), name in truncated) for name, entries in grouped.items()}


def walk_snapshot(
    root: Path, local: LocalFilter, matcher_factory: MatcherFactory = default_matcher_factory
) -> DirSnapshot:
    """The entries the session would send for `root` under `local`'s filter (no hashes yet)."""
    spec = FilterSpec(local.include_patterns, local.exclude_patterns, local.follow_paths)
    entries: dict[str, RawEntry] = {}
    for entry in walk(root, spec, matcher_factory):
        stat = entry.stat
        if len(entries) >= MAX_ENTRIES:
            return DirSnapshot(RawEntries(entries), truncated=True)
        entries[stat.path] = (stat.mode, stat.size, stat.modTime, stat.linkname, None)
    return DirSnapshot(RawEntries(entries))


class Hasher:
    """Hashes small regular files within one budget of bytes (`HASH_BUDGET` per build), reusing
    the hash a previous record holds for an entry whose mode, size and mtime did not move, and
    the hash of the bytes the session sent (`sent`, by path: nothing read, nothing spent)."""

    def __init__(
        self, root: Path, previous: DirSnapshot | None, budget: int | None = None, sent: Mapping[str, str] | None = None
    ) -> None:
        self._root = root
        self._old = previous.raw() if previous is not None else {}
        self._sent = sent if sent is not None else {}
        self.budget = HASH_BUDGET if budget is None else budget

    def entry(self, path: str, entry: RawEntry) -> RawEntry:
        """`entry` with its hash (or as it is: not a small regular file, or already hashed)."""
        mode, size, mtime, linkname, sha = entry[:5]
        if sha is not None or not isinstance(mode, int) or not isinstance(size, int):
            return entry
        if mode & MODE_TYPE or size > HASH_LIMIT:
            return entry
        before = self._old.get(path)
        if before is not None and len(before) == 5 and before[4] and tuple(before[:3]) == (mode, size, mtime):
            return (mode, size, mtime, linkname, before[4])
        known = self._sent.get(path)
        if known is not None:
            return (mode, size, mtime, linkname, known)
        digest = _hash(self._root, path) if self.budget >= size else None
        self.budget -= size
        return (mode, size, mtime, linkname, digest)


def with_hashes(
    root: Path, snapshot: DirSnapshot, previous: DirSnapshot | None, sent: Mapping[str, str] | None = None
) -> DirSnapshot:
    """`snapshot` with a content hash on each small regular file (reused from `previous` when
    the file's mode, size and mtime are those it had then, or taken from `sent`, the hashes of
    the bytes the session sent)."""
    hasher = Hasher(root, previous, sent=sent)
    raw = {path: hasher.entry(path, entry) for path, entry in snapshot.raw().items()}
    return DirSnapshot(RawEntries(raw), snapshot.truncated, snapshot.digest)


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


@valueclass
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
        if old.listing_digest() == new.listing_digest():
            continue  # the same listing (mode, size, mtime of every entry): nothing changed in it
        old_raw, new_raw = old.raw(), new.raw()
        for path in read.paths:
            changes = _changes_under(path, old_raw, new_raw)
            if changes:
                return changes
    return None


def _changes_under(root: str, old: Mapping[str, RawEntry], new: Mapping[str, RawEntry]) -> FileChanges:
    if not root:
        old_paths, new_paths = set(old), set(new)
    elif not any(c in root for c in "*?["):
        prefix = root + "/"
        old_paths = {p for p in old if p == root or p.startswith(prefix)}
        new_paths = {p for p in new if p == root or p.startswith(prefix)}
    else:
        old_paths = {p for p in old if _under(p, root)}
        new_paths = {p for p in new if _under(p, root)}
    changed = []
    for path in sorted(old_paths & new_paths):
        before, after = old[path], new[path]
        if tuple(before) == tuple(after):
            continue  # the same raw entry: no FileMeta needed to know it is the same
        old_meta, new_meta = FileMeta.from_json(before), FileMeta.from_json(after)
        if old_meta is not None and new_meta is not None and not old_meta.same_content(new_meta):
            changed.append((path, old_meta, new_meta))
    # A directory that appears with its files is not worth naming: the files are the news.
    added = tuple(p for p in sorted(new_paths - old_paths) if not _is_dir(new[p]))
    removed = tuple(p for p in sorted(old_paths - new_paths) if not _is_dir(old[p]))
    label = _literal_prefix(root)
    return FileChanges(label, tuple(changed), added, removed)


def _is_dir(entry: RawEntry) -> bool:
    mode = entry[0] if entry else None
    return isinstance(mode, int) and bool(mode & MODE_DIR)


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
