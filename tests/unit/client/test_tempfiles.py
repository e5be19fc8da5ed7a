"""Temporary output siblings: marked with the owner's pid, removed only once their owner is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from buildwright.client.tempfiles import TempLock, remove_abandoned, temp_sibling


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_sibling_names_its_owner(tmp_path: Path) -> None:
    temp = temp_sibling(tmp_path / "out")
    assert temp.parent == tmp_path
    assert temp.name.startswith(f".out.buildwright-{os.getpid()}-") and temp.name.endswith(".tmp")


def test_only_the_dead_owners_siblings_are_removed(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dead = tmp_path / f".out.buildwright-{_dead_pid()}-0123abcd.tmp"
    (dead / "sub").mkdir(parents=True)
    (dead / "sub" / "file").write_text("partial")
    os.chmod(dead / "sub", 0o500)  # read-only directories from an export do not stop the removal
    dead_file = tmp_path / f".out.buildwright-{_dead_pid()}-89abcdef.tmp"
    dead_file.write_text("partial")
    mine = temp_sibling(dest)
    mine.mkdir()
    other_dest = tmp_path / f".other.buildwright-{_dead_pid()}-01234567.tmp"
    other_dest.mkdir()
    unrelated = tmp_path / ".out.something-else.tmp"
    unrelated.mkdir()

    assert sorted(remove_abandoned(dest)) == sorted([dead, dead_file])
    assert not dead.exists() and not dead_file.exists()
    assert mine.exists() and other_dest.exists() and unrelated.exists()


def test_a_locked_sibling_is_kept_whatever_its_pid_says(tmp_path: Path) -> None:
    # The owner may live in another pid namespace that shares the folder: its lock protects it.
    locked = tmp_path / f".out.buildwright-{_dead_pid()}-0123abcd.tmp"
    locked.mkdir()
    lock = TempLock(locked)
    try:
        assert remove_abandoned(tmp_path / "out") == []
        assert locked.exists()
    finally:
        lock.release()
    assert remove_abandoned(tmp_path / "out") == [locked]


def test_a_missing_parent_is_nothing_to_clean(tmp_path: Path) -> None:
    assert remove_abandoned(tmp_path / "missing" / "out") == []
