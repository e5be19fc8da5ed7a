"""Build history records, filters, names, source excerpts and the replay order, without an engine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from buildwright._pb import control_pb2
from buildwright.client.history import HistoryRecord, parse_history_filters, record_from_pb
from buildwright.client.history_view import build_name, chronological, source_excerpt
from buildwright.client.localrefs import MAX_RECORDS, LocalBuild, read_build, record_build
from buildwright.errors import BuildConfigError

_NS = 1_000_000_000
_NOW = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


def _record(**fields: object) -> HistoryRecord:
    base: dict[str, object] = {"ref": "r1", "created_ns": int(_NOW.timestamp()) * _NS - 60 * _NS}
    base.update(fields)
    return HistoryRecord(**base)  # type: ignore[arg-type]


def test_status_follows_completion_and_error_code() -> None:
    assert _record().status == "running"
    done = int(_NOW.timestamp()) * _NS
    assert _record(completed_ns=done).status == "completed"
    assert _record(completed_ns=done, error_code=2, error_message="boom").status == "failed"
    assert _record(completed_ns=done, error_code=1, error_message="context canceled").status == "canceled"


def test_record_from_pb_keeps_nanoseconds_and_results() -> None:
    pb = control_pb2.BuildHistoryRecord(Ref="abc", FrontendAttrs={"target": "t"}, numTotalSteps=4, numCachedSteps=1)
    pb.CreatedAt.seconds, pb.CreatedAt.nanos = 100, 123456789
    pb.CompletedAt.seconds, pb.CompletedAt.nanos = 102, 500
    pb.Result.Results[0].digest = "sha256:aa"
    pb.Result.Attestations.add(digest="sha256:bb", annotations={"in-toto.io/predicate-type": "https://slsa.dev/p"})
    record = record_from_pb(pb)
    assert record.created_ns == 100 * _NS + 123456789
    assert record.duration_ns() == 2 * _NS + 500 - 123456789
    assert record.status == "completed"
    assert record.result is not None
    assert [d.digest for d in record.result.results] == ["sha256:aa"]
    assert record.result.attestations[0].type == "https://slsa.dev/p"
    assert record.frontend_attrs == {"target": "t"}


def test_filters_go_to_the_engine_in_its_form() -> None:
    wanted = parse_history_filters(["status=error", "ref=abc", "repository!=x", "duration>2s"])
    assert wanted.expressions == ("status==error", "ref~=abc", "repository!=x", "duration>2s")
    assert wanted.engine_filter() == ["status==error,ref~=abc,repository!=x,duration>2s"]
    assert parse_history_filters([]).engine_filter() == []


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("colour=red", "unsupported filter 'colour=red'"),
        ("status", "invalid filter 'status'"),
        ("status<x", "invalid separator for 'status<x', expected = or !="),
        ("duration=3s", "invalid separator for 'duration=3s', expected <=, <, >= or >"),
        ("duration>soon", "invalid duration soon"),
        ("startedAt>yesterday", "invalid time yesterday"),
    ],
)
def test_bad_filters_are_named(item: str, message: str) -> None:
    with pytest.raises(BuildConfigError) as raised:
        parse_history_filters([item])
    assert str(raised.value) == message


def test_filters_match_locally_too() -> None:
    done = int(_NOW.timestamp()) * _NS
    failed = _record(ref="bad1", completed_ns=done, error_code=2, error_message="x")
    passed = _record(ref="good1", completed_ns=done)
    errors = parse_history_filters(["status=error"])
    assert errors.matches(failed) and not errors.matches(passed)
    by_ref = parse_history_filters(["ref=good"])
    assert by_ref.matches(passed) and not by_ref.matches(failed)
    long_ones = parse_history_filters(["duration>30s"], now=_NOW)
    assert long_ones.matches(passed)
    assert not parse_history_filters(["duration<30s"], now=_NOW).matches(passed)
    recent = parse_history_filters(["startedAt>2h"], now=_NOW)
    assert recent.matches(passed)
    assert not parse_history_filters(["startedAt<2h"], now=_NOW).matches(passed)


@pytest.mark.parametrize(
    ("attrs", "local", "name"),
    [
        ({"build-arg:BUILDKIT_BUILD_NAME": "mine"}, LocalBuild("/src/app"), "mine"),
        ({}, LocalBuild("/src/app"), "app"),
        ({"target": "test"}, LocalBuild("/src/app"), "app (test)"),
        ({}, LocalBuild("/src/app", "/src/app/docker/Dockerfile.dev"), "app/docker/Dockerfile.dev"),
        ({}, LocalBuild("/src/app", "/elsewhere/x/Dockerfile"), "x"),
        ({}, LocalBuild("/src/app", "/elsewhere/x/build.Dockerfile"), "x/build.Dockerfile"),
        ({"context": "https://example.com/r.git"}, None, "https://example.com/r.git"),
        ({"vcs:source": "https://example.com/r.git"}, None, "https://example.com/r.git"),
        ({"target": "only"}, None, "only"),
        ({}, None, ""),
    ],
)
def test_build_names(attrs: dict[str, str], local: LocalBuild | None, name: str) -> None:
    assert build_name(attrs, local) == name


def test_source_excerpt_pads_a_single_line_by_four() -> None:
    data = "\n".join(f"line{i}" for i in range(1, 11)) + "\n"
    excerpt = source_excerpt("Dockerfile", data, [(5, 5)])
    assert excerpt.splitlines() == [
        "Dockerfile:5",
        "--------------------",
        "   3 |     line3",
        "   4 |     line4",
        "   5 | >>> line5",
        "   6 |     line6",
        "   7 |     line7",
        "--------------------",
    ]


def test_source_excerpt_near_the_edges() -> None:
    data = "FROM a\nRUN b\n"
    assert source_excerpt("Dockerfile", data, [(2, 2)]).splitlines() == [
        "Dockerfile:2",
        "--------------------",
        "   1 |     FROM a",
        "   2 | >>> RUN b",
        "   3 |     ",
        "--------------------",
    ]
    assert source_excerpt("Dockerfile", data, []) == ""
    assert source_excerpt("Dockerfile", data, [(9, 9)]) == ""


def _vertex(digest: str, started: int | None, completed: int | None, name: str) -> control_pb2.Vertex:
    vertex = control_pb2.Vertex(digest=digest, name=name)
    if started is not None:
        vertex.started.FromNanoseconds(started)
    if completed is not None:
        vertex.completed.FromNanoseconds(completed)
    return vertex


def test_replay_splits_a_batch_into_vertex_blocks_in_start_order() -> None:
    late = _vertex("sha256:b", 5 * _NS, 9 * _NS, "late")
    early = _vertex("sha256:a", 1 * _NS, 3 * _NS, "early")
    log_late = control_pb2.VertexLog(vertex="sha256:b", msg=b"x\n")
    log_late.timestamp.FromNanoseconds(6 * _NS)
    log_early = control_pb2.VertexLog(vertex="sha256:a", msg=b"y\n")
    log_early.timestamp.FromNanoseconds(7 * _NS)
    batch = control_pb2.StatusResponse(vertexes=[late, early], logs=[log_late, log_early])
    messages = chronological([batch])
    order = []
    for message in messages:
        for vertex in message.vertexes:
            order.append((vertex.name, "done" if vertex.HasField("completed") else "start"))
        for log in message.logs:
            order.append((log.vertex, "log"))
    assert order == [
        ("early", "start"),
        ("early", "done"),
        ("sha256:a", "log"),
        ("late", "start"),
        ("sha256:b", "log"),
        ("late", "done"),
    ]


def test_local_records_round_trip_and_read_buildx_s(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "DOCKER_CONFIG": str(tmp_path / "docker"), "HOME": str(tmp_path)}
    record_build("ref1", LocalBuild("/src/app", "", "t"), env)
    assert read_build("ref1", env) == LocalBuild("/src/app", "", "t")
    theirs = tmp_path / "docker" / "buildx" / "refs" / "default" / "default"
    theirs.mkdir(parents=True)
    (theirs / "ref2").write_text('{"Target":"default","LocalPath":"/x/y","DockerfilePath":""}')
    assert read_build("ref2", env) == LocalBuild("/x/y", "", "default")
    assert read_build("ref3", env) is None
    assert read_build("../../etc/passwd", env) is None


def test_local_records_are_bounded(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    folder = tmp_path / "buildwright" / "refs"
    folder.mkdir(parents=True)
    for i in range(MAX_RECORDS):
        (folder / f"old{i}").write_text("{}")
    record_build("newest", LocalBuild("/a"), env)
    assert len(list(folder.iterdir())) == MAX_RECORDS
    assert (folder / "newest").exists()
