"""Build cache filters, sizes, and the DiskUsage/Prune calls (on a fake Control stub)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from buildwright._pb import control_pb2
from buildwright.client.connection import Connection
from buildwright.client.diskusage import (
    CacheFilter,
    PruneOptions,
    UsageRecord,
    described_records,
    disk_usage,
    parse_byte_size,
    parse_filters,
    prune,
    summarize,
)
from buildwright.errors import BuildConfigError


def test_filters_become_one_expression_as_buildx_sends() -> None:
    assert parse_filters([]) == CacheFilter(("",), 0)
    got = parse_filters(["id=abc", "type=regular", "description~=x y", "inuse!=true", "until=1h30m"])
    assert got.expressions == ("id~=abc,type==regular,description~=x y,inuse!=true",)
    assert got.keep_duration_ns == 5400 * 10**9
    assert parse_filters(["Unused-For=10s"]).keep_duration_ns == 10 * 10**9


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["id"], "bad format of filter"),
        (["until=1h", "unused-for=2h"], 'conflicting filters "until" and "unused-for"'),
        (["until=tomorrow"], "'until' filter expects a duration"),
        (["type=a", "type=b"], "filters expect only one value"),
    ],
)
def test_bad_filters(items: list[str], message: str) -> None:
    with pytest.raises(BuildConfigError, match=message):
        parse_filters(items)


@pytest.mark.parametrize(
    ("text", "size"),
    [("1024", 1024), ("10k", 10240), ("10KB", 10240), ("1.5g", 3 << 29), ("2 MiB", 2 << 20), ("1tb", 1 << 40)],
)
def test_byte_sizes_are_binary(text: str, size: int) -> None:
    assert parse_byte_size(text) == size


def test_bad_byte_size() -> None:
    with pytest.raises(BuildConfigError, match="invalid size: 'ten'"):
        parse_byte_size("ten")


def _pb_record(record_id: str, size: int, **fields: Any) -> control_pb2.UsageRecord:
    pb = control_pb2.UsageRecord(ID=record_id, Size=size, **fields)
    pb.CreatedAt.FromDatetime(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    pb.CreatedAt.nanos = 123456789
    return pb


class _Control:
    def __init__(self) -> None:
        self.requests: list[Any] = []

    def DiskUsage(self, request: control_pb2.DiskUsageRequest) -> control_pb2.DiskUsageResponse:
        self.requests.append(request)
        return control_pb2.DiskUsageResponse(
            record=[_pb_record("b", 10), _pb_record("a", 10, InUse=True, Parents=["p"]), _pb_record("c", 1)]
        )

    def Prune(self, request: control_pb2.PruneRequest) -> Iterator[control_pb2.UsageRecord]:
        self.requests.append(request)
        yield _pb_record("x", 5)
        yield _pb_record("y", 7, Shared=True)


class _Connection:
    endpoint = "unix:///fake"

    def __init__(self) -> None:
        self.control = _Control()


def test_disk_usage_sends_the_filter_and_sorts_records() -> None:
    connection = _Connection()
    records = disk_usage(cast(Connection, connection), parse_filters(["type=regular"]))
    assert [r.id for r in records] == ["c", "a", "b"]
    assert list(connection.control.requests[0].filter) == ["type==regular"]
    first = records[1]
    assert (first.in_use, first.reclaimable, first.parents) == (True, False, ("p",))
    assert first.created_at == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert first.created_at_nanos == 123456789
    assert first.last_used_at is None


def test_prune_sends_every_option_and_reports_each_record() -> None:
    connection = _Connection()
    seen: list[UsageRecord] = []
    options = PruneOptions(
        parse_filters(["id=x", "until=2s"]), all=True, reserved_space=1, max_used_space=2, min_free_space=3
    )
    removed = prune(cast(Connection, connection), options, seen.append)
    assert [r.id for r in removed] == [r.id for r in seen] == ["x", "y"]
    request = connection.control.requests[0]
    assert list(request.filter) == ["id~=x"]
    assert (request.all, request.keepDuration) == (True, 2 * 10**9)
    assert (request.reservedSpace, request.maxUsedSpace, request.minFreeSpace) == (1, 2, 3)


def test_summary_counts_shared_private_and_reclaimable() -> None:
    records = [
        UsageRecord("a", 100, in_use=True),
        UsageRecord("b", 50, shared=True),
        UsageRecord("c", 25),
    ]
    assert summarize(records) == {"shared": 50, "private": 125, "reclaimable": 75, "total": 175}


def test_described_records_asks_for_each_description_exactly_in_one_request() -> None:
    connection = _Connection()
    records = described_records(cast(Connection, connection), ["b", 'say "hi"\\n', "b", "line\none\ttab\x01"])
    assert [r.id for r in records] == ["b", "a", "c"]  # as the engine answered
    assert list(connection.control.requests[0].filter) == [
        r'description=="b"',
        'description=="line\\none\\ttab\\x01"',
        'description=="say \\"hi\\"\\\\n"',
    ]
    assert len(connection.control.requests) == 1


def test_no_description_asks_nothing() -> None:
    # An empty filter list would be the whole listing.
    connection = _Connection()
    assert described_records(cast(Connection, connection), []) == ()
    assert connection.control.requests == []
