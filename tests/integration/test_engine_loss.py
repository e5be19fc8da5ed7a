"""The engine lost: the connection cut while a step runs, and between two builds of one session.

A forwarder the test controls (cutproxy.py) stands between the client and the shared engine;
cutting it is what the client sees when the engine dies or its host goes away. The shared engine
is never stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import buildwright
from buildwright import api
from buildwright.errors import EngineLostError, EngineUnavailableError
from tests.integration.cutproxy import CutProxy
from tests.integration.reference import EngineInfo


@pytest.fixture
def proxy(engine: EngineInfo, tmp_path: Path) -> Iterator[CutProxy]:
    with CutProxy(tmp_path / "engine.sock", engine.sock) as running:
        yield running


def _marker() -> str:
    return str(2700 + int(uuid.uuid4().hex[:4], 16) % 900)


def _sleeping(marker: str) -> bool:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return any(line.strip() == f"sleep {marker}" for line in ps.splitlines())


def _cut_when_running(proxy: CutProxy, marker: str) -> threading.Thread:
    def cut() -> None:
        deadline = time.monotonic() + 180
        while not _sleeping(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        proxy.cut()

    thread = threading.Thread(target=cut, name="test-cutter", daemon=True)
    thread.start()
    return thread


def _ours() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("buildwright")}


def _wait_gone(marker: str) -> bool:
    deadline = time.monotonic() + 20
    while _sleeping(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _sleeping(marker)


def test_api_build_loses_the_engine_mid_step(proxy: CutProxy, tmp_path: Path) -> None:
    marker = _marker()
    (tmp_path / "Dockerfile").write_text(f"FROM busybox\nRUN sleep {marker}\n")
    dest = tmp_path / "out"
    before = _ours()
    cutter = _cut_when_running(proxy, marker)
    with pytest.raises(EngineLostError) as caught:
        api.build(
            tmp_path, outputs=[f"type=local,dest={dest}"], engine=api.EngineOptions(addr=f"docker://{proxy.path}")
        )
    cut_at = time.monotonic()
    cutter.join(5)
    assert f"docker://{proxy.path}" in str(caught.value) and "\n" not in str(caught.value)
    assert not dest.exists() and [n for n in os.listdir(tmp_path) if n.startswith(".out.")] == []
    # Every thread the build started ends (the relay's, the session's, the status reader's).
    while _ours() - before and time.monotonic() < cut_at + 10:
        time.sleep(0.1)
    assert _ours() - before == set()
    assert _wait_gone(marker), "the engine kept running the step after its client went away"


def test_cli_build_loses_the_engine_mid_step(engine: EngineInfo, proxy: CutProxy, tmp_path: Path) -> None:
    marker = _marker()
    (tmp_path / "Dockerfile").write_text(f"FROM busybox\nRUN sleep {marker}\n")
    dest = tmp_path / "out"
    args = ["build", "--progress", "quiet", "--addr", f"docker://{proxy.path}", "-o", f"type=local,dest={dest}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "buildwright", *args, str(tmp_path)],
        env=dict(engine.env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cutter = _cut_when_running(proxy, marker)
    cutter.join(180)
    cut_at = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    # Generous: it takes milliseconds, but the machine is shared.
    assert time.monotonic() - cut_at < 20
    assert process.returncode == 1
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith(f"ERROR: lost the connection to the BuildKit engine at docker://{proxy.path}"), stderr
    assert not dest.exists()
    assert _wait_gone(marker)


def test_engine_back_between_two_builds_of_one_session(proxy: CutProxy, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo built > /built\n")
    with buildwright.connect(api.EngineOptions(addr=f"docker://{proxy.path}")) as session:
        first = session.build(tmp_path, outputs=[str(tmp_path / "one")])
        assert (tmp_path / "one" / "built").read_text() == "built\n" and first.duration > 0
        proxy.cut()
        # Down: the next build says why, in the engine's terms.
        with pytest.raises(EngineUnavailableError) as caught:
            session.build(tmp_path, outputs=[str(tmp_path / "two")])
        assert f"docker://{proxy.path}" in str(caught.value) and "No such file or directory" in str(caught.value)
        assert not (tmp_path / "two").exists()
        proxy.resume()
        # Back: the next build reconnects, without waiting for grpc's reconnect back-off.
        session.build(tmp_path, outputs=[str(tmp_path / "three")])
        assert (tmp_path / "three" / "built").read_text() == "built\n"


def test_engine_lost_during_the_export_leaves_no_partial_output(proxy: CutProxy, tmp_path: Path) -> None:
    # Big enough that the export takes a while; the RUN is cached on the engine after a first run.
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN head -c 150000000 /dev/zero > /big\n")
    dest = tmp_path / "out"

    def partial() -> list[str]:
        return [n for n in os.listdir(tmp_path) if n.startswith(".out.buildwright-")]

    def cut_when_exporting() -> None:
        deadline = time.monotonic() + 180
        while not partial() and time.monotonic() < deadline:
            time.sleep(0.02)
        proxy.cut()

    cutter = threading.Thread(target=cut_when_exporting, name="test-cutter", daemon=True)
    cutter.start()
    with pytest.raises(EngineLostError) as caught:
        api.build(
            tmp_path, outputs=[f"type=local,dest={dest}"], engine=api.EngineOptions(addr=f"docker://{proxy.path}")
        )
    cutter.join(5)
    assert f"docker://{proxy.path}" in str(caught.value)
    assert partial() == [] and not dest.exists()
