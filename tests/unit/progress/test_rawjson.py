from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime

from buildwright.client.events import BuildWarning, LogChunk, StatusProgress, VertexCached, VertexQueued
from buildwright.progress import RawJsonRenderer
from buildwright.progress.rawjson import go_json, go_time

from ._events import build_events, failing_events

# Field order of BuildKit's client.SolveStatus and its parts (client/graph.go), as buildx writes them.
FIELDS = {
    "vertexes": ["digest", "inputs", "name", "started", "completed", "cached", "error", "progressGroup"],
    "statuses": ["id", "vertex", "name", "total", "current", "timestamp", "started", "completed"],
    "logs": ["vertex", "stream", "data", "timestamp"],
    "warnings": ["vertex", "level", "short", "detail", "url", "sourceInfo", "range"],
}

# Lines buildx 0.29.1 printed with --progress=rawjson on the test engine (dockerd 28.5.2).
BUILDX_LINES = [
    '{"vertexes":[{"digest":"sha256:7d59","inputs":["sha256:675b"],"name":"[3/4] RUN echo hello-$RANDOM \\u0026\\u0026'
    ' for i in 1 2 3; do echo line$i; done \\u003e\\u00262","started":"2026-11-28T02:06:49.295759544Z"}]}',
    '{"statuses":[{"id":"transferring context:","vertex":"sha256:75a0","name":"transferring","current":35,'
    '"timestamp":"2026-11-28T02:06:49.269284413Z","started":"2026-11-28T02:06:49.266658722Z",'
    '"completed":"2026-11-28T02:06:49.269283526Z"}]}',
    '{"logs":[{"vertex":"sha256:7d59","stream":1,"data":"aGVsbG8tMjA1NzcK","timestamp":"2026-11-28T02:06:49.545594691Z"}]}',
]


def _lines(events: list) -> list[str]:  # type: ignore[type-arg]
    out = io.StringIO()
    with RawJsonRenderer(out) as renderer:
        for event in events:
            renderer.handle(event)
    return out.getvalue().splitlines()


def _check_shape(message: dict) -> None:  # type: ignore[type-arg]
    assert message and set(message) <= set(FIELDS)
    for kind, items in message.items():
        assert isinstance(items, list) and items
        for item in items:
            keys = list(item)
            assert keys == [k for k in FIELDS[kind] if k in item], (kind, keys)


def test_buildx_lines_have_the_checked_shape() -> None:
    for line in BUILDX_LINES:
        _check_shape(json.loads(line))


def test_every_event_is_one_solve_status_line() -> None:
    events = build_events() + failing_events()
    lines = _lines(events)
    assert len(lines) == len(events)
    for line in lines:
        _check_shape(json.loads(line))


def test_vertexes_carry_what_is_known_so_far() -> None:
    messages = [json.loads(line) for line in _lines(build_events())]
    run = [m["vertexes"][0] for m in messages if "vertexes" in m and m["vertexes"][0]["name"] == "[3/3] RUN make"]
    assert run[0] == {"digest": "sha256:5555", "inputs": ["sha256:4444"], "name": "[3/3] RUN make"}
    assert run[1]["started"] == "2026-01-02T03:04:06Z"
    assert run[2] == {
        "digest": "sha256:5555",
        "inputs": ["sha256:4444"],
        "name": "[3/3] RUN make",
        "started": "2026-01-02T03:04:06Z",
        "completed": "2026-01-02T03:04:07.25Z",
    }
    cached = [m["vertexes"][0] for m in messages if m.get("vertexes", [{}])[0].get("cached")]
    assert [v["name"] for v in cached] == ["[1/3] FROM docker.io/library/busybox:latest", "[2/3] COPY . /src"]
    failed = [json.loads(line)["vertexes"][0] for line in _lines(failing_events())[-2:]]
    assert failed[0]["error"].endswith("exit code: 1")


def test_status_log_and_warning_fields() -> None:
    t = datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)
    lines = _lines(
        [
            VertexQueued("sha256:a", "x"),
            StatusProgress("sha256:a", "exporting layers", "", 0, 0, t, False),
            StatusProgress("sha256:a", "sha256:layer", "", 50, 100, t, True),
            LogChunk("sha256:a", 2, b"\xffbinary<ok>", t),
            BuildWarning("sha256:a", 1, "Short", ("line 1",), "https://u"),
            VertexCached("sha256:a", "x"),
        ]
    )
    status = json.loads(lines[1])["statuses"][0]
    assert status == {
        "id": "exporting layers",
        "vertex": "sha256:a",
        "current": 0,
        "timestamp": "2026-01-02T03:04:05.12Z",
        "started": "2026-01-02T03:04:05.12Z",
    }
    done = json.loads(lines[2])["statuses"][0]
    assert (done["total"], done["current"], done["completed"]) == (100, 50, "2026-01-02T03:04:05.12Z")
    log = json.loads(lines[3])["logs"][0]
    assert base64.b64decode(log["data"]) == b"\xffbinary<ok>" and log["stream"] == 2
    warning = json.loads(lines[4])["warnings"][0]
    assert base64.b64decode(warning["short"]) == b"Short"
    assert [base64.b64decode(d) for d in warning["detail"]] == [b"line 1"]
    assert (warning["level"], warning["url"]) == (1, "https://u")
    assert json.loads(lines[5]) == {"vertexes": [{"digest": "sha256:a", "name": "x", "cached": True}]}


def test_go_encoding_details() -> None:
    assert go_json({"name": "a && b > c <d> é"}) == '{"name":"a \\u0026\\u0026 b \\u003e c \\u003cd\\u003e é"}'
    assert go_time(None) == "0001-01-01T00:00:00Z"
    assert go_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert go_time(datetime(2026, 1, 2, 3, 4, 5, 500, tzinfo=UTC)) == "2026-01-02T03:04:05.0005Z"
