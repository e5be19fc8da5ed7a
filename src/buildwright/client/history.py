"""The engine's build history (Control.ListenBuildHistory / UpdateBuildHistory), as typed records.

The engine keeps one record per solve, whoever sent it (buildwright, buildx, buildctl): its frontend
attributes, outcome, step counts, and content-store descriptors of its results and attestations.
Filters are taken as `docker buildx history ls --filter` takes them and sent in the engine's form;
they are also applied here, so an engine that ignores a filter still gives the asked-for list.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from buildwright._durations import DurationError, parse_duration
from buildwright._pb import content_pb2, content_pb2_grpc, control_pb2
from buildwright._values import valueclass
from buildwright.client.boundary import engine_errors, rpc_code
from buildwright.client.connection import Connection
from buildwright.errors import BuildConfigError, EngineError

# As buildx: the engine is asked for the newest 50 records.
RECORDS_LIMIT = 50
# The engine's own clock, sent as a header of the history stream (for a running build's duration).
_TIMESTAMP_HEADER = "buildkit-current-timestamp"
_CANCELED = grpc.StatusCode.CANCELLED.value[0]
_FILTER = re.compile(r"^([A-Za-z]+)(!=|<=|>=|=|<|>)(.*)$", re.DOTALL)


@valueclass
class BlobDescriptor:
    """A content-store blob the record points at (a manifest, an attestation, the logs)."""

    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        """What it holds: an attestation's predicate type, else its media type (as buildx shows it)."""
        return self.annotations.get("in-toto.io/predicate-type") or self.media_type


@valueclass
class ResultInfo:
    """One result of a build: its exported descriptors by index and its attestations."""

    results: tuple[BlobDescriptor, ...] = ()
    attestations: tuple[BlobDescriptor, ...] = ()


@valueclass
class HistoryRecord:
    """One build as the engine recorded it."""

    ref: str
    frontend: str = ""
    frontend_attrs: Mapping[str, str] = field(default_factory=dict)
    exporters: tuple[tuple[str, Mapping[str, str]], ...] = ()
    # Nanoseconds since the epoch, as the engine sent them (Go's JSON keeps all nine digits).
    created_ns: int | None = None
    completed_ns: int | None = None
    error_code: int | None = None
    error_message: str = ""
    completed_steps: int = 0
    total_steps: int = 0
    cached_steps: int = 0
    warnings: int = 0
    pinned: bool = False
    result: ResultInfo | None = None
    # Multi-platform builds: one result per platform key (`linux/amd64`).
    platform_results: Mapping[str, ResultInfo] = field(default_factory=dict)
    external_error: BlobDescriptor | None = None
    # The engine's clock when the record was read (a running build's duration is measured to it).
    engine_now: datetime | None = None

    @property
    def created_at(self) -> datetime | None:
        return _from_ns(self.created_ns)

    @property
    def completed_at(self) -> datetime | None:
        return _from_ns(self.completed_ns)

    @property
    def status(self) -> str:
        """`running`, `completed`, `failed` or `canceled`."""
        if self.completed_ns is None:
            return "running"
        if self.error_code is None and not self.error_message:
            return "completed"
        return "canceled" if self.error_code == _CANCELED else "failed"

    def duration_ns(self, now: datetime | None = None) -> int | None:
        """From start to completion, or to the engine's clock (else `now`) while it runs."""
        if self.created_ns is None:
            return None
        if self.completed_ns is not None:
            return self.completed_ns - self.created_ns
        end = self.engine_now or now or datetime.now(UTC)
        return int(end.timestamp() * 1e9) - self.created_ns

    def duration(self, now: datetime | None = None) -> timedelta | None:
        spent = self.duration_ns(now)
        return None if spent is None else timedelta(microseconds=spent // 1000)


def _from_ns(ns: int | None) -> datetime | None:
    if ns is None:
        return None
    seconds, rest = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest // 1000)


def _time(message: Any, name: str) -> int | None:
    if not message.HasField(name):
        return None
    stamp = getattr(message, name)
    return int(stamp.seconds) * 1_000_000_000 + int(stamp.nanos)


def _descriptor(pb: control_pb2.Descriptor) -> BlobDescriptor:
    return BlobDescriptor(pb.media_type, pb.digest, pb.size, dict(pb.annotations))


def _result(pb: control_pb2.BuildResultInfo) -> ResultInfo:
    results = tuple(_descriptor(pb.Results[key]) for key in sorted(pb.Results))
    if pb.HasField("ResultDeprecated") and not results:
        results = (_descriptor(pb.ResultDeprecated),)
    return ResultInfo(results, tuple(_descriptor(a) for a in pb.Attestations))


def record_from_pb(pb: control_pb2.BuildHistoryRecord, engine_now: datetime | None = None) -> HistoryRecord:
    error_code: int | None = None
    error_message = ""
    if pb.HasField("error"):
        error_code = pb.error.code
        error_message = pb.error.message
    return HistoryRecord(
        ref=pb.Ref,
        frontend=pb.Frontend,
        frontend_attrs=dict(pb.FrontendAttrs),
        exporters=tuple((e.Type, dict(e.Attrs)) for e in pb.Exporters),
        created_ns=_time(pb, "CreatedAt"),
        completed_ns=_time(pb, "CompletedAt"),
        error_code=error_code,
        error_message=error_message,
        completed_steps=pb.numCompletedSteps,
        total_steps=pb.numTotalSteps,
        cached_steps=pb.numCachedSteps,
        warnings=pb.numWarnings,
        pinned=pb.pinned,
        result=_result(pb.Result) if pb.HasField("Result") else None,
        platform_results={key: _result(value) for key, value in pb.Results.items()},
        external_error=_descriptor(pb.externalError) if pb.HasField("externalError") else None,
        engine_now=engine_now,
    )


# --- filters ---------------------------------------------------------------------------------------

Matcher = Callable[[HistoryRecord], bool]


@valueclass
class HistoryFilter:
    """Filters in the engine's form (one CSV expression) and the same filters as local matchers."""

    expressions: tuple[str, ...] = ()
    matchers: tuple[Matcher, ...] = ()

    def matches(self, record: HistoryRecord) -> bool:
        return all(match(record) for match in self.matchers)

    def engine_filter(self) -> list[str]:
        if not self.expressions:
            return []
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(self.expressions)
        return [out.getvalue()]


def parse_history_filters(items: Iterable[str], now: datetime | None = None) -> HistoryFilter:
    """`history ls --filter` values as buildx takes them: `ref`, `repository`, `status` with `=`
    or `!=`; `startedAt`, `completedAt` (a duration ago or an RFC 3339 time) and `duration` with
    `<`, `<=`, `>`, `>=`.

    Raises:
        BuildConfigError: an unknown key, a wrong operator for the key, a bad time or duration.
    """
    expressions: list[str] = []
    matchers: list[Matcher] = []
    moment = now or datetime.now(UTC)
    for item in items:
        found = _FILTER.match(item)
        if found is None:
            raise BuildConfigError(f"invalid filter {item!r}")
        key, op, value = found.groups()
        if key in ("ref", "repository", "status"):
            if op not in ("=", "!="):
                raise BuildConfigError(f"invalid separator for {item!r}, expected = or !=")
            matchers.append(_value_matcher(key, op, value))
            engine_op = op if op == "!=" else ("==" if key == "status" else "~=")
        elif key in ("startedAt", "completedAt", "duration"):
            if op in ("=", "!="):
                raise BuildConfigError(f"invalid separator for {item!r}, expected <=, <, >= or >")
            matchers.append(_time_matcher(key, op, value, moment))
            engine_op = op
        else:
            raise BuildConfigError(f"unsupported filter {item!r}")
        expressions.append(f"{key}{engine_op}{value}")
    return HistoryFilter(tuple(expressions), tuple(matchers))


def _value_matcher(key: str, op: str, value: str) -> Matcher:
    def field_value(record: HistoryRecord) -> str:
        if key == "ref":
            return record.ref
        if key == "repository":
            return record.frontend_attrs.get("vcs:source", "")
        return "error" if record.status == "failed" else record.status

    def match(record: HistoryRecord) -> bool:
        actual = field_value(record)
        if op == "!=":
            return actual != value
        return actual == value if key == "status" else value in actual

    return match


def _time_matcher(key: str, op: str, value: str, now: datetime) -> Matcher:
    def seconds(text: str) -> float:
        try:
            return parse_duration(text) / 1e9
        except DurationError:
            raise BuildConfigError(f"invalid duration {text}") from None

    if key == "duration":
        bound: float = seconds(value)
    else:
        try:
            bound = int((now - timedelta(seconds=seconds(value))).timestamp())
        except BuildConfigError:
            try:
                bound = int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
            except ValueError:
                raise BuildConfigError(f"invalid time {value}") from None

    def measure(record: HistoryRecord) -> float | None:
        if key == "startedAt":
            return None if record.created_ns is None else record.created_ns // 1_000_000_000
        if key == "completedAt":
            return None if record.completed_ns is None else record.completed_ns // 1_000_000_000
        spent = record.duration_ns(now)
        return None if spent is None else spent / 1e9

    def match(record: HistoryRecord) -> bool:
        actual = measure(record)
        if actual is None:
            return False
        return {
            "<": actual < bound,
            "<=": actual <= bound,
            ">": actual > bound,
            ">=": actual >= bound,
        }[op]

    return match


_REF = re.compile(r"[A-Za-z0-9]+")

# --- queries -------------------------------------------------------------------------------------


def list_history(
    conn: Connection,
    *,
    ref: str = "",
    filters: HistoryFilter | None = None,
    completed_only: bool = False,
    limit: int = RECORDS_LIMIT,
) -> tuple[HistoryRecord, ...]:
    """The engine's records, newest first (deleted ones and, if asked, running ones left out)."""
    wanted = filters or HistoryFilter()
    # The limit is applied here, not by the engine: BuildKit 0.25 sorts for a limit with a
    # comparison that dereferences the records its history collector has just marked deleted, and
    # that panic takes the whole daemon down (dockerd included) whenever a `history ls` meets a
    # collection. Newest first, then the newest `limit`, is what the engine's limit keeps.
    #
    # A record asked for by its ref is found with a `ref==` filter, not the request's Ref: 0.25
    # keeps a count for each ref ever listened to by Ref, and deleting a record with a count (our
    # `history rm`, buildx's, or the collector) only marks it deleted, for the daemon's life: the
    # very mark that sort trips over, so one `inspect` then `rm` would arm the panic for good.
    engine_filter = wanted.engine_filter()
    if ref:
        if not _REF.fullmatch(ref):
            return ()  # the engine's refs are letters and digits: no record has this one
        engine_filter = [f"{engine_filter[0]},ref=={ref}" if engine_filter else f"ref=={ref}"]
    request = control_pb2.BuildHistoryRequest(EarlyExit=True, Filter=engine_filter)
    events: list[tuple[int, Any, HistoryRecord]] = []
    with engine_errors("list build history", str(conn.endpoint)):
        stream = conn.control.ListenBuildHistory(request)
        engine_now = _engine_clock(stream.initial_metadata())
        for event in stream:
            if not event.HasField("record"):
                continue
            record = record_from_pb(event.record, engine_now)
            events.append((record.created_ns or 0, event.type, record))
    events.sort(key=lambda e: e[0], reverse=True)
    if limit > 0:
        del events[limit:]
    return tuple(
        record
        for _, kind, record in events
        if kind != control_pb2.DELETED
        and (not completed_only or kind == control_pb2.COMPLETE)
        and (not ref or record.ref == ref)  # running builds come unfiltered
        and wanted.matches(record)
    )


def count_active_builds(conn: Connection) -> int:
    """How many builds the engine is running now (anyone's: this is how busy it is)."""
    request = control_pb2.BuildHistoryRequest(ActiveOnly=True, EarlyExit=True)
    with engine_errors("list active builds", str(conn.endpoint)):
        return sum(1 for event in conn.control.ListenBuildHistory(request) if event.type == control_pb2.STARTED)


def _engine_clock(metadata: Iterable[tuple[str, Any]] | None) -> datetime | None:
    for key, value in metadata or ():
        if key == _TIMESTAMP_HEADER and isinstance(value, str):
            try:
                # Go writes nine fractional digits; Python takes six.
                trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00")
                return datetime.fromisoformat(trimmed)
            except ValueError:
                return None
    return None


def find_record(conn: Connection, ref: str) -> HistoryRecord:
    """The record `ref` names: a build id, `^N` (the Nth before the newest), or "" (the newest).

    Raises:
        BuildConfigError: no such record.
    """
    offset = 0
    wanted = ref
    if ref.startswith("^"):
        try:
            offset = int(ref[1:])
        except ValueError:
            raise BuildConfigError(f"invalid offset {ref!r}") from None
        wanted = ""
    records = list_history(conn, ref=wanted)
    if wanted:
        records = tuple(r for r in records if r.ref == wanted)
    if offset >= len(records):
        if ref.startswith("^"):
            raise BuildConfigError(f"no completed build found with offset {offset}")
        raise BuildConfigError(f"no record found for ref {ref!r}" if ref else "no records found")
    return records[offset]


def remove_history(conn: Connection, refs: Iterable[str]) -> None:
    """Delete records by build id.

    Raises:
        EngineError: the engine refused (an unknown ref is named).
    """
    for ref in refs:
        try:
            with engine_errors("remove build record", str(conn.endpoint)):
                conn.control.UpdateBuildHistory(control_pb2.UpdateBuildHistoryRequest(Ref=ref, Delete=True))
        except EngineError as exc:
            if isinstance(exc.__cause__, grpc.RpcError) and rpc_code(exc.__cause__) is grpc.StatusCode.NOT_FOUND:
                raise EngineError(f"no record found for ref {ref!r}") from exc
            raise


def completed_refs(conn: Connection) -> tuple[str, ...]:
    """Every finished build's id (what `history rm --all` removes; running builds stay)."""
    return tuple(r.ref for r in list_history(conn, completed_only=True, limit=0))


# --- blobs ---------------------------------------------------------------------------------------


class BlobReader:
    """Reads the engine's content store (results, attestations) over the same connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._stub = content_pb2_grpc.ContentStub(conn.channel)

    def exists(self, digest: str) -> bool:
        try:
            self._stub.Info(content_pb2.InfoRequest(digest=digest))
        except grpc.RpcError:
            return False
        return True

    def read(self, digest: str) -> bytes:
        """The whole blob.

        Raises:
            EngineError: the engine does not have it.
        """
        chunks: list[bytes] = []
        with engine_errors(f"read {digest}", str(self._conn.endpoint)):
            for response in self._stub.Read(content_pb2.ReadContentRequest(digest=digest)):
                chunks.append(response.data)
        return b"".join(chunks)
