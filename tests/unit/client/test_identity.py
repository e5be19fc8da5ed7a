"""The node id: made once, kept under the XDG state directory, the same for every later call."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from buildwright.client.identity import node_id, node_id_path
from buildwright.client.solve import shared_key_for


def test_path_follows_xdg_state_home_then_home(tmp_path: Path) -> None:
    assert node_id_path({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "buildwright" / "node-id"
    home = {"HOME": str(tmp_path), "XDG_STATE_HOME": "relative/is/ignored"}
    assert node_id_path(home) == tmp_path / ".local" / "state" / "buildwright" / "node-id"


def test_created_once_then_reused(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    first = node_id(env)
    assert len(first) == 16 and int(first, 16) >= 0
    assert node_id(env) == first
    path = node_id_path(env)
    assert path.read_text() == first
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["node-id"]  # no temporary files left


def test_racing_processes_agree(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(node_id(env))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1


def test_garbage_is_replaced(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    path = node_id_path(env)
    path.parent.mkdir(parents=True)
    path.write_text("not an id\n")
    value = node_id(env)
    assert value != "not an id" and path.read_text() == value


def test_unwritable_state_gives_empty_id(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")  # a file where the directory should be
    assert node_id({"XDG_STATE_HOME": str(blocker)}) == ""
    assert shared_key_for(tmp_path / "app", "") == "app"


def test_shared_key_uses_the_unresolved_base_name(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    assert shared_key_for(tmp_path / "link", "abc") == "link:abc"
