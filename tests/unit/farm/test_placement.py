"""Placement: platform, cache, load and shared stages, in that order; failover by load."""

from __future__ import annotations

import pytest

from buildwright.errors import BuildConfigError
from buildwright.farm.placement import (
    CACHE,
    FAILOVER,
    LOAD,
    PLATFORM,
    LegPlan,
    NodeSlot,
    check_platforms,
    groups_of,
    place,
    replace_on,
)
from buildwright.farm.records import PlacementRecords
from buildwright.farm.requests import Leg

NODES = (NodeSlot("a", "ka", ()), NodeSlot("b", "kb", ()), NodeSlot("c", "kc", ()))


def _plan(target: str, *vertices: str, platform: str | None = None) -> LegPlan:
    leg = Leg(target, platform)
    return LegPlan(leg, f"ctx#{leg.key}", frozenset(vertices))


def _where(placements: tuple[object, ...]) -> list[tuple[str, str]]:
    return [(p.node, p.reason) for p in placements]  # type: ignore[attr-defined]


def test_independent_legs_spread_by_load_in_builder_order() -> None:
    plans = [_plan(f"t{i}", f"v{i}") for i in range(4)]
    assert _where(place(plans, NODES, PlacementRecords())) == [("a", LOAD), ("b", LOAD), ("c", LOAD), ("a", LOAD)]


def test_parallelism_counts_a_node_as_several_slots() -> None:
    nodes = (NodeSlot("a", "ka", (), parallelism=2), NodeSlot("b", "kb", ()))
    plans = [_plan(f"t{i}", f"v{i}") for i in range(3)]
    assert [p.node for p in place(plans, nodes, PlacementRecords())] == ["a", "b", "a"]


def test_the_node_holding_most_of_a_legs_steps_wins() -> None:
    records = PlacementRecords({"kb": frozenset({"v1", "v2"}), "kc": frozenset({"v1"})}, {})
    (placed,) = place([_plan("t", "v1", "v2", "v3")], NODES, records)
    assert (placed.node, placed.reason, placed.shared) == ("b", CACHE, 2)


def test_a_tie_in_shared_steps_goes_to_the_node_that_built_the_leg_last() -> None:
    records = PlacementRecords({"kb": frozenset({"v1"}), "kc": frozenset({"v1"})}, {"ctx#t@default": "kc"})
    assert _where(place([_plan("t", "v1")], NODES, records)) == [("c", CACHE)]


def test_a_graph_of_sources_only_goes_back_to_its_last_node() -> None:
    records = PlacementRecords({}, {"ctx#t@default": "kb"})
    assert _where(place([_plan("t")], NODES, records)) == [("b", CACHE)]


def test_legs_sharing_a_step_are_one_group_on_one_node() -> None:
    plans = [_plan("one", "base", "x"), _plan("alone", "y"), _plan("two", "base", "z"), _plan("three", "z", "w")]
    assert [len(g) for g in groups_of(plans)] == [3, 1]
    placed = place(plans, NODES, PlacementRecords())
    assert [p.node for p in placed] == ["a", "b", "a", "a"]


def test_a_platform_only_one_node_runs_is_the_platform_rule() -> None:
    nodes = (NodeSlot("a", "ka", ("linux/amd64",)), NodeSlot("b", "kb", ("linux/arm64",)))
    plans = [_plan("t", "v1", platform="linux/arm64"), _plan("t", "v2", platform="linux/amd64")]
    assert _where(place(plans, nodes, PlacementRecords())) == [("b", PLATFORM), ("a", PLATFORM)]


def test_a_platform_no_node_runs_is_a_clear_error() -> None:
    nodes = (NodeSlot("a", "ka", ("linux/amd64",)),)
    with pytest.raises(BuildConfigError, match=r"no node of builder 'ci' can build t \(linux/s390x\) .*a: linux/amd64"):
        check_platforms([Leg("t", "linux/s390x")], nodes, "ci")
    with pytest.raises(BuildConfigError, match=r"a: linux/amd64; not answering: arm\)$"):
        check_platforms([Leg("t", "linux/arm64")], nodes, "ci", down=["arm"])
    with pytest.raises(BuildConfigError, match="can build t"):
        place([_plan("t", platform="linux/s390x")], nodes, PlacementRecords(), "ci")


def test_failover_takes_the_least_loaded_capable_node() -> None:
    nodes = (NodeSlot("a", "ka", ("linux/amd64",)), NodeSlot("b", "kb", ()), NodeSlot("c", "kc", ()))
    legs = (Leg("t", "linux/arm64"),)
    placed = replace_on(legs, nodes, {"b": 2, "c": 1})
    assert placed is not None and _where(placed) == [("c", FAILOVER)]
    assert replace_on((Leg("t", "linux/s390x"),), nodes[:1], {}) is None
