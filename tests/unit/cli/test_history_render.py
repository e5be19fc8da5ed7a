"""`history ls` / `history inspect` text and JSON, from records made here (no engine)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from buildwright.cli.history_render import format_duration, inspect_json, inspect_text, ls_json, ls_table, rfc3339_nano
from buildwright.client.events import LogChunk, VertexFailed, VertexQueued, VertexStarted
from buildwright.client.history import HistoryRecord
from buildwright.client.history_view import Attachment, FailedStep, Inspection, Material
from buildwright.history import NamedRecord
from buildwright.progress.plain import PlainRenderer

_NS = 1_000_000_000
_START = int(datetime(2026, 12, 3, 5, 35, 40, tzinfo=UTC).timestamp()) * _NS + 261112013
_NOW = datetime(2026, 12, 3, 5, 36, 40, tzinfo=UTC)


def test_durations_and_times_as_go_writes_them() -> None:
    assert format_duration(10_802_473_512) == "10.8s"
    assert format_duration(125 * _NS) == "2m  5s"
    assert rfc3339_nano(_START) == "2026-12-03T05:35:40.261112013Z"
    assert rfc3339_nano(_START - 261112013 + 500_000_000) == "2026-12-03T05:35:40.5Z"


def test_ls_table_and_json() -> None:
    done = HistoryRecord(ref="zfnk", created_ns=_START, completed_ns=_START + 10_802_473_512, total_steps=6)
    running = HistoryRecord(ref="runn", created_ns=_START, engine_now=_NOW)
    failed = HistoryRecord(ref="bad", created_ns=_START, completed_ns=_START + _NS, error_code=2, error_message="x")
    rows = [NamedRecord(running, ""), NamedRecord(done, "hx"), NamedRecord(failed, "a" * 40)]
    assert ls_table(rows, now=_NOW).splitlines() == [
        "BUILD ID   NAME                                   STATUS      CREATED AT       DURATION   ",
        "runn                                              Running     59 seconds ago   59.7s+     ",
        "zfnk       hx                                     Completed   59 seconds ago   10.8s      ",
        "bad        .." + "a" * 34 + "   Error       59 seconds ago   1.0s       ",
    ]
    line = ls_json([NamedRecord(done, "hx")], "default/default").strip()
    assert line == (
        '{"cached_steps":0,"completed_at":"2026-12-03T05:35:51.063585525Z","completed_steps":0,'
        '"created_at":"2026-12-03T05:35:40.261112013Z","name":"hx","ref":"default/default/zfnk",'
        '"status":"Completed","total_steps":6}'
    )


def _inspection() -> Inspection:
    record = HistoryRecord(
        ref="85s5",
        created_ns=_START,
        completed_ns=_START + 4_300_000_000,
        error_code=2,
        error_message="process did not complete successfully: exit code: 3",
        completed_steps=5,
        total_steps=5,
        cached_steps=1,
    )
    return Inspection(
        record=record,
        name="bxfail",
        context=".",
        dockerfile="Dockerfile",
        target="base",
        build_args=(("V", "7"),),
        config=(("ImageResolveMode", "Image Resolve Mode", "local"),),
        materials=(Material("pkg:docker/busybox@latest", ("sha256:3f",)),),
        attachments=(Attachment("sha256:bd", "", "application/vnd.docker.distribution.manifest.v2+json"),),
        failed_step=FailedStep("[2/2] RUN false", ("one-7", "two")),
        error_sources=("Dockerfile:4\n--------------------\n   4 | >>> RUN false\n--------------------\n",),
    )


def test_inspect_text() -> None:
    text = inspect_text(_inspection(), show_ref=False)
    assert text.split("\n") == [
        "Name:\t\tbxfail",
        "Context:\t.",
        "Dockerfile:\tDockerfile",
        "Target:\t\tbase",
        "",
        f"Started:\t{datetime.fromtimestamp(_START / _NS, UTC).astimezone():%Y-%m-%d %H:%M:%S}",
        "Duration:\t4.3s",
        "Error:\t\tUnknown process did not complete successfully: exit code: 3",
        "Build Steps:\t5/5 (20% cached)",
        "",
        "Image Resolve Mode:\tlocal",
        "",
        "BUILD ARG\tVALUE",
        "V\t\t7",
        "",
        "Materials:",
        "URI\t\t\t\tDIGEST",
        "pkg:docker/busybox@latest\tsha256:3f",
        "",
        "Attachments:",
        "DIGEST\t\tPLATFORM\tTYPE",
        "sha256:bd\t\t\tapplication/vnd.docker.distribution.manifest.v2+json",
        "",
        "Dockerfile:4",
        "--------------------",
        "   4 | >>> RUN false",
        "--------------------",
        "",
        "Logs:",
        "> => [2/2] RUN false:",
        "> one-7",
        "> two",
        "",
        "Print build logs: buildwright history logs 85s5",
        "",
    ]


def test_inspect_json_field_order_and_omissions() -> None:
    out = json.loads(inspect_json(_inspection()))
    assert list(out) == [
        "Name",
        "Ref",
        "Context",
        "Dockerfile",
        "Target",
        "StartedAt",
        "CompletedAt",
        "Duration",
        "Status",
        "Error",
        "NumCompletedSteps",
        "NumTotalSteps",
        "NumCachedSteps",
        "BuildArgs",
        "Config",
        "Materials",
        "Attachments",
    ]
    assert list(out["Error"]) == ["Code", "Message", "Name", "Logs", "Sources"]
    assert out["Duration"] == 4_300_000_000
    assert out["BuildArgs"] == [{"Name": "V", "Value": "7"}]
    assert out["Config"] == {"ImageResolveMode": "local"}
    manifest = "application/vnd.docker.distribution.manifest.v2+json"
    assert out["Attachments"] == [{"Digest": "sha256:bd", "Type": manifest}]


def test_plain_renderer_repeats_a_failed_step_s_last_lines_when_asked() -> None:
    out = io.StringIO()
    started = datetime(2026, 12, 3, tzinfo=UTC)
    with PlainRenderer(out, error_logs=True) as renderer:
        renderer.handle(VertexQueued("sha256:a", "[1/1] RUN false"))
        renderer.handle(VertexStarted("sha256:a", "[1/1] RUN false", started))
        for i in range(12):
            renderer.handle(LogChunk("sha256:a", 1, f"l{i}\n".encode(), started))
        renderer.handle(VertexFailed("sha256:a", "[1/1] RUN false", "exit code: 1", started))
    tail = out.getvalue().split("------\n", 1)[1]
    assert tail.splitlines() == [" > [1/1] RUN false:", *[f"0.000 l{i}" for i in range(2, 12)], "------"]
    plain = io.StringIO()
    with PlainRenderer(plain) as renderer:
        renderer.handle(VertexFailed("sha256:a", "x", "exit code: 1", started))
    assert "------" not in plain.getvalue()
