"""`build --call=targets` (and `--print`) against buildx's on the same Dockerfiles: the same text
and JSON; `--call` values buildwright does not evaluate are refused as usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.reference import REPO_ROOT, EngineInfo

_RICH = """\
ARG BASE=busybox:latest

# builder compiles the tools
# (two comment lines)
FROM --platform=$BUILDPLATFORM ${BASE} AS Builder
RUN true

# not a doc comment: it does not start with the name
FROM builder AS tester

FROM \\
  busybox:latest
COPY --from=builder /bin/true /t

# final <the one & only>
FROM scratch AS final
"""
_EXAMPLES = sorted(p for p in (REPO_ROOT / "examples").iterdir() if (p / "Dockerfile").is_file())


def _run(engine: EngineInfo, command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=dict(engine.env), capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("call")
    (folder / "Dockerfile").write_text(_RICH)
    return folder


@pytest.mark.parametrize("call", ["targets", "targets,format=json"])
def test_targets_match_buildx(engine: EngineInfo, rich: Path, call: str) -> None:
    # The JSON carries every field; the table is drawn from the same values, so fewer suffice.
    contexts = (rich, *_EXAMPLES) if call.endswith("json") else (rich, _EXAMPLES[0])
    for context in contexts:
        ours = _run(engine, [sys.executable, "-m", "buildwright", "build", f"--call={call}", str(context)])
        theirs = _run(engine, [engine.docker_cli, "buildx", "build", f"--call={call}", str(context)])
        assert ours.returncode == 0 == theirs.returncode, ours.stderr + theirs.stderr
        assert ours.stdout == theirs.stdout, context


def test_print_is_the_old_name(engine: EngineInfo, rich: Path) -> None:
    ours = _run(engine, [sys.executable, "-m", "buildwright", "build", "--print=targets", str(rich)])
    assert ours.returncode == 0
    assert ours.stdout.startswith("TARGET ")
    assert "builder (default)" not in ours.stdout and "final (default)" in ours.stdout


@pytest.mark.parametrize("call", ["outline", "nonsense", "targets,format=yaml"])
def test_calls_not_evaluated_are_usage_errors(engine: EngineInfo, rich: Path, call: str) -> None:
    done = _run(engine, [sys.executable, "-m", "buildwright", "build", f"--call={call}", str(rich)])
    assert done.returncode == 2
    assert "--call" in done.stderr and "Traceback" not in done.stderr
