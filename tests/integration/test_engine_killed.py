"""A real engine process killed while a step runs: a buildkitd of its own, SIGKILLed mid-build.

The CLI must end within seconds with one line naming the engine, exit 1, and leave no output
behind; the daemon is started again afterwards and a build on it works.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.integration.buildkitd import Buildkitd, BuildkitdUnavailable, buildkitd_down, buildkitd_up
from tests.integration.cli import run_cli
from tests.integration.reference import EngineInfo

_NAME = "bw-test-kill"
_PORT = 7394
_RUN = Path(os.environ.get("BUILDWRIGHT_BUILDKITD_RUN", "/run/buildwright-buildkitd"))


def _daemon() -> Buildkitd:
    try:
        return buildkitd_up(_NAME, _PORT)
    except BuildkitdUnavailable as exc:
        pytest.skip(f"no standalone buildkitd on this machine: {exc}")


def _sleeping(marker: str) -> bool:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return any(line.strip() == f"sleep {marker}" for line in ps.splitlines())


def test_killed_buildkitd_ends_the_build_with_one_line(engine: EngineInfo, tmp_path: Path) -> None:
    daemon = _daemon()
    marker = str(3700 + int(uuid.uuid4().hex[:4], 16) % 900)
    (tmp_path / "Dockerfile").write_text(f"FROM busybox:latest\nRUN sleep {marker}\n")
    dest = tmp_path / "out"
    env = {k: v for k, v in engine.env.items() if k not in ("BUILDKIT_HOST", "DOCKER_HOST")}
    command = [sys.executable, "-m", "buildwright", "build", "--progress", "plain", "--addr", daemon.unix_address]
    build = subprocess.Popen(
        [*command, "--no-cache", "-o", f"type=local,dest={dest}", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not _sleeping(marker) and time.monotonic() < deadline and build.poll() is None:
            time.sleep(0.2)
        assert _sleeping(marker), "the step never started"
        pid = int((_RUN / _NAME / "buildkitd.pid").read_text())
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        _, stderr = build.communicate(timeout=60)
        took = time.monotonic() - killed_at
    finally:
        if build.poll() is None:
            build.kill()
        buildkitd_down(_NAME)
    assert build.returncode == 1, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR: ") and daemon.unix_address.removeprefix("unix://") in last, stderr
    assert "Traceback" not in stderr
    assert took < 30
    assert not dest.exists()
    assert not [p for p in tmp_path.iterdir() if ".buildwright-" in p.name]

    # Up again, the daemon builds.
    again = _daemon()
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nRUN echo back > /back\n")
    done = run_cli(env, "build", "-q", "--addr", again.unix_address, "-o", f"type=local,dest={dest}", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (dest / "back").read_text() == "back\n"
    buildkitd_down(_NAME)
