"""The engine's build cache: list its records (Control.DiskUsage) and remove them (Control.Prune).

Filters are taken as `docker buildx du/prune --filter` takes them (`key=value`, `until=24h`) and
turned into the engine's filter expression the way buildx does: the keys are ANDed in one
expression, `id` matches as a regular expression, a key ending in `!` or `~` keeps its operator,
any other key must match exactly, and `until` (or its old name `unused-for`) becomes the keep
duration of a prune.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from buildwright._durations import DurationError, parse_duration
from buildwright._log import get_logger
from buildwright._pb import control_pb2
from buildwright._units import ram_in_bytes
from buildwright._values import valueclass
from buildwright.client.boundary import engine_errors
from buildwright.client.connection import Connection
from buildwright.errors import BuildConfigError

_log = get_logger(__name__)

_UNTIL_KEYS = ("until", "unused-for")
# units.RAMInBytes: binary multiples, the unit letter optionally followed by `i` and/or `b`.


@valueclass
class UsageRecord:
    """One build cache record as the engine reports it."""

    id: str
    size: int
    mutable: bool = False
    in_use: bool = False
    shared: bool = False
    parents: tuple[str, ...] = ()
    created_at: datetime | None = None
    created_at_nanos: int = 0  # the nanoseconds of `created_at`'s second (datetime keeps microseconds)
    last_used_at: datetime | None = None
    usage_count: int = 0
    description: str = ""
    record_type: str = ""

    @property
    def reclaimable(self) -> bool:
        return not self.in_use


@valueclass
class CacheFilter:
    """Filters in the engine's form: one ANDed expression (or none) and a prune keep duration."""

    expressions: tuple[str, ...] = ()
    keep_duration_ns: int = 0


@valueclass
class PruneOptions:
    """What a prune removes: `all` includes internal/frontend records; sizes are bytes (0 = unset)."""

    filter: CacheFilter = CacheFilter()
    all: bool = False
    reserved_space: int = 0
    max_used_space: int = 0
    min_free_space: int = 0


def parse_filters(items: Iterable[str]) -> CacheFilter:
    """`key=value` filters as buildx parses and converts them.

    Raises:
        BuildConfigError: a filter without `=`, two values for one key, a bad `until` duration.
    """
    values: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise BuildConfigError(f"bad format of filter (expected name=value): {item}")
        values.setdefault(key.strip().lower(), []).append(value.strip())
    present = [key for key in _UNTIL_KEYS if key in values]
    if len(present) > 1:
        raise BuildConfigError('conflicting filters "until" and "unused-for"')
    keep = 0
    if present:
        until = values.pop(present[0])
        if len(until) > 1:
            raise BuildConfigError("filters expect only one value")
        try:
            keep = parse_duration(until[0])
        except DurationError as exc:
            raise BuildConfigError(f"{present[0]!r} filter expects a duration (e.g., '24h'): {exc}") from exc
    parts: list[str] = []
    for key, found in values.items():
        if len(found) > 1:
            raise BuildConfigError("filters expect only one value")
        value = found[0]
        if key == "id":
            parts.append(f"id~={value}")
        elif key.endswith(("!", "~")):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}=={value}")
    # buildx always sends one expression, empty when there are no filters.
    return CacheFilter(expressions=(",".join(parts),), keep_duration_ns=keep)


def parse_byte_size(text: str) -> int:
    """A size like `10GB`, `512m` or `1073741824` in bytes (binary multiples, as docker's flags take them)."""
    size = ram_in_bytes(text.strip())
    if size is None:
        raise BuildConfigError(f"invalid size: {text!r}")
    return size


def disk_usage(connection: Connection, cache_filter: CacheFilter = CacheFilter()) -> tuple[UsageRecord, ...]:
    """The engine's build cache records that match `cache_filter`, smallest first."""
    request = control_pb2.DiskUsageRequest(filter=list(cache_filter.expressions))
    with engine_errors("disk usage", str(connection.endpoint)):
        response = connection.control.DiskUsage(request)
    # Smallest first, then by id: the order buildx's client lists them in.
    records = tuple(sorted((_record(pb) for pb in response.record), key=lambda r: (r.size, r.id)))
    _log.debug("disk_usage", records=len(records))
    return records


def described_records(connection: Connection, descriptions: Iterable[str]) -> tuple[UsageRecord, ...]:
    """The engine's build cache records whose description is one of `descriptions` (none for none).

    One request, one exact-match filter per description: the engine ORs a request's filters
    (containerd `filters.ParseAll`). The engine works out the size of every record it lists, and
    of a mutable one (an exec or file step's result) anew each time, so a listing of a few records
    costs a fraction of the whole; `==` rather than a pattern, because the engine compiles a
    filter's regular expression again for every record it tests (containerd `filters/filter.go`).
    """
    wanted = sorted(set(descriptions))
    if not wanted:
        return ()  # no filter at all would list every record
    request = control_pb2.DiskUsageRequest(filter=[f"description=={filter_quote(text)}" for text in wanted])
    with engine_errors("disk usage", str(connection.endpoint)):
        response = connection.control.DiskUsage(request)
    records = tuple(_record(pb) for pb in response.record)
    _log.debug("described_records", asked=len(wanted), records=len(records))
    return records


# The escapes of a quoted filter value (containerd `filters/scanner.go` `scanEscape`); a raw newline
# would end the value.
_FILTER_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def filter_quote(text: str) -> str:
    """`text` as a quoted value of an engine filter: Go string syntax between double quotes, any
    other control character as a `\\xHH` escape."""
    out = []
    for char in text:
        escaped = _FILTER_ESCAPES.get(char)
        if escaped is None and (char < " " or char == "\x7f"):
            escaped = f"\\x{ord(char):02x}"
        out.append(escaped or char)
    return '"' + "".join(out) + '"'


def prune(
    connection: Connection,
    options: PruneOptions,
    on_record: Callable[[UsageRecord], None] | None = None,
) -> tuple[UsageRecord, ...]:
    """Remove build cache records; each removed record is passed to `on_record` as the engine reports it."""
    request = control_pb2.PruneRequest(
        filter=list(options.filter.expressions),
        all=options.all,
        keepDuration=options.filter.keep_duration_ns,
        reservedSpace=options.reserved_space,
        maxUsedSpace=options.max_used_space,
        minFreeSpace=options.min_free_space,
    )
    removed: list[UsageRecord] = []
    with engine_errors("prune", str(connection.endpoint)):
        for pb in connection.control.Prune(request):
            record = _record(pb)
            removed.append(record)
            if on_record is not None:
                on_record(record)
    _log.debug("pruned", records=len(removed), size=sum(r.size for r in removed))
    return tuple(removed)


def summarize(records: Sequence[UsageRecord]) -> dict[str, int]:
    """Totals as buildx prints them under `du`: shared, private, reclaimable and total bytes."""
    total = sum(r.size for r in records if r.size > 0)
    reclaimable = sum(r.size for r in records if r.size > 0 and not r.in_use)
    shared = sum(r.size for r in records if r.shared)
    return {"shared": shared, "private": total - shared, "reclaimable": reclaimable, "total": total}


def _record(pb: control_pb2.UsageRecord) -> UsageRecord:
    return UsageRecord(
        id=pb.ID,
        size=pb.Size,
        mutable=pb.Mutable,
        in_use=pb.InUse,
        shared=pb.Shared,
        parents=tuple(pb.Parents),
        created_at=_time(pb, "CreatedAt"),
        created_at_nanos=pb.CreatedAt.nanos,
        last_used_at=_time(pb, "LastUsedAt"),
        usage_count=pb.UsageCount,
        description=pb.Description,
        record_type=pb.RecordType,
    )


def _time(pb: control_pb2.UsageRecord, field: str) -> datetime | None:
    if not pb.HasField(field):
        return None
    stamp = getattr(pb, field)
    # Whole microseconds, truncated: a float sum would round some up.
    return datetime.fromtimestamp(stamp.seconds, tz=UTC) + timedelta(microseconds=stamp.nanos // 1000)
