"""What a step read from the context, and how two builds' views of it differ, in words."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest

from buildwright.cachemiss import context
from buildwright.cachemiss.context import (
    DirSnapshot,
    FileMeta,
    SentFiles,
    read_changes,
    walk_snapshot,
    with_hashes,
)
from buildwright.cachemiss.graph import ContextRead, LocalFilter
from tests.unit.cachemiss.helpers import snapshot

SRC = (ContextRead("context", ("src",)),)


def _changes(before: DirSnapshot, after: DirSnapshot, reads: tuple[ContextRead, ...] = SRC) -> str | None:
    found = read_changes(reads, {"context": before}, {"context": after})
    return found.text() if found else None


def test_a_changed_file_names_the_path_and_the_size() -> None:
    before = snapshot({"src/main.c": "x" * 120, "src/util.c": "u"}, dirs=["src"])
    after = snapshot({"src/main.c": "y" * 131, "src/util.c": "u"}, dirs=["src"])
    assert _changes(before, after) == "src/main.c changed (size 120 -> 131)"


def test_same_size_different_content_is_a_content_change() -> None:
    before = snapshot({"src/a": "one"})
    after = snapshot({"src/a": "two"}, mtime=2000)
    assert _changes(before, after) == "src/a changed (content)"
    # The same listing (mode, size and mtime of every entry) is the same to the engine, which
    # asks the session for no file whose metadata it already has: nothing changed.
    assert _changes(before, snapshot({"src/a": "two"})) is None


def test_files_added_under_a_directory_are_counted() -> None:
    before = snapshot({"src/a": "a"}, dirs=["src"])
    after = snapshot({"src/a": "a", "src/b": "b", "src/c": "c", "src/sub/d": "d"}, dirs=["src", "src/sub"])
    # The new directory is not counted: its file is the news.
    assert _changes(before, after) == "3 files added under src/"
    assert _changes(after, before) == "3 files removed under src/"


def test_one_added_or_removed_file_is_named() -> None:
    before = snapshot({"src/a": "a"})
    after = snapshot({"src/a": "a", "src/new.c": "n"})
    assert _changes(before, after) == "src/new.c added"
    assert _changes(after, before) == "src/new.c removed"


def test_mixed_changes_are_summed() -> None:
    before = snapshot({"src/a": "a", "src/b": "b"})
    after = snapshot({"src/a": "A!", "src/c": "c"})
    assert _changes(before, after) == "1 file changed, 1 file added, 1 file removed under src/"


def test_changes_outside_what_the_step_reads_do_not_count() -> None:
    before = snapshot({"src/a": "a", "docs/readme": "r", "srcx": "s"})
    after = snapshot({"src/a": "a", "docs/readme": "changed", "srcx": "changed"})
    assert _changes(before, after) is None


def test_the_whole_context_and_wildcards() -> None:
    before = snapshot({"a.c": "a", "b.h": "b", "lib/x.c": "x"})
    after = snapshot({"a.c": "a!", "b.h": "b", "lib/x.c": "x"})
    assert _changes(before, after, (ContextRead("context", ("",)),)) == "a.c changed (size 1 -> 2)"
    assert _changes(before, after, (ContextRead("context", ("*.c",)),)) == "a.c changed (size 1 -> 2)"
    assert _changes(before, after, (ContextRead("context", ("*.h",)),)) is None
    moved = snapshot({"a.c": "a", "b.h": "b", "lib/x.c": "xx"})
    assert _changes(before, moved, (ContextRead("context", ("l*",)),)) == "lib/x.c changed (size 1 -> 2)"


def test_mode_and_link_changes() -> None:
    before = DirSnapshot({"src/run.sh": FileMeta(0o644, 3, 1, "", "h"), "src/l": FileMeta(0o644 | 1 << 27, 0, 1, "a")})
    after = DirSnapshot({"src/run.sh": FileMeta(0o755, 3, 1, "", "h"), "src/l": FileMeta(0o644 | 1 << 27, 0, 1, "a")})
    assert _changes(before, after) == "src/run.sh changed (mode 644 -> 755)"
    relinked = DirSnapshot({**before.entries, "src/l": FileMeta(0o644 | 1 << 27, 0, 1, "b")})
    assert _changes(before, relinked) == "src/l changed (link a -> b)"


def test_a_touched_file_with_the_same_content_is_unchanged() -> None:
    before = FileMeta(0o644, 5, 100, "", "same")
    assert before.same_content(FileMeta(0o644, 5, 999, "", "same"))
    # Without hashes the mtime is all there is.
    assert not FileMeta(0o644, 5, 100).same_content(FileMeta(0o644, 5, 999))


def test_hashes_are_taken_for_small_files_and_reused_when_nothing_moved(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("hello")
    (tmp_path / "big").write_bytes(b"x" * 2_000_000)
    snap = walk_snapshot(tmp_path, LocalFilter())
    hashed = with_hashes(tmp_path, snap, None)
    assert hashed.entries["a"].sha256 is not None
    assert hashed.entries["big"].sha256 is None  # over the limit: compared by mtime
    # The reused hash is the recorded one, even if the file was rewritten in place with the same stat.
    recorded = DirSnapshot({"a": replace(hashed.entries["a"], sha256="recorded")})
    assert with_hashes(tmp_path, snap, recorded).entries["a"].sha256 == "recorded"
    stat = os.stat(tmp_path / "a")
    os.utime(tmp_path / "a", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    rewalked = with_hashes(tmp_path, walk_snapshot(tmp_path, LocalFilter()), recorded)
    assert rewalked.entries["a"].sha256 == hashed.entries["a"].sha256  # rehashed: the mtime moved


def test_the_walk_follows_the_source_filter(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_text("a")
    (tmp_path / "other").write_text("o")
    snap = walk_snapshot(tmp_path, LocalFilter(include_patterns=("src",)))
    assert set(snap.entries) == {"src", "src/a"}
    excluded = walk_snapshot(tmp_path, LocalFilter(exclude_patterns=("other",)))
    assert "other" not in excluded.entries


def test_sent_files_are_bounded_per_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "MAX_ENTRIES", 3)
    sent = SentFiles(dirs=2)
    for i in range(5):
        sent.sent("context", f"f{i}", 0o644, 1, 1, "")
    sent.sent("other", "x", 0o644, 1, 1, "")
    snaps = sent.snapshots()
    assert len(snaps["context"].entries) == 3 and snaps["context"].truncated
    assert not snaps["other"].truncated
    assert sent.count == 6
    # Before grouping, what is held is bounded too (MAX_ENTRIES per directory shared).
    one = SentFiles(dirs=1)
    for i in range(5):
        one.sent("context", f"f{i}", 0o644, 1, 1, "")
    assert list(one.snapshots()["context"].entries) == ["f0", "f1", "f2"]
    assert one.snapshots()["context"].truncated and one.count == 5


def test_the_listing_digest_leaves_hashes_out(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a")
    sent = SentFiles()
    stat = (tmp_path / "a").stat()
    sent.sent("context", "a", 0o644, stat.st_size, stat.st_mtime_ns, "")
    plain = sent.snapshots()["context"]
    hashed = with_hashes(tmp_path, plain, None)
    assert hashed.entries["a"].sha256 is not None
    assert plain.listing_digest() == hashed.listing_digest() == plain.with_digest().digest
    touched = SentFiles()
    touched.sent("context", "a", 0o644, stat.st_size, stat.st_mtime_ns + 1, "")
    assert touched.snapshots()["context"].listing_digest() != plain.listing_digest()


def test_sent_bytes_give_the_hash_without_reading_the_file(tmp_path: Path) -> None:
    sent = SentFiles()
    sent.sent("context", "gone", 0o644, 3, 1, "")
    sent.sent("context", "kept", 0o644, 4, 1, "")
    (tmp_path / "kept").write_bytes(b"disk")
    hashes = sent.content_hashes("context")  # live: filled by what is sent afterwards
    sent.content("context", "gone", memoryview(b"abc"))
    sent.finished("context")
    assert sent.is_finished("context") and not sent.is_finished("other")
    hasher = context.Hasher(tmp_path, None, budget=4, sent=hashes)
    # "gone" is no longer on disk: its hash is the one of the bytes sent, and costs no budget.
    assert hasher.entry("gone", (0o644, 3, 1, "", None))[4] == hashlib.sha256(b"abc").hexdigest()
    assert hasher.budget == 4
    assert hasher.entry("kept", (0o644, 4, 1, "", None))[4] == hashlib.sha256(b"disk").hexdigest()
    assert hasher.budget == 0
    # A file over the hash limit keeps no hash, sent or not.
    sent.content("context", "huge", memoryview(bytes(context.HASH_LIMIT + 1)))
    assert "huge" not in hashes
