"""The CLI's exit codes on a real engine: 0 built, 1 build or engine error, 2 usage, 130 SIGINT
(143 SIGTERM is in test_signals.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.integration.cli import run_cli
from tests.integration.reference import EngineInfo


def _cli(engine: EngineInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(engine.env, *args, timeout=300)


def test_exit_codes(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo ok > /ok\n")
    (tmp_path / "failing.Dockerfile").write_text("FROM busybox\nRUN exit 3\n")
    quiet = ("--progress", "quiet")
    built = _cli(engine, "build", *quiet, "-o", str(tmp_path / "out"), str(tmp_path))
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out" / "ok").read_text() == "ok\n"

    cases: list[tuple[tuple[str, ...], int, str]] = [
        (("build", *quiet, "-f", str(tmp_path / "failing.Dockerfile"), str(tmp_path)), 1, "exit code: 3"),
        (("build", *quiet, "--addr", f"unix://{tmp_path}/no-engine.sock", str(tmp_path)), 1, "no-engine.sock"),
        (("build", *quiet, "--target", "nope", str(tmp_path)), 1, "nope"),
        (("build", "--no-such-flag", str(tmp_path)), 2, "No such option"),
        (("build", *quiet, "-o", "type=local,dest", str(tmp_path)), 2, "invalid value dest"),
        (("build", *quiet, "--build-context", "novalue", str(tmp_path)), 2, "expected key=value"),
        (("build", *quiet, "-o", "-", "-o", "type=tar", str(tmp_path)), 2, "multiple outputs"),
        (("build", *quiet, "--addr", "unix:///x.sock", "--builder", "b", str(tmp_path)), 2, "not both"),
        (("build", *quiet, "--addr", "tcp://nowhere", str(tmp_path)), 2, "expected host:port"),
    ]
    # Independent commands: run at once, to keep the test quick.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: _cli(engine, *case[0]), cases))
    for (args, code, message), result in zip(cases, results, strict=True):
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_sigint_exits_130(engine: EngineInfo, tmp_path: Path) -> None:
    marker = str(1800 + int(uuid.uuid4().hex[:4], 16) % 900)
    (tmp_path / "Dockerfile").write_text(f"FROM busybox\nRUN sleep {marker}\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "buildwright", "build", "--progress", "quiet", str(tmp_path)],
        env=dict(engine.env),
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        if f"sleep {marker}" in ps.splitlines():
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert stderr == "interrupted\n"
