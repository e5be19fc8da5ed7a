"""State files: written whole or not at all, and folders bounded oldest first."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from buildwright.client.statefiles import prune_oldest, write_json


def test_written_whole_into_a_new_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "state" / "refs" / "abc"
    write_json(path, {"a": [1, 2]}, compact=True)
    assert path.read_text() == '{"a":[1,2]}'
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    assert os.listdir(path.parent) == ["abc"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "ref"
    write_json(path, {"old": True})
    with pytest.raises(TypeError):
        write_json(path, {"new": object()})
    assert json.loads(path.read_text()) == {"old": True}
    assert os.listdir(tmp_path) == ["ref"]


def test_the_oldest_counted_files_go_first(tmp_path: Path) -> None:
    for age, name in enumerate(["d.json", "c.json", "b.json", "a.json"]):
        (tmp_path / name).write_text("{}")
        os.utime(tmp_path / name, (1000 - age, 1000 - age))
    (tmp_path / ".hidden").write_text("")
    prune_oldest(tmp_path, 2, lambda name: name.endswith(".json"))
    assert sorted(os.listdir(tmp_path)) == [".hidden", "c.json", "d.json"]
