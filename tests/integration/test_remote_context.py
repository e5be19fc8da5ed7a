"""Remote build contexts against buildx on the same engine: a git repository (git:// and smart HTTP,
with a ref and a subdir), an http(s) tarball or lone Dockerfile, `-f` inside the remote source or
from stdin, and `-` (a tar archive or a Dockerfile on stdin). Both builders fetch the same URLs
from servers on 127.0.0.1; the images (config, history, layers, files) must be the same, and the
steps buildx ran are cached for buildwright (the same LLB). Bad input fails on one line.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import buildwright
from tests.integration.reference import EngineInfo, assert_same_image, snapshot_image
from tests.integration.remote_servers import commit_tree, git, git_daemon, http_server

_TOKEN = uuid.uuid4().hex  # makes the steps new to the engine's cache in every test session

_MAIN = {
    "Dockerfile": "FROM busybox:latest\nCOPY . /src\nRUN cat /src/token && ls -lan /src > /listing\n",
    "token": f"{_TOKEN}\n",
    "sub/Dockerfile": "FROM busybox:latest\nWORKDIR /app\nCOPY . .\nRUN ls -lan . > /listing\n",
    "sub/data.txt": "in the subdir\n",
    "alt/Dockerfile.alt": 'FROM busybox:latest\nCOPY token /t\nCMD ["cat", "/t"]\n',
    "lower/dockerfile": "FROM busybox:latest\nCOPY . /l\n",
}
_FEATURE = {
    "Dockerfile": "FROM busybox:latest\nCOPY feature.txt /\nRUN cat /feature.txt\n",
    "feature.txt": f"feature {_TOKEN}\n",
}
_TARBALL_DOCKERFILE = f"FROM busybox:latest\nCOPY . /ctx\nRUN echo {_TOKEN} && ls -lan /ctx > /listing\n"
_PLAIN_DOCKERFILE = f'FROM busybox:latest\nRUN echo {_TOKEN} > /plain\nCMD ["cat", "/plain"]\n'


@dataclass(frozen=True, slots=True)
class Remotes:
    git: str  # git://127.0.0.1:PORT
    http: str  # http://127.0.0.1:PORT (files; /git/ is smart HTTP)
    folder: Path


def _tar(files: dict[str, str], *, gzip: bool) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gzip else "w", format=tarfile.GNU_FORMAT) as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def remotes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remotes]:
    root = tmp_path_factory.mktemp("remote")
    work, repos, served = root / "work", root / "repos", root / "served"
    for folder in (work, repos, served):
        folder.mkdir()
    git(work, "init", "-q", "-b", "main")
    commit_tree(work, _MAIN, "main")
    git(work, "tag", "v1")
    git(work, "checkout", "-q", "-b", "feature")
    commit_tree(work, _FEATURE, "feature")
    git(work, "checkout", "-q", "main")
    git(root, "clone", "-q", "--bare", str(work), str(repos / "repo.git"))
    tar_files = {"Dockerfile": _TARBALL_DOCKERFILE, "a.txt": "a\n", "dir/b.txt": "b\n"}
    (served / "ctx.tar.gz").write_bytes(_tar(tar_files, gzip=True))
    (served / "ctx.tar").write_bytes(_tar(tar_files, gzip=False))
    (served / "Dockerfile.plain").write_text(_PLAIN_DOCKERFILE)
    with git_daemon(repos) as git_url, http_server(served, repos) as server:
        yield Remotes(git_url, server.url, served)


def _ours(engine: EngineInfo, args: Sequence[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "buildwright", "build", "--progress=plain", *args]
    return subprocess.run(command, env=dict(engine.env), input=stdin, capture_output=True, timeout=300, check=False)


def _theirs(engine: EngineInfo, args: Sequence[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    command = [engine.docker_cli, "buildx", "build", "--progress=plain", "--provenance=false", "--load", *args]
    return subprocess.run(command, env=dict(engine.env), input=stdin, capture_output=True, timeout=300, check=False)


def _compare(engine: EngineInfo, name: str, args: Sequence[str], stdin: bytes | None = None) -> None:
    theirs = _theirs(engine, ["-t", f"bw-remote-bx:{name}", *args], stdin)
    assert theirs.returncode == 0, theirs.stderr.decode()[-3000:]
    ours = _ours(engine, ["-t", f"bw-remote-bw:{name}", *args], stdin)
    assert ours.returncode == 0, ours.stderr.decode()[-3000:]
    assert_same_image(snapshot_image(engine, f"bw-remote-bx:{name}"), snapshot_image(engine, f"bw-remote-bw:{name}"))


@pytest.mark.parametrize(
    ("name", "where", "suffix", "extra"),
    [
        ("git-default", "git", "/repo.git", ()),
        ("git-branch", "git", "/repo.git#feature", ()),
        ("git-tag-subdir", "git", "/repo.git#v1:sub", ()),
        ("git-query", "git", "/repo.git?ref=main&subdir=sub", ()),
        ("git-file", "git", "/repo.git", ("-f", "alt/Dockerfile.alt")),
        ("git-lowercase", "git", "/repo.git#main:lower", ()),
        ("smart-http", "http", "/git/repo.git#main:sub", ()),
        ("tarball-gz", "http", "/ctx.tar.gz", ()),
        ("tarball", "http", "/ctx.tar", ()),
        ("plain-dockerfile", "http", "/Dockerfile.plain", ()),
    ],
)
def test_remote_context_matches_buildx(
    engine: EngineInfo, remotes: Remotes, name: str, where: str, suffix: str, extra: tuple[str, ...]
) -> None:
    base = remotes.git if where == "git" else remotes.http
    _compare(engine, name, [*extra, base + suffix])


def test_dockerfile_from_stdin_with_a_remote_context(engine: EngineInfo, remotes: Remotes) -> None:
    dockerfile = f"FROM busybox:latest\nCOPY sub /s\nRUN echo {_TOKEN}-stdin\n".encode()
    _compare(engine, "git-stdin-file", ["-f", "-", f"{remotes.git}/repo.git"], dockerfile)


def test_local_absolute_dockerfile_with_a_remote_context(engine: EngineInfo, remotes: Remotes, tmp_path: Path) -> None:
    local = tmp_path / "Local.Dockerfile"
    local.write_text("FROM busybox:latest\nCOPY feature.txt /from-local\n")
    _compare(engine, "git-abs-file", ["-f", str(local), f"{remotes.git}/repo.git#feature"])


def test_tar_on_stdin_is_the_context(engine: EngineInfo) -> None:
    files = {"Dockerfile": f"FROM busybox:latest\nCOPY . /in\nRUN echo {_TOKEN}-tar\n", "x/y.txt": "y\n"}
    _compare(engine, "stdin-tar", ["-"], _tar(files, gzip=False))
    _compare(engine, "stdin-tgz", ["-"], _tar(files, gzip=True))


def test_dockerfile_on_stdin_has_no_context(engine: EngineInfo) -> None:
    dockerfile = f"FROM busybox:latest\nRUN echo {_TOKEN}-nocontext > /n\n".encode()
    _compare(engine, "stdin-dockerfile", ["-"], dockerfile)


def test_buildx_steps_are_cached_for_buildwright(engine: EngineInfo, remotes: Remotes) -> None:
    url = f"{remotes.git}/repo.git#feature"
    theirs = _theirs(engine, ["-t", "bw-remote-bx:cache", url])
    assert theirs.returncode == 0, theirs.stderr.decode()[-3000:]
    result = buildwright.build(url, tags=["bw-remote-bw:cache"], engine=buildwright.EngineOptions(env=engine.env))
    steps = {step.name: step.cached for step in result.steps}
    run = [name for name in steps if "RUN cat /feature.txt" in name]
    assert run and all(steps[name] for name in run), steps


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        ("/nope.git", "failed to load git source"),
        ("/repo.git#no-such-ref", "failed to load git source"),
        ("/repo.git#main:missing", "failed to load git source"),
        ("/repo.git?nonsense=1", "invalid git context"),
    ],
)
def test_bad_git_contexts_fail_on_one_line(engine: EngineInfo, remotes: Remotes, suffix: str, expected: str) -> None:
    done = _ours(engine, ["--progress=quiet", remotes.git + suffix])
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert expected in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


def test_unreachable_and_missing_urls_fail_on_one_line(engine: EngineInfo, remotes: Remotes) -> None:
    from tests.integration.remote_servers import free_port

    for url in (f"git://127.0.0.1:{free_port()}/repo.git", f"{remotes.http}/missing.tar.gz"):
        done = _ours(engine, ["--progress=quiet", url])
        stderr = done.stderr.decode()
        assert done.returncode == 1, stderr
        assert stderr.startswith("ERROR: failed to load") and "Traceback" not in stderr, stderr
        assert len(stderr.strip().splitlines()) == 1, stderr


@pytest.mark.parametrize(
    ("args", "stdin", "code", "expected"),
    [
        (["-f", "-", "-"], b"FROM busybox\n", 2, "can't use stdin for both"),
        (["-f", "Dockerfile", "-"], b"FROM busybox\n", 2, "ambiguous Dockerfile source"),
        (["-"], b"", 1, "stdin is empty"),
        (["-"], b"\x00\x01binary garbage\n", 1, "unknown instruction"),
    ],
)
def test_bad_stdin(engine: EngineInfo, args: list[str], stdin: bytes, code: int, expected: str) -> None:
    done = _ours(engine, ["--progress=quiet", *args], stdin)
    stderr = done.stderr.decode()
    assert done.returncode == code, stderr
    assert expected in stderr and "Traceback" not in stderr, stderr


def test_llb_of_a_remote_context_reads_its_dockerfile_on_the_engine(engine: EngineInfo, remotes: Remotes) -> None:
    url = f"{remotes.git}/repo.git#main:sub"
    command = [sys.executable, "-m", "buildwright", "llb", url]
    done = subprocess.run(command, env=dict(engine.env), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert f'"git://127.0.0.1:{remotes.git.rsplit(":", 1)[1]}/repo.git#main:sub"' in done.stdout
    assert "WORKDIR /app" in done.stdout  # sub/Dockerfile, read from the fetched source
