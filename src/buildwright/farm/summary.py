"""The farm's tables: the placement preview and the final summary, as plain text."""

from __future__ import annotations

from collections.abc import Sequence

from buildwright.farm.placement import Placement
from buildwright.farm.results import FarmResult


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in (header, *rows)]
    return "\n".join(lines) + "\n"


def placement_line(placement: Placement) -> str:
    """`app (linux/arm64) -> node-b: cache (12 shared steps)`: one leg, as progress shows it."""
    count = placement.shared
    shared = f" ({count} shared step{'s' if count != 1 else ''})" if count else ""
    return f"{placement.leg} -> {placement.node}: {placement.reason}{shared}"


def render_placement(placements: Sequence[Placement]) -> str:
    """What `bake --placement` prints: each leg, its node and the rule that chose it."""
    rows = [
        (p.leg.target, p.leg.platform or "default", p.node, p.reason, str(p.shared) if p.shared else "-")
        for p in placements
    ]
    return _table(("TARGET", "PLATFORM", "NODE", "REASON", "SHARED STEPS"), rows)


def render_summary(result: FarmResult) -> str:
    """The table after a farm run, then one line per leg that moved."""
    rows = []
    for leg in result.legs:
        steps = f"{leg.cached_steps}/{len(leg.steps)}"
        rows.append(
            (leg.leg.target, leg.leg.platform or "default", leg.node, leg.reason, f"{leg.duration:.1f}s", steps)
        )
    text = _table(("TARGET", "PLATFORM", "NODE", "REASON", "TIME", "CACHED"), rows)
    for leg in result.moved:
        text += f"moved: {leg.leg} from {' -> '.join(leg.moved_from)} to {leg.node}\n"
    return text
