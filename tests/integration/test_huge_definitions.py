"""Huge definitions: 10,000 instructions build; a definition over the engine's message limit fails
with the limit named; a Dockerfile too big to ever fit is refused before the engine is contacted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.reference import EngineInfo


def _cli(engine: EngineInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", "build", "--progress", "quiet", *args],
        env=dict(engine.env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_ten_thousand_instructions_build(engine: EngineInfo, tmp_path: Path) -> None:
    lines = ["FROM busybox"]
    for i in range(9998):
        kind = i % 3
        lines.append(f"ENV K{i}=v{i}" if kind == 0 else f"LABEL l{i}=v{i}" if kind == 1 else f"ARG A{i}=a{i}")
    lines.append('RUN env | grep -c "^K" > /count && echo "$K0 $K9996 $A9998" > /values')
    assert len(lines) == 10_000
    (tmp_path / "Dockerfile").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    result = _cli(engine, "-o", f"type=local,dest={out}", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (out / "count").read_text() == "3333\n"
    assert (out / "values").read_text() == "v0 v9996 \n"  # A9998 is not declared (the last ARG is A9997)


def test_a_definition_over_the_engines_limit_names_the_limit(engine: EngineInfo, tmp_path: Path) -> None:
    # Every RUN carries the whole environment: 20 x 60 KB of ENV over 16 RUNs is about 19 MiB.
    lines = ["FROM busybox"] + [f"ENV E{i}={'x' * 60_000}" for i in range(20)]
    lines += [f"RUN echo {i}" for i in range(16)]
    (tmp_path / "Dockerfile").write_text("\n".join(lines) + "\n")
    result = _cli(engine, str(tmp_path))
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("ERROR: the build definition is ")
    assert "the engine's gRPC message size limit of 16.0 MiB" in line and "moby/buildkit#6097" in line


def test_a_50_mb_dockerfile_is_refused_before_anything_is_sent(engine: EngineInfo, tmp_path: Path) -> None:
    with open(tmp_path / "Dockerfile", "wb") as handle:
        handle.write(b"FROM busybox\n")
        handle.truncate(50_000_000)  # sparse: quick to make
    # No engine at this address: the refusal comes first, so nothing is sent anywhere.
    result = _cli(engine, "--addr", f"unix://{tmp_path}/no-engine.sock", str(tmp_path))
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"ERROR: {tmp_path}/Dockerfile: the Dockerfile is 50.0 MB, over the 16 MiB limit")
