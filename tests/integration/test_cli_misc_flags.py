"""Flags not covered elsewhere, on the engine: --no-cache-filter and --log-format json."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import buildwright
from buildwright.client.events import BuildEvent, VertexCached, VertexCompleted
from tests.integration.reference import EngineInfo

TWO_STAGES = """\
FROM busybox:latest AS left
RUN echo "left {token}" > /left

FROM busybox:latest AS right
RUN echo "right {token}" > /right

FROM busybox:latest
COPY --from=left /left /left
COPY --from=right /right /right
"""


def _steps(events: list[BuildEvent], kind: type) -> set[str]:
    return {event.name for event in events if isinstance(event, kind) and "RUN echo" in event.name}


def test_no_cache_filter_rebuilds_only_the_named_stage(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(TWO_STAGES.format(token=uuid.uuid4().hex))
    options = buildwright.EngineOptions(env=engine.env)
    buildwright.build(tmp_path, engine=options)

    events: list[BuildEvent] = []
    buildwright.build(tmp_path, engine=options, no_cache_filter=["left"], on_event=events.append)

    assert any("[left 2/2] RUN" in name for name in _steps(events, VertexCompleted))
    assert not any("[left" in name for name in _steps(events, VertexCached))
    assert any("[right 2/2] RUN" in name for name in _steps(events, VertexCached))


def test_log_format_json_writes_structured_lines(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nRUN true\n")
    result = subprocess.run(
        [sys.executable, "-m", "buildwright", "build", "--debug", "--log-format", "json", "--progress", "quiet",
         str(tmp_path)],
        env=dict(engine.env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert records, result.stderr
    assert all("event" in record and "level" in record for record in records)
    assert any(record["event"] == "session_started" for record in records)


def test_dockerfile_from_stdin(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "greeting.txt").write_text("hello from the context\n")
    dockerfile = 'FROM busybox:latest\nCOPY greeting.txt /g\nCMD ["cat", "/g"]\n'
    tag = f"bw-misc/stdin:{uuid.uuid4().hex[:8]}"
    result = subprocess.run(
        [sys.executable, "-m", "buildwright", "build", "-q", "-f", "-", "-t", tag, str(tmp_path)],
        input=dockerfile,
        env=dict(engine.env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert engine.docker("run", "--rm", tag).stdout.decode() == "hello from the context\n"
