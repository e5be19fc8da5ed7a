"""The asyncio API on the engine: concurrent awaited builds, progress as async iteration, and
cancellation by task cancel that stops the build on the engine and leaves no output behind."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import buildwright
from buildwright.client.events import VertexCompleted, VertexQueued, VertexStarted
from tests.integration.reference import EngineInfo


def _sleeping(marker: str) -> bool:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return any(line.strip() == f"sleep {marker}" for line in ps.splitlines())


def test_async_builds_run_together_and_stream_their_events(engine: EngineInfo, tmp_path: Path) -> None:
    token = uuid.uuid4().hex[:12]
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "Dockerfile").write_text(f"FROM busybox:latest\nRUN echo {name}-{token} > /out.txt\n")

    async def main() -> tuple[list[object], buildwright.BuildResult, buildwright.BuildResult]:
        async with buildwright.aconnect(buildwright.EngineOptions(env=engine.env)) as aengine:
            first = aengine.start(tmp_path / "one", tags=[f"bw-aio/one:{token}"])
            second = aengine.build(tmp_path / "two", tags=[f"bw-aio/two:{token}"])
            events = [event async for event in first.events()]
            one, two = await asyncio.gather(first, second)
            return events, one, two

    events, one, two = asyncio.run(main())
    assert one.image_id and two.image_id and one.image_id != two.image_id
    names = [e.name for e in events if isinstance(e, VertexQueued)]
    assert any(f"echo one-{token}" in name for name in names)
    assert not any(f"two-{token}" in name for name in names)  # each build streams only its own events
    assert any(isinstance(e, VertexCompleted) for e in events)
    shown = engine.docker("run", "--rm", f"bw-aio/one:{token}", "cat", "/out.txt").stdout.decode()
    assert shown == f"one-{token}\n"


def test_cancelling_the_task_cancels_the_engine_build(engine: EngineInfo, tmp_path: Path) -> None:
    marker = str(600 + int(uuid.uuid4().hex[:4], 16) % 300)
    (tmp_path / "Dockerfile").write_text(f"FROM busybox:latest\nRUN sleep {marker}\n")
    dest = tmp_path / "out"

    async def main() -> float:
        async with buildwright.aconnect(buildwright.EngineOptions(env=engine.env)) as aengine:
            build = aengine.start(tmp_path, no_cache=True, outputs=[f"type=local,dest={dest}"])
            waiter = asyncio.ensure_future(build.result())
            async for event in build.events():
                if isinstance(event, VertexStarted) and f"sleep {marker}" in event.name:
                    break
            deadline = time.monotonic() + 60
            while not _sleeping(marker) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            assert _sleeping(marker), "the step never started on the engine"
            cancelled_at = time.monotonic()
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
            return time.monotonic() - cancelled_at

    took = asyncio.run(main())
    assert took < 30
    deadline = time.monotonic() + 20
    while _sleeping(marker) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _sleeping(marker), "the engine kept running the cancelled step"
    assert not dest.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".out", "out."))], list(tmp_path.iterdir())
