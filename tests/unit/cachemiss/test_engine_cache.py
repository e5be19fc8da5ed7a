"""Whether the engine still holds a step's result, read from its cache records."""

from __future__ import annotations

from datetime import UTC, datetime

from buildwright.cachemiss.engine_cache import EngineCache
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
