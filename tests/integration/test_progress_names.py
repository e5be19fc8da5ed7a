"""Step names in plain progress next to buildx's for the same builds on the same engine.

What is compared is the set of step lines (`#N [stage i/n] ...`, `#N [internal] ...`) and of the
transfer lines of the loading steps, with step numbers and durations taken out: a FROM shared by
several stages, the Dockerfile and .dockerignore loads (also with `-f` and a Dockerfile-specific
ignore file), the build context, and a git context whose fetch is one step.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.integration.reference import EngineInfo
from tests.integration.remote_servers import commit_tree, git, git_daemon

pytestmark = [pytest.mark.integration, pytest.mark.serial]

_TOKEN = uuid.uuid4().hex[:12]
# Three stages on one base image, two of them named: the FROM is one step of the graph, named
# after the stage the reference's marshalling visits last.
_SHARED_FROM = f"""\
FROM busybox:latest AS a
RUN echo a-{_TOKEN} > /a
FROM busybox:latest AS b
RUN echo b-{_TOKEN} > /b
FROM busybox:latest
COPY --from=a /a /a
COPY --from=b /b /b
"""
_WITH_CONTEXT = f"""\
FROM busybox:latest AS src
RUN echo src-{_TOKEN} > /s
FROM busybox:latest AS tools
RUN echo tools-{_TOKEN}
FROM src
COPY data.txt /data.txt
COPY --from=tools /bin/true /t
"""
# A bare `transferring dockerfile:` is buildx's status before the first byte count, printed only
# when the engine reports the transfer while it is under way: not part of what is compared.
_STEP = re.compile(r"^#\d+ (\[.*|transferring (?:dockerfile|context): \S.*)$")
_DURATION = re.compile(r" \d+\.\d+s")


def _step_lines(stderr: str) -> set[str]:
    lines = set()
    for line in stderr.splitlines():
        found = _STEP.match(line)
        if found:
            lines.add(_DURATION.sub("", found.group(1)))
    return lines


def _plain(engine: EngineInfo, command: Sequence[str]) -> set[str]:
    done = subprocess.run(
        [*command, "--progress=plain"], env=dict(engine.env), capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return _step_lines(done.stderr)


def _compare(engine: EngineInfo, args: Sequence[str]) -> tuple[set[str], set[str]]:
    # The engine names a step shared with a build running at the same time after that build's
    # definition (the shared engine runs other builds too): one more pair of runs settles it.
    for _ in range(2):
        theirs = _plain(engine, [engine.docker_cli, "buildx", "build", *args])
        ours = _plain(engine, [sys.executable, "-m", "buildwright", "build", *args])
        if ours == theirs:
            break
    return ours, theirs


def test_shared_from_is_named_as_buildx_names_it(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(_SHARED_FROM)
    ours, theirs = _compare(engine, [str(tmp_path)])
    assert ours == theirs
    assert any(line.startswith("[b 1/2] FROM docker.io/library/busybox:latest@sha256:") for line in ours)
    assert "[internal] load build definition from Dockerfile" in ours
    assert "[internal] load .dockerignore" in ours and "transferring context: 2B done" in ours


def test_context_dockerignore_and_target_match_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(_WITH_CONTEXT)
    (tmp_path / "data.txt").write_text(f"{_TOKEN}\n")
    (tmp_path / ".dockerignore").write_text("*.log\nnode_modules\n")
    for args in ([str(tmp_path)], ["--target=tools", str(tmp_path)]):
        ours, theirs = _compare(engine, args)
        assert ours == theirs, args
    assert "[internal] load build context" in ours or "--target=tools" in args


def test_named_dockerfile_with_its_own_ignore_file(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.Dockerfile").write_text(_WITH_CONTEXT)
    (tmp_path / "build" / "app.Dockerfile.dockerignore").write_text("*.tmp\n")
    (tmp_path / "data.txt").write_text(f"{_TOKEN}\n")
    ours, theirs = _compare(engine, ["-f", str(tmp_path / "build" / "app.Dockerfile"), str(tmp_path)])
    assert ours == theirs
    assert "[internal] load build definition from app.Dockerfile" in ours


def test_git_context_is_loaded_once(engine: EngineInfo, tmp_path: Path) -> None:
    work, base = tmp_path / "work", tmp_path / "git"
    work.mkdir()
    base.mkdir()
    git(work, "init", "-q", "-b", "main")
    commit_tree(work, {"Dockerfile": _SHARED_FROM.replace("COPY --from=b", "COPY . /ctx\nCOPY --from=b")}, "one")
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(base / "repo.git")], check=True)
    with git_daemon(base) as url:
        args = [f"{url}/repo.git#main"]
        ours, theirs = _compare(engine, args)
        done = subprocess.run(
            [sys.executable, "-m", "buildwright", "build", "--progress=plain", *args],
            env=dict(engine.env),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert ours == theirs
    headers = [line for line in done.stderr.splitlines() if "[internal] load git source" in line]
    assert len(headers) == 1, done.stderr
