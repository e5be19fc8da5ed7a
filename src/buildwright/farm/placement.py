"""Placement: which node builds each leg, and why. Pure: nodes, legs and records in, a plan out.

The rules, in order (each placement names the one that decided it):
- `platform`: only nodes that can run the leg's platform are candidates; when a single node can,
  the platform decided.
- `cache`: among the candidates, the node whose recent builds share most of the leg's LLB
  vertices (source ops aside: every node has the base image and the context soon enough) wins,
  then the node that built the leg last.
- `load`: otherwise the least loaded candidate (what it runs already plus the legs given to it,
  over its parallelism).
- `failover` (`replace`): a leg taken off a node that stopped answering, placed by load.
Legs whose graphs share a vertex form one group and go to one node, so its engine runs the
shared steps once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import NoReturn

from buildwright._values import valueclass
from buildwright.errors import BuildConfigError
from buildwright.farm.records import PlacementRecords
from buildwright.farm.requests import Leg

CACHE, LOAD, PLATFORM, FAILOVER = "cache", "load", "platform", "failover"


@valueclass
class NodeSlot:
    """A node as placement sees it: its name, record key, platforms and parallelism."""

    name: str
    key: str
    platforms: tuple[str, ...]
    parallelism: int = 1
    # Legs or builds it runs already (other clients' builds, this machine's other farm runs).
    busy: int = 0

    def can_run(self, platform: str | None) -> bool:
        # A leg naming no platform runs on the node's own; a node reporting none takes anything.
        return platform is None or not self.platforms or platform in self.platforms


@valueclass
class LegPlan:
    """A leg with its graph's vertex digests (source ops excluded) and its record key."""

    leg: Leg
    record_key: str
    vertices: frozenset[str] = field(default_factory=frozenset)


@valueclass
class Placement:
    """One leg's node and the rule that chose it; `shared` is how many of its vertices the node had."""

    leg: Leg
    node: str
    reason: str
    shared: int = 0


def groups_of(plans: Sequence[LegPlan]) -> tuple[tuple[LegPlan, ...], ...]:
    """Legs joined by shared vertices (transitively), each group in input order, groups by first leg."""
    parent = list(range(len(plans)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, plan in enumerate(plans):
        for digest in plan.vertices:
            if digest in owner:
                a, b = root(owner[digest]), root(index)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[digest] = index
    grouped: dict[int, list[LegPlan]] = {}
    for index, plan in enumerate(plans):
        grouped.setdefault(root(index), []).append(plan)
    return tuple(tuple(g) for _, g in sorted(grouped.items()))


def _load(node: NodeSlot, given: Mapping[str, int]) -> float:
    return (node.busy + given.get(node.name, 0)) / max(node.parallelism, 1)


def least_loaded(candidates: Sequence[NodeSlot], given: Mapping[str, int]) -> NodeSlot:
    """The candidate with the fewest legs per slot; ties go to the first in builder order."""
    return min(candidates, key=lambda n: _load(n, given))


def _no_node(builder: str, legs: Sequence[Leg], nodes: Sequence[NodeSlot], down: Sequence[str] = ()) -> NoReturn:
    offered = "; ".join(f"{n.name}: {','.join(n.platforms) or 'any'}" for n in nodes) or "none"
    named = ", ".join(map(str, legs))
    # Never another platform's node in its place (buildx#2119): say which nodes did not answer.
    missing = f"; not answering: {', '.join(down)}" if down else ""
    raise BuildConfigError(f"no node of builder {builder!r} can build {named} (node platforms: {offered}{missing})")


def check_platforms(
    legs: Sequence[Leg], nodes: Sequence[NodeSlot], builder: str = "farm", down: Sequence[str] = ()
) -> None:
    """Fail early (before anything is compiled) when no live node can run some leg's platform.

    Raises:
        BuildConfigError: naming the legs, each live node's platforms and the nodes `down`.
    """
    missing = [leg for leg in legs if not any(n.can_run(leg.platform) for n in nodes)]
    if missing:
        _no_node(builder, missing, nodes, down)


def place(
    plans: Sequence[LegPlan], nodes: Sequence[NodeSlot], records: PlacementRecords, builder: str = "farm"
) -> tuple[Placement, ...]:
    """A node for every leg, in the order of `plans`.

    Raises:
        BuildConfigError: no node can run some leg's platform.
    """
    given: dict[str, int] = {}
    chosen: dict[Leg, Placement] = {}
    for group in groups_of(plans):
        platforms = {plan.leg.platform for plan in group}
        candidates = [n for n in nodes if all(n.can_run(p) for p in platforms)]
        if not candidates:
            _no_node(builder, [plan.leg for plan in group], nodes)
        vertices = frozenset().union(*(plan.vertices for plan in group))
        scores = {n.name: records.shared(n.key, vertices) for n in candidates}
        last = {records.last_node.get(plan.record_key) for plan in group}
        best = max(scores.values())
        if best > 0:
            top = [n for n in candidates if scores[n.name] == best]
            node = next((n for n in top if n.key in last), None) or least_loaded(top, given)
            reason = CACHE
        elif not vertices and (previous := next((n for n in candidates if n.key in last), None)):
            # A graph with nothing but sources (a plain COPY of the context): the last node still has it.
            node, reason = previous, CACHE
        else:
            node = least_loaded(candidates, given)
            reason = PLATFORM if len(candidates) == 1 and len(nodes) > 1 else LOAD
        for plan in group:
            chosen[plan.leg] = Placement(plan.leg, node.name, reason, scores[node.name])
        given[node.name] = given.get(node.name, 0) + len(group)
    return tuple(chosen[plan.leg] for plan in plans)


def replace_on(
    legs: Sequence[Leg], nodes: Sequence[NodeSlot], running: Mapping[str, int]
) -> tuple[Placement, ...] | None:
    """Failover: the least loaded live node that can run all of `legs` (None when none can)."""
    candidates = [n for n in nodes if all(n.can_run(leg.platform) for leg in legs)]
    if not candidates:
        return None
    node = least_loaded(candidates, running)
    return tuple(Placement(leg, node.name, FAILOVER) for leg in legs)
