"""Build cache records as `docker buildx du` and `docker buildx prune` print them.

Sizes and ages are docker's (go-units `HumanSize`: four significant digits in decimal units;
`HumanDuration`: "About a minute", "3 hours"), and columns are aligned the way Go's tabwriter
aligns them, with the settings each buildx command uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from buildwright._values import valueclass
from buildwright.client.diskusage import UsageRecord, summarize

_SIZE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


@valueclass
class TabStyle:
    """Go tabwriter settings: minimum cell width, tab width, padding and pad character."""

    min_width: int
    tab_width: int
    padding: int
    pad_char: str


# docker's table formatter (du) and buildx's own writers (prune rows, summaries).
TABLE = TabStyle(10, 1, 3, " ")
TABBED = TabStyle(1, 8, 1, "\t")


def human_size(size: float) -> str:
    """go-units HumanSize: `%.4g` of the size in decimal units."""
    index = 0
    while size >= 1000 and index < len(_SIZE_UNITS) - 1:
        size /= 1000
        index += 1
    return f"{size:.4g}{_SIZE_UNITS[index]}"


def human_duration(seconds: float) -> str:
    """go-units HumanDuration."""
    whole = int(seconds)
    if whole < 1:
        return "Less than a second"
    if whole == 1:
        return "1 second"
    if whole < 60:
        return f"{whole} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def go_time(when: datetime, nanos: int) -> str:
    """Go's `time.Time.String()` of a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`."""
    fraction = f".{nanos:09d}".rstrip("0").rstrip(".")
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S}{fraction} +0000 UTC"


def tabwrite(rows: Sequence[Sequence[str]], style: TabStyle) -> str:
    """Align one block of rows: every cell but a row's last is padded to its column's width."""
    widths: list[int] = []
    for row in rows:
        for column, cell in enumerate(row[:-1]):
            width = max(len(cell) + style.padding, style.min_width)
            if column == len(widths):
                widths.append(width)
            else:
                widths[column] = max(widths[column], width)
    if style.pad_char == "\t":
        widths = [-(-width // style.tab_width) * style.tab_width for width in widths]
    lines = []
    for row in rows:
        cells = []
        for column, cell in enumerate(row[:-1]):
            gap = widths[column] - len(cell)
            cells.append(cell + ("\t" * -(-gap // style.tab_width) if style.pad_char == "\t" else " " * gap))
        lines.append("".join(cells) + (row[-1] if row else ""))
    return "".join(line + "\n" for line in lines)


def last_accessed(record: UsageRecord, now: datetime) -> str:
    if record.last_used_at is None:
        return ""
    return human_duration((now - record.last_used_at).total_seconds()) + " ago"


def du_table(records: Sequence[UsageRecord], now: datetime) -> str:
    """`buildx du`: ID (`*` when mutable), RECLAIMABLE, SIZE (`*` when shared), LAST ACCESSED."""
    rows = [["ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED"]]
    for record in records:
        rows.append(
            [
                record.id + ("*" if record.mutable else ""),
                _bool(record.reclaimable),
                human_size(record.size) + ("*" if record.shared else ""),
                last_accessed(record, now),
            ]
        )
    return tabwrite(rows, TABLE)


def du_verbose(records: Sequence[UsageRecord], now: datetime) -> str:
    """`buildx du --verbose`: one block per record, a blank line after each."""
    out = []
    for record in records:
        lines = [f"ID:           {record.id}"]
        if record.parents:
            lines.append("Parents:")
            lines.extend(f" - {parent}" for parent in record.parents)
        created = go_time(record.created_at, record.created_at_nanos) if record.created_at else ""
        lines += [
            f"Created at:   {created}",
            f"Mutable:      {_bool(record.mutable)}",
            f"Reclaimable:  {_bool(record.reclaimable)}",
            f"Shared:       {_bool(record.shared)}",
            f"Size:         {human_size(record.size)}",
        ]
        if record.description:
            lines.append(f"Description:  {record.description}")
        lines.append(f"Usage count:  {record.usage_count}")
        if record.last_used_at is not None:
            lines.append(f"Last used:    {last_accessed(record, now)}")
        if record.record_type:
            lines.append(f"Type:         {record.record_type}")
        out.append("\n".join(lines) + "\n\n")
    return "".join(out)


def du_summary(records: Sequence[UsageRecord]) -> str:
    """The totals under `buildx du` (shared and private only when something is shared)."""
    totals = summarize(records)
    rows = []
    if totals["shared"] > 0:
        rows.append(["Shared:", human_size(totals["shared"])])
        rows.append(["Private:", human_size(totals["private"])])
    rows.append(["Reclaimable:", human_size(totals["reclaimable"])])
    rows.append(["Total:", human_size(totals["total"])])
    return tabwrite(rows, TABBED)


PRUNE_HEADER = ("ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED")


def prune_row(record: UsageRecord, now: datetime) -> list[str]:
    """One removed record as `buildx prune` writes it (fixed-width fields before tabwriter alignment)."""
    return [
        f"{record.id + ('*' if record.mutable else ''):<40}",
        f"{_bool(record.reclaimable):<5}",
        f"{human_size(record.size) + ('*' if record.shared else ''):<10}",
        last_accessed(record, now),
    ]


def prune_verbose(record: UsageRecord, now: datetime) -> str:
    """One removed record with every field, as `buildx prune --verbose` writes it."""
    rows = [["ID:", record.id]]
    if record.parents:
        rows.append(["Parent:", ",".join(record.parents)])
    created = go_time(record.created_at, record.created_at_nanos) if record.created_at else ""
    rows += [
        ["Created at:", created],
        ["Mutable:", _bool(record.mutable)],
        ["Reclaimable:", _bool(record.reclaimable)],
        ["Shared:", _bool(record.shared)],
        ["Size:", human_size(record.size)],
    ]
    if record.description:
        rows.append(["Description:", record.description])
    rows.append(["Usage count:", str(record.usage_count)])
    if record.last_used_at is not None:
        rows.append(["Last used:", last_accessed(record, now)])
    if record.record_type:
        rows.append(["Type:", record.record_type])
    return tabwrite(rows, TABBED) + "\n"


def _bool(value: bool) -> str:
    return "true" if value else "false"
