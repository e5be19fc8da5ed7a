"""The farm: named builds spread over the nodes of a builder (placement by platform, cache and
load; failover; per-node results merged into one image index; one progress view).

The stable entry points (what `bake` and scripts call):

    from buildwright.farm import NamedBuild, build_all, plan_all

    builds = [
        NamedBuild("api", {"context": "services/api", "tags": ["reg/api:1"], "push": True,
                           "platform": "linux/amd64,linux/arm64"}),
        NamedBuild("web", {"context": "services/web", "target": "prod"}),
    ]
    for p in plan_all("ci", builds):            # where each leg would go, and why; builds nothing
        print(p.leg, p.node, p.reason)
    result = build_all("ci", builds, on_event=renderer.handle)
    result.target("api").image_id               # the merged index's digest
    print(render_summary(result))               # target, platform, node, reason, time, cached steps

- `NamedBuild(name, options)`: `options` are `buildwright.build()`'s keyword arguments (`context`
  required; `engine` and `on_event` are the farm's). Each platform of a build is one leg.
- `build_all(builder, builds, *, env=None, on_event=None, on_placement=None) -> FarmResult`:
  `builder` is a name, a `Builder`, or None for the one `--builder` would pick. Nodes that do not
  answer are skipped (`FarmResult.warnings`); a node lost mid-build has its legs rebuilt on
  another (`LegResult.moved_from`, reason `failover`). A target whose legs ran on several nodes
  and that is pushed gets one index, pushed to every tag (`TargetResult.image_id`).
- `plan_all(builder, builds, *, env=None) -> tuple[Placement, ...]`: the placement preview.
- `Farm.open(builder)`: the same over connections kept open (`plan`, `run`, `render_placement`).

Placement reasons: `CACHE` (the node holds most of the leg's steps), `LOAD` (least loaded
capable node), `PLATFORM` (the only node for its platform), `FAILOVER` (moved off a lost node).
"""

from __future__ import annotations

from buildwright.farm.farm import Farm, PlacementCallback, build_all, plan_all
from buildwright.farm.placement import CACHE, FAILOVER, LOAD, PLATFORM, Placement
from buildwright.farm.requests import Leg, NamedBuild
from buildwright.farm.results import FarmResult, LegResult, TargetResult
from buildwright.farm.summary import render_placement, render_summary

__all__ = [
    "CACHE",
    "FAILOVER",
    "LOAD",
    "PLATFORM",
    "Farm",
    "FarmResult",
    "Leg",
    "LegResult",
    "NamedBuild",
    "Placement",
    "PlacementCallback",
    "TargetResult",
    "build_all",
    "plan_all",
    "render_placement",
    "render_summary",
]
