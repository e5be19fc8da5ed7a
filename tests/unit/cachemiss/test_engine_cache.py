"""Whether the engine still holds a step's result, read from its cache records (all of them, or
those the lookup asks for)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from buildwright.cachemiss.engine_cache import CacheLookup, EngineCache
from buildwright.cachemiss.record import BuildKey, BuildRecord
from buildwright.client.diskusage import UsageRecord
from tests.unit.cachemiss.helpers import graph_of, step_named

GRAPH = graph_of("FROM busybox\nCOPY a /a\nRUN echo nonce-42\n")
RUN = step_named(GRAPH, "[3/3]")
COPY = step_named(GRAPH, "[2/3]")
BASE = step_named(GRAPH, "[1/3]")


def _at(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC)


def _record(*, ran: frozenset[str]) -> BuildRecord:
    return BuildRecord(BuildKey("/c", "", "", ""), GRAPH, ran, started=1000.0, finished=1010.0)


def test_a_step_with_no_record_of_its_description_is_gone() -> None:
    cache = EngineCache(
        [UsageRecord("x", 1, description="mount / from exec /bin/sh -c echo other", created_at=_at(1005))]
    )
    assert not cache.holds(RUN, None)
    assert cache.holds(BASE, None)  # sources are read again as needed: never "gone"


def test_a_step_that_ran_needs_a_record_made_in_that_build() -> None:
    previous = _record(ran=frozenset({RUN.key, COPY.key}))
    made_then = EngineCache([UsageRecord("r", 1, description=RUN.cache_description, created_at=_at(1004))])
    assert made_then.holds(RUN, previous)
    # Only an older record of the same command (another build's): this build's result was pruned.
    older = EngineCache([UsageRecord("r", 1, description=RUN.cache_description, created_at=_at(500))])
    assert not older.holds(RUN, previous)
    file_op = EngineCache([UsageRecord("c", 1, description=COPY.name, created_at=_at(1009))])
    assert file_op.holds(COPY, previous)


def test_a_step_that_came_from_cache_last_time_needs_any_record() -> None:
    previous = _record(ran=frozenset())
    cache = EngineCache([UsageRecord("r", 1, description=RUN.cache_description, created_at=_at(10))])
    assert cache.holds(RUN, previous)


def test_a_file_step_cached_last_time_may_hold_another_platforms_record() -> None:
    # A multi-platform build's identical COPY is made once, under the first platform's name.
    previous = _record(ran=frozenset())
    other = EngineCache([UsageRecord("c", 1, description="[linux/amd64 2/3] COPY a /a", created_at=_at(10))])
    assert other.holds(COPY, previous)
    assert not EngineCache([UsageRecord("c", 1, description="[2/3] COPY b /b")]).holds(COPY, previous)
    # A step that ran last time made its own record, under its own name: that one is needed.
    ran = _record(ran=frozenset({COPY.key}))
    assert not other.holds(COPY, ran)


class _Engine:
    """Answers `CacheLookup`'s requests from a fixed listing, as the engine filters it."""

    def __init__(self, records: list[UsageRecord]) -> None:
        self.records = records
        self.requests: list[tuple[str, ...] | None] = []

    def fetch(self, descriptions: Sequence[str] | None) -> list[UsageRecord]:
        self.requests.append(None if descriptions is None else tuple(descriptions))
        if descriptions is None:
            return list(self.records)
        return [record for record in self.records if record.description in descriptions]


LISTING = [
    UsageRecord("r", 1, description=RUN.cache_description, created_at=_at(1004)),
    UsageRecord("c", 1, description="[linux/amd64 2/3] COPY a /a", created_at=_at(10)),
    UsageRecord("o", 1, description="mount / from exec /bin/sh -c echo other", created_at=_at(10)),
]


def test_the_lookup_asks_only_for_the_steps_it_judges_in_one_request() -> None:
    engine = _Engine(LISTING)
    lookup = CacheLookup(engine.fetch)
    previous = _record(ran=frozenset({RUN.key, COPY.key}))
    lookup.ask([RUN, COPY, BASE], previous)
    assert engine.requests == [tuple(sorted({RUN.cache_description, COPY.name}))]
    assert lookup.holds(RUN, previous) and not lookup.holds(COPY, previous) and lookup.holds(BASE, previous)
    assert len(engine.requests) == 1  # known descriptions are not asked again


def test_the_lookup_answers_as_the_whole_listing_does() -> None:
    whole = EngineCache(LISTING)
    for ran in (frozenset(), frozenset({RUN.key}), frozenset({COPY.key, RUN.key})):
        for previous in (None, _record(ran=ran)):
            lookup = CacheLookup(_Engine(LISTING).fetch)
            for step in (RUN, COPY, BASE):
                assert lookup.holds(step, previous) == whole.holds(step, previous), (step.name, ran)


def test_a_file_step_held_only_under_another_label_needs_the_whole_listing() -> None:
    engine = _Engine(LISTING)
    lookup = CacheLookup(engine.fetch)
    previous = _record(ran=frozenset())
    lookup.ask([COPY], previous)
    assert engine.requests == [(COPY.name,), None]
    assert lookup.holds(COPY, previous)
    assert len(engine.requests) == 2  # the whole listing answers from then on


def test_a_renumbered_file_step_is_found_under_its_last_name() -> None:
    # A step added to the stage renumbers the COPY ([2/4]); the record holding it has the old name.
    now = step_named(graph_of("FROM busybox\nCOPY a /a\nRUN echo nonce-42\nRUN echo more\n"), "[2/4]")
    assert now.key == COPY.key and now.name != COPY.name
    engine = _Engine([UsageRecord("c", 1, description=COPY.name, created_at=_at(10))])
    lookup = CacheLookup(engine.fetch)
    assert lookup.holds(now, _record(ran=frozenset()))
    assert engine.requests == [tuple(sorted({now.name, COPY.name}))]


def test_a_file_step_found_nowhere_is_gone() -> None:
    engine = _Engine([UsageRecord("o", 1, description="[2/3] COPY b /b")])
    lookup = CacheLookup(engine.fetch)
    assert not lookup.holds(COPY, _record(ran=frozenset()))
    assert engine.requests == [(COPY.name,), None]
