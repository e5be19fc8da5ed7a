"""Explanations as values, and their text and JSON forms.

After a build, each step that ran gets its cause; before one (`buildwright explain`), each step
that will run. Steps are listed in graph order (inputs first), as the build shows them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from buildwright._values import valueclass
from buildwright.cachemiss.causes import Cause
from buildwright.cachemiss.graph import StepGraph


@valueclass
class StepExplanation:
    """One step: whether it ran (or will run) and, if so, why.

    Attributes:
        name: the progress name (`[build 3/7] RUN make`).
        digest: the op digest the engine reports.
        instruction: the Dockerfile instruction as written.
        line: its first line in the Dockerfile, when known.
        rebuilt: the step ran instead of coming from the cache (or will, for a prediction).
        cause: why it ran, when it did.
    """

    name: str
    digest: str
    instruction: str
    line: int | None
    rebuilt: bool
    cause: Cause | None = None


@valueclass
class Explanation:
    """Which steps ran (or will run) and why; `predicted` for `buildwright explain`."""

    steps: tuple[StepExplanation, ...]
    predicted: bool
    dockerfile: str = "Dockerfile"
    has_record: bool = True

    @property
    def rebuilt(self) -> tuple[StepExplanation, ...]:
        return tuple(step for step in self.steps if step.rebuilt)

    @property
    def cached(self) -> tuple[StepExplanation, ...]:
        return tuple(step for step in self.steps if not step.rebuilt)

    @property
    def exit_code(self) -> int:
        """0 when nothing rebuilds, 1 when something does (`buildwright explain`'s exit code)."""
        return 1 if self.rebuilt else 0

    def cause_of(self, name_prefix: str) -> Cause | None:
        """The cause of the first rebuilt step whose name starts with `name_prefix`."""
        for step in self.rebuilt:
            if step.name.startswith(name_prefix):
                return step.cause
        return None

    def text(self, *, show_cached: bool | None = None) -> str:
        """Lines for people: every rebuilt step with its cause; with `show_cached` (the default
        for a prediction) the cached steps too."""
        listed = self.predicted if show_cached is None else show_cached
        verb = "will run" if self.predicted else "rebuilt"
        lines = []
        for step in self.steps:
            where = f" ({self.dockerfile}:{step.line})" if step.line else ""
            if step.rebuilt:
                cause = step.cause.text if step.cause else "unknown"
                lines.append(f"{verb:<8}  {step.name}{where}: {cause}")
            elif listed:
                lines.append(f"{'cached':<8}  {step.name}{where}")
        total = len(self.steps)
        count = len(self.rebuilt)
        if self.predicted:
            lines.append(f"{count} of {total} steps will run" if count else f"all {total} steps are cached")
        else:
            lines.append(f"{count} of {total} steps rebuilt" if count else f"all {total} steps came from the cache")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "predicted": self.predicted,
            "record": self.has_record,
            "rebuilt": len(self.rebuilt),
            "cached": len(self.cached),
            "steps": [_step_json(step) for step in self.steps],
        }

    def json(self, *, image_id: str = "") -> str:
        """The JSON document; a build's carries its image id (`image_id`) when it made one."""
        document = self.to_json()
        if image_id:
            document["image_id"] = image_id
        return json.dumps(document, indent=2) + "\n"


def _step_json(step: StepExplanation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": step.name,
        "digest": step.digest,
        "instruction": step.instruction,
        "line": step.line,
        "status": "rebuilt" if step.rebuilt else "cached",
    }
    if step.cause is not None:
        out["cause"] = {"kind": step.cause.kind.value, "text": step.cause.text}
        if step.cause.parent:
            out["cause"]["parent"] = step.cause.parent
    return out


def explanation(
    graph: StepGraph,
    rebuilt: frozenset[str] | set[str],
    causes: Mapping[str, Cause],
    *,
    predicted: bool,
    dockerfile: str,
    has_record: bool,
) -> Explanation:
    steps = tuple(
        StepExplanation(
            name=step.name,
            digest=step.digest,
            instruction=step.instruction,
            line=step.line,
            rebuilt=step.digest in rebuilt,
            cause=causes.get(step.digest) if step.digest in rebuilt else None,
        )
        for step in graph.steps
        if step.is_step
    )
    return Explanation(steps, predicted, dockerfile, has_record)
