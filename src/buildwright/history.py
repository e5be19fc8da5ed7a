"""The engine's build history from Python: list, inspect, replay and remove build records.

Every build the engine ran is there, buildwright's and buildx's alike:

    from buildwright import history
    for record in history.records(filters=["status=error"]):
        print(record.ref, record.status)
    print(history.inspect("^0").name)          # the newest build
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from buildwright._values import valueclass
from buildwright.client.events import BuildEvent
from buildwright.client.history import (
    HistoryRecord,
    completed_refs,
    find_record,
    list_history,
    parse_history_filters,
    remove_history,
)
from buildwright.client.history_view import Inspection, build_name, inspect_record, replay_events
from buildwright.client.localrefs import read_build
from buildwright.errors import BuildConfigError
from buildwright.options import EngineOptions

__all__ = ["HistoryRecord", "Inspection", "NamedRecord", "inspect", "logs", "records", "remove"]


@valueclass
class NamedRecord:
    """A record with the name `history ls` gives it."""

    record: HistoryRecord
    name: str


def records(*, filters: Iterable[str] = (), engine: EngineOptions | None = None) -> tuple[NamedRecord, ...]:
    """The newest records (running ones first, then newest first), as `docker buildx history ls`.

    Raises:
        BuildConfigError: a bad filter.
        EngineError: the engine could not be asked.
    """
    wanted = parse_history_filters(filters)
    options = engine or EngineOptions()
    with options.open_client() as client:
        found = list_history(client.connection, filters=wanted)
    named = [NamedRecord(r, build_name(r.frontend_attrs, read_build(r.ref, options.env))) for r in found]
    named.sort(key=lambda n: (n.record.completed_ns is not None, -(n.record.created_ns or 0)))
    return tuple(named)


def inspect(ref: str = "", *, engine: EngineOptions | None = None, cwd: str | None = None) -> Inspection:
    """One record in detail; `ref` is a build id, `^N` (Nth before the newest) or "" (the newest)."""
    options = engine or EngineOptions()
    with options.open_client() as client:
        record = find_record(client.connection, ref)
        return inspect_record(client.connection, record, read_build(record.ref, options.env), cwd=cwd or os.getcwd())


def logs(ref: str, on_event: Callable[[BuildEvent], None], *, engine: EngineOptions | None = None) -> HistoryRecord:
    """Replay a build's progress events to `on_event`; returns its record."""
    options = engine or EngineOptions()
    with options.open_client() as client:
        record = find_record(client.connection, ref)
        for event in replay_events(client.connection, record.ref):
            on_event(event)
        return record


def remove(refs: Iterable[str] = (), *, all: bool = False, engine: EngineOptions | None = None) -> tuple[str, ...]:
    """Delete records by id (or every finished one with `all`); returns the ids removed.

    Raises:
        BuildConfigError: neither ids nor `all`, or both.
    """
    wanted = tuple(refs)
    if not wanted and not all:
        raise BuildConfigError("rm requires at least one argument")
    if wanted and all:
        raise BuildConfigError("rm requires either --all or at least one argument")
    options = engine or EngineOptions()
    with options.open_client() as client:
        targets = completed_refs(client.connection) if all else wanted
        remove_history(client.connection, targets)
        return targets
