from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from buildwright.client.session.fswalk import (
    MODE_CHAR_DEVICE,
    MODE_DEVICE,
    MODE_DIR,
    MODE_NAMED_PIPE,
    MODE_SETGID,
    MODE_SETUID,
    MODE_SOCKET,
    MODE_STICKY,
    MODE_SYMLINK,
    FilterSpec,
    can_request_data,
    go_file_mode,
    walk,
)
from buildwright.client.session.patterns import default_matcher_factory


@pytest.mark.parametrize(
    ("st_mode", "go_mode"),
    [
        (stat.S_IFREG | 0o644, 0o644),
        (stat.S_IFREG | 0o4755, MODE_SETUID | 0o755),
        (stat.S_IFREG | 0o2755, MODE_SETGID | 0o755),
        (stat.S_IFDIR | 0o1777, MODE_DIR | MODE_STICKY | 0o777),
        (stat.S_IFDIR | 0o755, MODE_DIR | 0o755),
        (stat.S_IFLNK | 0o777, MODE_SYMLINK | 0o777),
        (stat.S_IFIFO | 0o600, MODE_NAMED_PIPE | 0o600),
        (stat.S_IFSOCK | 0o755, MODE_SOCKET | 0o755),
        (stat.S_IFCHR | 0o666, MODE_DEVICE | MODE_CHAR_DEVICE | 0o666),
        (stat.S_IFBLK | 0o660, MODE_DEVICE | 0o660),
    ],
)
def test_go_file_mode(st_mode: int, go_mode: int) -> None:
    assert go_file_mode(st_mode) == go_mode


def test_go_file_mode_constants_are_go_values() -> None:
    # io/fs: ModeDir is the top bit (d), ModeSymlink 1<<27 (L).
    assert MODE_DIR == 0x80000000
    assert MODE_SYMLINK == 0x08000000


def test_only_regular_files_can_request_data() -> None:
    assert can_request_data(0o644 | MODE_SETUID)
    assert not can_request_data(MODE_DIR | 0o755)
    assert not can_request_data(MODE_SYMLINK | 0o777)
    assert not can_request_data(MODE_NAMED_PIPE | 0o644)


def _tree(root: Path) -> None:
    (root / "a").mkdir()
    (root / "a" / "b.txt").write_text("b")
    (root / "a.txt").write_text("a")
    (root / "a-b").write_text("ab")
    (root / "Z").write_text("upper")
    (root / "dir").mkdir()
    (root / "dir" / "x").write_text("x")
    (root / "dir" / "sub").mkdir()
    (root / "dir" / "sub" / "y").write_text("y")


def _paths(root: Path, spec: FilterSpec | None = None) -> list[str]:
    return [e.stat.path for e in walk(root, spec or FilterSpec(), default_matcher_factory)]


def test_walk_order_is_per_directory_name_order(tmp_path: Path) -> None:
    _tree(tmp_path)
    # Go's WalkDir sorts names within each directory: "a" < "a-b" < "a.txt", and "a"'s children
    # come right after it (a plain sort of full paths would put "a-b" and "a.txt" before "a/b.txt").
    assert _paths(tmp_path) == ["Z", "a", "a/b.txt", "a-b", "a.txt", "dir", "dir/sub", "dir/sub/y", "dir/x"]


def test_walk_order_is_byte_order_with_names_beyond_ascii(tmp_path: Path) -> None:
    # "é" is 0xC3 0xA9 in UTF-8: after "z" and before "\uff41" (0xEF 0xBD 0x81) by bytes, as by
    # code points; the ASCII-only directory next to it is sorted as str, with the same result.
    for name in ("z", "é", "\uff41", "A", "_"):
        (tmp_path / name).write_text(name)
    (tmp_path / "plain").mkdir()
    for name in ("b", "B", "a-b", "a"):
        (tmp_path / "plain" / name).write_text(name)
    assert _paths(tmp_path) == ["A", "_", "plain", "plain/B", "plain/a", "plain/a-b", "plain/b", "z", "é", "\uff41"]


def test_stat_fields(tmp_path: Path) -> None:
    f = tmp_path / "run.sh"
    f.write_bytes(b"#!/bin/sh\n")
    f.chmod(0o4755)
    os.symlink("run.sh", tmp_path / "link")
    os.symlink("/etc/passwd", tmp_path / "abs-link")
    (tmp_path / "d").mkdir(mode=0o750)
    os.chmod(tmp_path / "d", 0o750)
    os.utime(f, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    entries = {e.stat.path: e for e in walk(tmp_path)}
    run = entries["run.sh"].stat
    assert run.mode == MODE_SETUID | 0o755
    assert run.size == 10
    assert run.modTime == 1_700_000_000_123_456_789
    assert run.uid == 0 and run.gid == 0
    assert entries["run.sh"].identity is not None
    link = entries["link"].stat
    assert link.mode & MODE_SYMLINK and link.linkname == "run.sh" and link.size == len("run.sh")
    assert entries["link"].identity is None
    assert entries["abs-link"].stat.linkname == "/etc/passwd"
    d = entries["d"].stat
    assert d.mode == MODE_DIR | 0o750 and d.size == 0


def test_owner_kept_when_not_reset(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    [entry] = list(walk(tmp_path, reset_owner=False))
    assert entry.stat.uid == os.getuid()


def test_hardlinks_point_at_first_path(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("same")
    os.link(tmp_path / "a", tmp_path / "b")
    os.link(tmp_path / "a", tmp_path / "c")
    entries = {e.stat.path: e.stat for e in walk(tmp_path)}
    assert entries["a"].linkname == "" and entries["a"].size == 4
    assert entries["b"].linkname == "a" and entries["b"].size == 0
    assert entries["c"].linkname == "a"


def test_hardlink_source_filtered_out_makes_next_the_source(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("same")
    os.link(tmp_path / "a", tmp_path / "b")
    os.link(tmp_path / "a", tmp_path / "c")
    entries = {
        e.stat.path: e.stat for e in walk(tmp_path, FilterSpec(exclude_patterns=("a",)), default_matcher_factory)
    }
    assert set(entries) == {"b", "c"}
    assert entries["b"].linkname == "" and entries["b"].size == 4
    assert entries["c"].linkname == "b"


def test_symlinked_directory_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "escape")
    assert _paths(root) == ["escape"]


def test_exclude_patterns(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _paths(tmp_path, FilterSpec(exclude_patterns=("dir", "*.txt"))) == ["Z", "a", "a/b.txt", "a-b"]
    assert _paths(tmp_path, FilterSpec(exclude_patterns=("**/*.txt",))) == [
        "Z",
        "a",
        "a-b",
        "dir",
        "dir/sub",
        "dir/sub/y",
        "dir/x",
    ]


def test_exclude_with_exception_sends_parent_lazily(tmp_path: Path) -> None:
    _tree(tmp_path)
    spec = FilterSpec(exclude_patterns=("dir", "!dir/sub/y"))
    assert _paths(tmp_path, spec) == ["Z", "a", "a/b.txt", "a-b", "a.txt", "dir", "dir/sub", "dir/sub/y"]


def test_include_patterns(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _paths(tmp_path, FilterSpec(include_patterns=("dir/sub",))) == ["dir", "dir/sub", "dir/sub/y"]
    assert _paths(tmp_path, FilterSpec(include_patterns=("*.txt",))) == ["a.txt"]
    assert _paths(tmp_path, FilterSpec(include_patterns=("**/*.txt",))) == ["a", "a/b.txt", "a.txt"]


def test_follow_paths_resolve_symlinks_inside_root(tmp_path: Path) -> None:
    _tree(tmp_path)
    os.symlink("dir/sub", tmp_path / "alias")
    spec = FilterSpec(follow_paths=("alias",))
    assert _paths(tmp_path, spec) == ["alias", "dir", "dir/sub", "dir/sub/y"]


def test_follow_paths_with_wildcards_keep_what_matched_links_lead_to(tmp_path: Path) -> None:
    # links/*.txt matches two links: their targets (one through a second link, one absolute
    # and so read from the root) are sent; the unmatched link's target is not.
    for name in ("data", "links", "deep"):
        (tmp_path / name).mkdir()
    (tmp_path / "data" / "one.txt").write_text("1")
    (tmp_path / "data" / "two.txt").write_text("2")
    (tmp_path / "deep" / "three.txt").write_text("3")
    (tmp_path / "unused.txt").write_text("u")
    os.symlink("../data/one.txt", tmp_path / "links" / "a.txt")
    os.symlink("/hop", tmp_path / "links" / "b.txt")
    os.symlink("deep/three.txt", tmp_path / "hop")
    os.symlink("../unused.txt", tmp_path / "links" / "c.md")
    os.symlink("../../../../outside", tmp_path / "links" / "d.txt")
    spec = FilterSpec(follow_paths=("links/*.txt",))
    assert _paths(tmp_path, spec) == [
        "data",
        "data/one.txt",
        "deep",
        "deep/three.txt",
        "hop",
        "links",
        "links/a.txt",
        "links/b.txt",
        "links/d.txt",
    ]


def test_follow_paths_survive_link_cycles(tmp_path: Path) -> None:
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    assert _paths(tmp_path, FilterSpec(follow_paths=("a",))) == ["a", "b"]


def test_patterns_without_matcher_are_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="matcher"):
        list(walk(tmp_path, FilterSpec(exclude_patterns=("f",))))


def test_xattrs_are_sent(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    try:
        os.setxattr(f, "user.buildwright", b"value")
    except OSError:
        pytest.skip("filesystem without user xattrs")
    [entry] = list(walk(tmp_path))
    assert dict(entry.stat.xattrs) == {"user.buildwright": b"value"}


def _listed_dirs(monkeypatch: pytest.MonkeyPatch, root: Path, spec: FilterSpec) -> tuple[list[str], set[str]]:
    listed: set[str] = set()
    real_scandir = os.scandir

    def scandir(fd: Any) -> Any:
        listed.add(os.path.relpath(os.readlink(f"/proc/self/fd/{fd}"), root))
        return real_scandir(fd)

    monkeypatch.setattr(os, "scandir", scandir)
    return _paths(root, spec), listed


def test_ignored_and_unreachable_directories_are_never_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "node_modules" / "pkg" / "lib").mkdir(parents=True)
    (tmp_path / "node_modules" / "pkg" / "lib" / "x.js").write_text("x")
    (tmp_path / "src" / "deep").mkdir(parents=True)
    (tmp_path / "src" / "a.txt").write_text("a")
    (tmp_path / "src" / "deep" / "b.txt").write_text("b")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "c.txt").write_text("c")

    paths, listed = _listed_dirs(monkeypatch, tmp_path, FilterSpec(exclude_patterns=("node_modules",)))
    assert "node_modules" not in paths
    assert not any(d.startswith("node_modules") for d in listed), listed

    # The paths a build reads (followpaths, here a wildcard) prune the walk as well.
    paths, listed = _listed_dirs(monkeypatch, tmp_path, FilterSpec(follow_paths=("s*/*.txt",)))
    assert paths == ["src", "src/a.txt"]
    assert listed == {".", "src"}
    paths, listed = _listed_dirs(monkeypatch, tmp_path, FilterSpec(follow_paths=("src/**/*.txt",)))
    assert paths == ["src", "src/a.txt", "src/deep", "src/deep/b.txt"]
    assert listed == {".", "src", "src/deep"}
