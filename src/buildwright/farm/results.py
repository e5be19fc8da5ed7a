"""What a farm run produced: per leg (node, reason, time, steps) and per target (image, metadata)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType

from buildwright._values import valueclass
from buildwright.client import StepResult
from buildwright.farm.requests import Leg


@valueclass
class LegResult:
    """One leg: where it ran and why, how long its job took, its steps.

    `moved_from` lists the nodes it was taken off (each stopped answering), oldest first. Legs of
    one target placed on one node run as one job, so they share `duration` and `steps`.
    """

    leg: Leg
    node: str
    reason: str
    duration: float
    steps: tuple[StepResult, ...] = ()
    moved_from: tuple[str, ...] = ()

    @property
    def cached_steps(self) -> int:
        return sum(1 for step in self.steps if step.cached)

    @property
    def moved(self) -> bool:
        return bool(self.moved_from)


@valueclass
class TargetResult:
    """One named build: its legs, and its image (the merged index when its legs were on several nodes)."""

    name: str
    legs: tuple[LegResult, ...]
    image_id: str | None
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(leg.node for leg in self.legs))


@valueclass
class FarmResult:
    """Every target's result, in the order the builds were given; warnings (nodes skipped, ...)."""

    targets: tuple[TargetResult, ...]
    duration: float
    warnings: tuple[str, ...] = ()

    @property
    def legs(self) -> tuple[LegResult, ...]:
        return tuple(leg for target in self.targets for leg in target.legs)

    @property
    def moved(self) -> tuple[LegResult, ...]:
        """The legs rebuilt elsewhere after their node stopped answering."""
        return tuple(leg for leg in self.legs if leg.moved)

    def target(self, name: str) -> TargetResult:
        found = next((t for t in self.targets if t.name == name), None)
        if found is None:
            raise KeyError(name)
        return found
