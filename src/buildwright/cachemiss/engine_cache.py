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

The engine lists its records slowly (it sizes each one it lists), so `CacheLookup` asks it only
for the records of the descriptions the prediction judges steps by, and for the whole listing
only when a step's answer depends on records of other descriptions (a file step cached last
time whose own description has none): its answers are the ones the whole listing gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
        self.add(records)

    def add(self, records: Iterable[UsageRecord]) -> None:
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
        if _any_label_counts(step, previous):
            return bool(candidates) or _unlabelled(description) in self._unlabelled
        if not candidates:
            return False
        if previous is None or step.key not in previous.ran or not previous.started:
            return True
        start = previous.started - _SKEW
        end = (previous.finished or previous.started) + _SKEW
        return any(_within(record.created_at, start, end) for record in candidates)


# Asks the engine for the records of these descriptions, or (None) for all of them.
Fetch = Callable[[Sequence[str] | None], Sequence[UsageRecord]]


class CacheLookup:
    """`EngineCache.holds` over the whole listing, asking the engine for as little of it as that
    takes (see the module docstring). Not thread-safe: one thread asks at a time."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._known = EngineCache(())  # every record of each description in `_asked`
        self._asked: set[str] = set()
        self._whole: EngineCache | None = None

    def ask(self, steps: Iterable[Step], previous: BuildRecord | None) -> None:
        """Fetch, in one request, the records judging `steps` needs that are not known yet (then
        the whole listing, if some step's answer needs it)."""
        if self._whole is not None:
            return
        steps = [step for step in steps if step.cache_description]
        wanted = {step.cache_description for step in steps}
        if previous is not None and any(_any_label_counts(step, previous) for step in steps):
            # The name each had in the last build: a step renumbered since (a line inserted
            # above it) is found under it, without the whole listing.
            before = {step.key: step.name for step in previous.graph.steps if step.kind == Kind.FILE}
            wanted |= {before.get(step.key, "") for step in steps if _any_label_counts(step, previous)}
        wanted = {text for text in wanted if text} - self._asked
        if wanted:
            self._known.add(self._fetch(sorted(wanted)))
            self._asked |= wanted
        if any(not self._known.holds(step, previous) and _any_label_counts(step, previous) for step in steps):
            self._whole = EngineCache(self._fetch(None))

    def holds(self, step: Step, previous: BuildRecord | None) -> bool:
        """As `EngineCache.holds` with every record the engine has."""
        if self._whole is None and step.cache_description not in self._asked:
            self.ask((step,), previous)
        if self._whole is not None:
            return self._whole.holds(step, previous)
        if self._known.holds(step, previous):
            return True
        if not _any_label_counts(step, previous):
            return False  # every record of its description is known: none holds it
        # Records of another label may hold it: only the whole listing shows them all.
        self._whole = EngineCache(self._fetch(None))
        return self._whole.holds(step, previous)


def _any_label_counts(step: Step, previous: BuildRecord | None) -> bool:
    """Whether records of the step's instruction under another label hold its result: a file step
    that came from the cache last time (see the module docstring)."""
    return previous is not None and step.kind == Kind.FILE and step.key not in previous.ran


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
