"""Whether the engine still holds a step's cache, seen with its cache records (`Control.DiskUsage`).

BuildKit v0.25 offers no cache-only solve, and its cache key database is readable only over
buildkitd's debug endpoint; its cache records are what every engine lists. A step's result record
carries a description the engine derives from the step (buildkit `solver/llbsolver/ops/exec.go`:
`mount / from exec <args>`; file ops: the vertex name, `solver/llbsolver/file/refmanager.go`).
A step that ran in the recorded build made its record then: when no record of that description
was created in that build's time, it is gone (pruned or evicted), even if other builds made
records of the same description. A step without any record of its description is gone too.
A step that came from the cache in the recorded build may have been found under another step's
record: the same file operation of another platform of a multi-platform build (its name says
the other platform), so for those the instruction without its bracketed label counts as the
description.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from buildwright.cachemiss.graph import Kind, Step
from buildwright.cachemiss.record import BuildRecord
from buildwright.client.diskusage import UsageRecord

# The engine's clock and ours may differ a little (the same host here; a remote engine may not be).
_SKEW = 2.0


class EngineCache:
    """The engine's cache records, indexed by description."""

    def __init__(self, records: Iterable[UsageRecord]) -> None:
        self._by_description: dict[str, list[UsageRecord]] = {}
        self._unlabelled: set[str] = set()
        for record in records:
            if record.description:
                self._by_description.setdefault(record.description, []).append(record)
                self._unlabelled.add(_unlabelled(record.description))

    def holds(self, step: Step, previous: BuildRecord | None) -> bool:
        """Whether the engine still has `step`'s result (True when it cannot tell)."""
        description = step.cache_description
        if not description:
            return True  # image and other sources: the engine pulls or reads them again as needed
        candidates = self._by_description.get(description, ())
        if previous is not None and step.key not in previous.ran and step.kind == Kind.FILE:
            return bool(candidates) or _unlabelled(description) in self._unlabelled
        if not candidates:
            return False
        if previous is None or step.key not in previous.ran or not previous.started:
            return True
        start = previous.started - _SKEW
        end = (previous.finished or previous.started) + _SKEW
        return any(_within(record.created_at, start, end) for record in candidates)


def _unlabelled(description: str) -> str:
    """A file step's description without its `[stage 2/3]` label (`COPY src/ /src/`)."""
    if description.startswith("["):
        _, closed, rest = description.partition("] ")
        if closed:
            return rest
    return description


def _within(moment: datetime | None, start: float, end: float) -> bool:
    if moment is None:
        return False
    stamp = moment.replace(tzinfo=moment.tzinfo or UTC).timestamp()
    return start <= stamp <= end
