"""Progress output on the engine, next to what buildx prints for the same build.

plain: the same step blocks, sub-task lines and CACHED steps; rawjson: status objects with buildx's
field names; tty: a live view redrawn on a pseudo-terminal; quiet: only the image id.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.reference import EngineInfo, buildx_build

pytestmark = pytest.mark.integration

DOCKERFILE = """\
FROM busybox:latest
COPY a.txt /a.txt
RUN echo progress-{token} && echo to-stderr >&2
RUN echo second
"""


@pytest.fixture
def context(tmp_path: Path) -> Path:
    # A fresh token per test run, so the first RUN really runs at least once.
    (tmp_path / "Dockerfile").write_text(DOCKERFILE.format(token=uuid.uuid4().hex[:8]))
    (tmp_path / "a.txt").write_text("a\n")
    return tmp_path


def _cli(engine: EngineInfo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", *args],
        env={**engine.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _blocks(text: str) -> dict[str, list[str]]:
    """Plain output as step name -> the lines of its blocks (without the `#N ` prefix)."""
    names: dict[str, str] = {}
    blocks: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"#(\d+) (.*)", line)
        if not match or match.group(1) == "0":
            continue
        number, rest = match.groups()
        if number not in names:
            names[number] = rest
            blocks.setdefault(rest, [])
        elif rest != names[number]:
            blocks[names[number]].append(rest)
    return blocks


def test_plain_output_has_buildx_blocks(engine: EngineInfo, context: Path) -> None:
    tag = "bw-progress/plain:latest"
    ours = _cli(engine, "build", "--progress=plain", "-t", tag, str(context))
    assert ours.returncode == 0, ours.stderr
    ran = _blocks(ours.stderr)
    run_step = next(name for name in ran if name.startswith("[3/4] RUN echo progress-"))
    offsets = [line.split(" ", 1) for line in ran[run_step] if re.match(r"\d+\.\d{3} ", line)]
    assert sorted(text for _, text in offsets)[-2:] == [f"progress-{run_step.split('progress-')[1][:8]}", "to-stderr"]
    assert re.fullmatch(r"DONE \d+\.\ds", ran[run_step][-1])
    assert any(
        re.fullmatch(r"transferring context: \d+B( \d+\.\ds)? done", line) for lines in ran.values() for line in lines
    )
    assert any(line.startswith("naming to docker.io/bw-progress/plain:latest") for line in ran["exporting to image"])
    assert "\n\n#" in ours.stderr  # blocks are separated by blank lines

    # Built by buildx afterwards, every Dockerfile step is CACHED in both outputs alike.
    reference = buildx_build(engine, context, tag="bw-progress/plain:buildx")
    again = _cli(engine, "build", "--progress=plain", "-t", tag, str(context))
    assert again.returncode == 0, again.stderr
    theirs, cached = _blocks(reference.stderr), _blocks(again.stderr)
    for step in ("[2/4] COPY a.txt /a.txt", run_step, "[4/4] RUN echo second"):
        assert theirs[step] == ["CACHED"], reference.stderr
        assert cached[step] == ["CACHED"], again.stderr


def test_rawjson_uses_buildx_field_names(engine: EngineInfo, context: Path) -> None:
    reference = engine.docker(
        "buildx", "build", "--progress=rawjson", "--provenance=false", "-t", "bw-progress/raw:buildx", str(context)
    )
    assert reference.returncode == 0, reference.stderr
    ours = _cli(engine, "build", "--progress=rawjson", "--no-cache", "-t", "bw-progress/raw:latest", str(context))
    assert ours.returncode == 0, ours.stderr

    def fields(text: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for line in text.splitlines():
            for kind, items in json.loads(line).items():
                for item in items:
                    found.setdefault(kind, set()).update(item)
        return found

    theirs, mine = fields(reference.stderr), fields(ours.stderr)
    assert set(mine) == {"vertexes", "statuses", "logs"} <= set(theirs)
    for kind, names in mine.items():
        assert names <= theirs[kind] | {"cached", "error", "inputs"}, (kind, names - theirs[kind])
    logs = [item for line in ours.stderr.splitlines() for item in json.loads(line).get("logs", [])]
    assert {entry["stream"] for entry in logs} == {1, 2}
    assert ours.stdout == ""


def test_tty_view_on_a_pseudo_terminal(engine: EngineInfo, context: Path) -> None:
    leader, follower = os.openpty()
    env = {k: v for k, v in engine.env.items() if k not in ("BUILDKIT_PROGRESS", "NO_COLOR")}
    env.update(TERM="xterm", COLUMNS="100", LINES="30")
    command = [sys.executable, "-m", "buildwright", "build", "-t", "bw-progress/tty:latest", str(context)]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(60) == 0
    text = b"".join(chunks).decode()
    assert text.startswith("\x1b[?25l") and "\x1b[?25h" in text
    assert re.search(r"\[\+\] Building \d+\.\ds \((\d+)/\1\) FINISHED", text), text[-2000:]
    assert "\x1b[2K\x1b[1A" in text or text.count("[+] Building") == 1
    assert " => [4/4] RUN echo second" in text
    assert " => exporting to image" in text


def test_quiet_progress_from_the_environment_prints_nothing(engine: EngineInfo, context: Path) -> None:
    # As buildx: BUILDKIT_PROGRESS=quiet silences progress; only -q/--quiet prints the image id.
    result = _cli(engine, "build", "-t", "bw-progress/quiet:latest", str(context), env={"BUILDKIT_PROGRESS": "quiet"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""
