"""Signals during a CLI build: SIGTERM unwinds like Ctrl-C (engine build cancelled, partial output
removed, one line, exit 143); after a SIGKILL the next build removes what the dead one left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.reference import EngineInfo

# Big enough that exporting it takes a while (the engine sends it through the session), small
# enough to be quick to make; the RUN is cached on the engine after the first run.
_EXPORT_BYTES = 150_000_000
_BIG_DOCKERFILE = f"FROM busybox\nRUN head -c {_EXPORT_BYTES} /dev/zero > /big\n"


def _start(engine: EngineInfo, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "buildwright", "build", "--progress", "quiet", *args],
        env=dict(engine.env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the build ended (exit {process.returncode}) before {what}: {process.communicate()[1]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _leftovers(dest: Path) -> list[str]:
    return sorted(name for name in os.listdir(dest.parent) if name.startswith(f".{dest.name}.buildwright-"))


def _sleeping(marker: str) -> bool:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return any(line.strip() == f"sleep {marker}" for line in ps.splitlines())


def test_sigterm_during_a_run_cancels_the_engine_build(engine: EngineInfo, tmp_path: Path) -> None:
    # A unique sleep length identifies this build's process on the host.
    marker = str(900 + int(uuid.uuid4().hex[:4], 16) % 900)
    (tmp_path / "Dockerfile").write_text(f"FROM busybox\nRUN sleep {marker}\n")
    dest = tmp_path / "out"
    process = _start(engine, str(tmp_path), "-o", f"type=local,dest={dest}")
    _wait_for(lambda: _sleeping(marker), process, "the RUN step started")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143
    assert stderr == "terminated\n"
    assert not dest.exists() and _leftovers(dest) == []
    deadline = time.monotonic() + 20
    while _sleeping(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _sleeping(marker), "the engine kept running the step of the terminated build"


def test_sigterm_during_the_export_removes_the_partial_output(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(_BIG_DOCKERFILE)
    dest = tmp_path / "out"
    process = _start(engine, str(tmp_path), "-o", f"type=local,dest={dest}")
    _wait_for(lambda: bool(_leftovers(dest)), process, "the export started")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    assert stderr.splitlines() == ["terminated"]
    assert _leftovers(dest) == [], "the partial export was left behind"
    assert not dest.exists()


def test_the_next_build_removes_what_a_killed_build_left(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(_BIG_DOCKERFILE)
    (tmp_path / "small.Dockerfile").write_text("FROM scratch\nCOPY small.Dockerfile /f\n")
    dest = tmp_path / "out"
    killed = _start(engine, str(tmp_path), "-o", f"type=local,dest={dest}")
    _wait_for(lambda: bool(_leftovers(dest)), killed, "the export started")
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=30)
    left = _leftovers(dest)
    assert len(left) == 1 and f"-{killed.pid}-" in left[0], left
    # A live build's temporary folder beside the same destination is not touched.
    live = tmp_path / f".out.buildwright-{os.getpid()}-0123abcd.tmp"
    live.mkdir()

    second = _start(engine, str(tmp_path), "-f", str(tmp_path / "small.Dockerfile"), "-o", f"type=local,dest={dest}")
    _, stderr = second.communicate(timeout=300)
    assert second.returncode == 0, stderr
    assert (dest / "f").read_text() == (tmp_path / "small.Dockerfile").read_text()
    assert _leftovers(dest) == [live.name]
