"""Leases: the legs this machine's farm runs have on each node, so concurrent runs spread."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from buildwright.farm.leases import Leases
from buildwright.farm.placement import LOAD, LegPlan, NodeSlot, place
from buildwright.farm.records import PlacementRecords, records_path
from buildwright.farm.requests import Leg


def test_a_runs_leases_are_load_for_the_next_run_until_released(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    first, second = Leases(env), Leases(env)
    with first.holding():
        assert first.busy() == {}
        first.take("j0", "tcp://a", 2)
        first.take("j1", "tcp://b", 1)
    assert second.busy() == {"tcp://a": 2, "tcp://b": 1}
    first.release("j0")
    assert second.busy() == {"tcp://b": 1}
    first.release_all()
    assert second.busy() == {}


def test_the_leases_of_a_process_that_is_gone_do_not_count(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path = records_path(env).with_name("running.json")
    path.parent.mkdir(parents=True)
    leases = {
        "x": {"pid": int(gone.stdout), "node": "tcp://a", "legs": 3},
        "y": {"pid": os.getpid(), "node": "tcp://b"},
    }
    path.write_text(json.dumps(leases))
    assert Leases(env).busy() == {"tcp://b": 1}


def test_busy_nodes_get_legs_last() -> None:
    nodes = (NodeSlot("a", "ka", (), busy=2), NodeSlot("b", "kb", (), busy=1), NodeSlot("c", "kc", ()))
    plans = [LegPlan(Leg(f"t{i}", None), f"k{i}", frozenset({f"v{i}"})) for i in range(3)]
    assert [(p.node, p.reason) for p in place(plans, nodes, PlacementRecords())] == [
        ("c", LOAD),
        ("b", LOAD),
        ("c", LOAD),
    ]
