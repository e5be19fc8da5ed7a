"""Local servers corpus cases can fetch from: an HTTP file server over `www/` and a `git daemon` over a
repository made from `gitrepo/`. Both listen on 127.0.0.1 at a free port; the engine's dockerd fetches
HTTP and git sources itself, on the host network, so that address reaches them.

The git repository is committed with a fixed author, committer and date, so its commit hash only
changes when the files under `gitrepo/` do.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

from tests.integration.corpus.cases import CORPUS_DIR

WWW_DIR: Final = CORPUS_DIR / "www"
GIT_SOURCE_DIR: Final = CORPUS_DIR / "gitrepo"
GIT_REPO_NAME: Final = "repo.git"
GIT_BRANCH: Final = "main"
GIT_TAG: Final = "v1"

_LOCALHOST: Final = "127.0.0.1"
_FIXED_DATE: Final = "2024-01-01T00:00:00+00:00"
_START_TIMEOUT_S: Final = 10.0
_PR_SET_PDEATHSIG: Final = 1


@dataclass(frozen=True, slots=True)
class GitServer:
    """Where the corpus git repository is served, and the commit its branch and tag point at."""

    url: str
    commit: str


class _QuietHandler(SimpleHTTPRequestHandler):
    # Request lines on stderr would end up in every failing test's captured output.
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextlib.contextmanager
def http_server(root: Path = WWW_DIR) -> Iterator[str]:
    """Serves `root` read-only; yields the base URL (no trailing slash)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer((_LOCALHOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="corpus-http", daemon=True)
    thread.start()
    try:
        yield f"http://{_LOCALHOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def git_server(workdir: Path, source: Path = GIT_SOURCE_DIR) -> Iterator[GitServer]:
    """Commits `source` into a bare repository under `workdir` and serves it with `git daemon`."""
    commit = _make_repository(source, workdir / "work", workdir / "served" / GIT_REPO_NAME)
    served = workdir / "served"
    for _attempt in range(3):
        # git daemon cannot report the port it picked, so a free one is chosen first (and retried on a race).
        port = _free_port()
        daemon = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                "--export-all",
                f"--base-path={served}",
                f"--listen={_LOCALHOST}",
                f"--port={port}",
                str(served),
            ],
            env=_git_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        try:
            if _wait_listening(daemon, port):
                yield GitServer(url=f"git://{_LOCALHOST}:{port}/{GIT_REPO_NAME}", commit=commit)
                return
        finally:
            daemon.terminate()
            try:
                daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
    raise RuntimeError("git daemon did not start listening on 127.0.0.1")


def _die_with_parent() -> None:
    # A test session killed hard (timeout, SIGKILL) must not leave the daemon running: Linux's
    # PR_SET_PDEATHSIG sends it SIGTERM when the session process goes away.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _make_repository(source: Path, work: Path, bare: Path) -> str:
    if shutil.which("git") is None:
        raise RuntimeError("git is not installed")
    shutil.copytree(source, work)
    _git(work, "init", "--quiet", f"--initial-branch={GIT_BRANCH}")
    _git(work, "add", "--all")
    _git(work, "commit", "--quiet", "--message", "corpus fixture")
    _git(work, "tag", GIT_TAG)
    bare.parent.mkdir(parents=True)
    _git(work, "clone", "--quiet", "--bare", str(work), str(bare))
    return _git(work, "rev-parse", "HEAD").strip()


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=_git_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _git_env() -> dict[str, str]:
    # No user or system configuration (hooks, templates, signing, autocrlf) may change the commit.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="corpus",
        GIT_AUTHOR_EMAIL="corpus@example.invalid",
        GIT_COMMITTER_NAME="corpus",
        GIT_COMMITTER_EMAIL="corpus@example.invalid",
        GIT_AUTHOR_DATE=_FIXED_DATE,
        GIT_COMMITTER_DATE=_FIXED_DATE,
    )
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_LOCALHOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_listening(process: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection((_LOCALHOST, port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False
