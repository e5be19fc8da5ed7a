"""The placement records: per node the steps it built, per leg the node that built it last."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildwright.farm import records
from buildwright.farm.records import load_records, record_leg, records_path


def test_records_round_trip(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    assert load_records(env).vertices == {}
    record_leg("ctx#app@default", "unix:///a", ["v1", "v2"], env)
    record_leg("ctx#web@default", "unix:///b", ["v3"], env)
    record_leg("ctx#app@default", "unix:///b", ["v1"], env)
    found = load_records(env)
    assert found.vertices == {"unix:///a": frozenset({"v1", "v2"}), "unix:///b": frozenset({"v3", "v1"})}
    assert found.last_node == {"ctx#app@default": "unix:///b", "ctx#web@default": "unix:///b"}
    assert found.shared("unix:///a", ["v1", "v9"]) == 1
    assert records_path(env) == tmp_path / "buildwright" / "farm" / "placements.json"


def test_only_the_newest_steps_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    monkeypatch.setattr(records, "MAX_VERTICES", 3)
    record_leg("k", "n", ["v1", "v2", "v3"], env)
    record_leg("k", "n", ["v4", "v1"], env)  # v1 built again: it is new again, v2 is the oldest
    assert load_records(env).vertices["n"] == frozenset({"v3", "v4", "v1"})


def test_a_damaged_file_costs_the_records_not_the_build(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    path = records_path(env)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert load_records(env).last_node == {}
    record_leg("k", "n", ["v"], env)
    assert load_records(env).last_node == {"k": "n"}
