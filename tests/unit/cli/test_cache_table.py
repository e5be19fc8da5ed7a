"""Build cache tables as buildx prints them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from buildwright.cli.cache_table import (
    TABBED,
    TABLE,
    du_summary,
    du_table,
    du_verbose,
    go_time,
    human_duration,
    human_size,
    prune_row,
    prune_verbose,
    tabwrite,
)
from buildwright.client.diskusage import UsageRecord

NOW = datetime(2026, 11, 28, 3, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0B"), (999, "999B"), (20640, "20.64kB"), (295_400_000, "295.4MB"), (2_256_000_000, "2.256GB"), (1e15, "1PB")],
)
def test_human_size(size: float, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.4, "Less than a second"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "About an hour"),
        (5400, "2 hours"),
        (47 * 3600, "47 hours"),
        (48 * 3600, "2 days"),
        (14 * 86400, "2 weeks"),
        (60 * 86400, "2 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_go_time_trims_nanoseconds() -> None:
    when = datetime(2026, 11, 28, 2, 39, 33, tzinfo=UTC)
    assert go_time(when, 485034927) == "2026-11-28 02:39:33.485034927 +0000 UTC"
    assert go_time(when, 481652460) == "2026-11-28 02:39:33.48165246 +0000 UTC"
    assert go_time(when, 0) == "2026-11-28 02:39:33 +0000 UTC"


def test_tabwrite_spaces_and_tabs() -> None:
    assert tabwrite([["ID", "X"], ["abcdefghijkl", "Y"]], TABLE) == "ID             X\nabcdefghijkl   Y\n"
    assert tabwrite([["Shared:", "1B"], ["Reclaimable:", "2B"]], TABBED) == "Shared:\t\t1B\nReclaimable:\t2B\n"


def test_du_table_marks_mutable_and_shared() -> None:
    records = [
        UsageRecord("m" * 25, 0, mutable=True, last_used_at=NOW - timedelta(minutes=3)),
        UsageRecord("s" * 25, 20640, shared=True, in_use=True),
    ]
    assert du_table(records, NOW) == (
        "ID                           RECLAIMABLE   SIZE       LAST ACCESSED\n"
        f"{'m' * 25}*   true          0B         3 minutes ago\n"
        f"{'s' * 25}    false         20.64kB*   \n"
    )
    assert du_summary(records) == "Shared:\t\t20.64kB\nPrivate:\t0B\nReclaimable:\t0B\nTotal:\t\t20.64kB\n"
    assert du_summary(records[:1]) == "Reclaimable:\t0B\nTotal:\t\t0B\n"


def test_du_verbose_block() -> None:
    record = UsageRecord(
        "abc",
        8221,
        parents=("p1", "p2"),
        created_at=datetime(2026, 11, 28, 2, 36, 53, tzinfo=UTC),
        created_at_nanos=483353215,
        last_used_at=NOW - timedelta(minutes=7),
        usage_count=9,
        description="mount / from exec /bin/sh -c true",
        record_type="regular",
    )
    assert du_verbose([record], NOW) == (
        "ID:           abc\nParents:\n - p1\n - p2\n"
        "Created at:   2026-11-28 02:36:53.483353215 +0000 UTC\n"
        "Mutable:      false\nReclaimable:  true\nShared:       false\nSize:         8.221kB\n"
        "Description:  mount / from exec /bin/sh -c true\nUsage count:  9\nLast used:    7 minutes ago\n"
        "Type:         regular\n\n"
    )


def test_prune_rows_are_fixed_width() -> None:
    row = prune_row(UsageRecord("abc", 20640, last_used_at=NOW - timedelta(seconds=3)), NOW)
    assert row == [f"{'abc':<40}", "true ", "20.64kB   ", "3 seconds ago"]


def test_prune_verbose_block_as_buildx_prints_it() -> None:
    record = UsageRecord(
        "nkivalb1ovaqb7h6kj3ue9ujm",
        20640,
        parents=("msw3b6yf5nu0qd1cgbxw17myn",),
        created_at=datetime(2026, 11, 28, 2, 48, 57, tzinfo=UTC),
        created_at_nanos=360285034,
        last_used_at=NOW - timedelta(seconds=30),
        usage_count=1,
        description="mount / from exec /bin/sh -c echo x > /token",
    )
    assert prune_verbose(record, NOW) == (
        "ID:\t\tnkivalb1ovaqb7h6kj3ue9ujm\n"
        "Parent:\t\tmsw3b6yf5nu0qd1cgbxw17myn\n"
        "Created at:\t2026-11-28 02:48:57.360285034 +0000 UTC\n"
        "Mutable:\tfalse\n"
        "Reclaimable:\ttrue\n"
        "Shared:\t\tfalse\n"
        "Size:\t\t20.64kB\n"
        "Description:\tmount / from exec /bin/sh -c echo x > /token\n"
        "Usage count:\t1\n"
        "Last used:\t30 seconds ago\n"
        "\n"
    )
