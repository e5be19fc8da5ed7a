"""The farm: named builds spread over the nodes of a builder (placement by platform, cache and
load; failover; per-node results merged into one image index; one progress view).

`NamedBuild` is the input (a name and `buildwright.build()`'s keyword arguments), `Farm` the open
nodes of a builder, `run`/`preview` the one-call forms.
"""

from __future__ import annotations

from buildwright.farm.farm import Farm, preview, run
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
    "TargetResult",
    "preview",
    "render_placement",
    "render_summary",
    "run",
]
