"""Real standalone buildkitds for the integration tests, started by `scripts/engine.sh buildkitd up`.

Each daemon listens on a unix socket and on 127.0.0.1:PORT with mutual TLS (the script's private CA
and certificates); its Docker Hub is the script's local registry holding the base images. A buildx
builder of the remote driver on the same daemon is the reference (`docker buildx create --driver
remote`), in the engine's private DOCKER_CONFIG. Daemons stay up after a session, as the dockerd
engine does, so the next session finds them running and their cache warm.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Generic, TypeVar

import pytest

from buildwright import EngineOptions
from tests.integration.reference import ENGINE_SCRIPT, EngineInfo
from tests.tlscerts import Certificates, CertPair

_BUILD_TIMEOUT_S = 1800
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
# `buildkitd up` exits 4 when no buildkitd can be had on this machine (the compile failed).
UNAVAILABLE_EXIT = 4


class BuildkitdUnavailable(Exception):
    """No buildkitd on this machine; the message is the script's one-line reason."""


@dataclass(frozen=True, slots=True)
class Buildkitd:
    """A running daemon: its addresses, TLS files, buildctl and the registry it mirrors Docker Hub to."""

    name: str
    unix_address: str
    tcp_address: str
    tls: Certificates
    buildctl: Path
    registry: str

    def buildctl_run(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.buildctl), "--addr", self.unix_address, *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"buildctl {' '.join(args)} on {self.name} failed: {done.stderr.strip()}")
        return done.stdout

    @property
    def pid(self) -> int:
        """The daemon's process id (from the pid file next to its socket)."""
        socket = Path(self.unix_address.removeprefix("unix://"))
        return int((socket.parent / "buildkitd.pid").read_text().strip())

    def has_record(self, fragment: str) -> bool:
        """Whether a cache record of this daemon mentions `fragment` (e.g. a unique RUN command)."""
        return fragment in self.buildctl_run("du", "--verbose")


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ENGINE_SCRIPT), "buildkitd", *args], capture_output=True, text=True, timeout=1200, check=False
    )


def _exports(printed: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in printed.splitlines():
        if line.startswith("export ") and "=" in line:
            key, _, value = line[len("export ") :].partition("=")
            out[key] = value.strip("'\"")
    return out


def buildkitd_up(name: str, port: int, *, max_parallelism: int | None = None) -> Buildkitd:
    """Starts (or finds running) daemon `name` with a mutual-TLS port (and BuildKit's step limit).

    Raises:
        BuildkitdUnavailable: the script could not compile a buildkitd here (its reason).
        RuntimeError: the daemon did not start.
    """
    limit = ["--max-parallelism", str(max_parallelism)] if max_parallelism is not None else []
    started = _script("up", name, "--tcp", str(port), *limit)
    if started.returncode == UNAVAILABLE_EXIT:
        reason = [line for line in started.stderr.splitlines() if line.strip()]
        raise BuildkitdUnavailable(reason[-1] if reason else "no buildkitd on this machine")
    if started.returncode != 0:
        raise RuntimeError(f"buildkitd up {name} failed (exit {started.returncode}):\n{started.stderr[-3000:]}")
    env = _script("env", name)
    if env.returncode != 0:
        raise RuntimeError(f"buildkitd env {name} failed: {env.stderr}")
    values = _exports(env.stdout)
    tls = Path(values["BUILDWRIGHT_BUILDKITD_TLS"])
    return Buildkitd(
        name=name,
        unix_address=values["BUILDKIT_HOST"],
        tcp_address=values["BUILDWRIGHT_BUILDKITD_TCP"],
        tls=Certificates(
            ca=CertPair(tls / "ca.pem", tls / "ca-key.pem"),
            server=CertPair(tls / "server-cert.pem", tls / "server-key.pem"),
            client=CertPair(tls / "client-cert.pem", tls / "client-key.pem"),
        ),
        buildctl=Path(values["BUILDWRIGHT_BUILDCTL"]),
        registry=values["BUILDWRIGHT_BUILDKITD_REGISTRY"],
    )


def buildkitd_down(name: str) -> None:
    done = _script("down", name)
    if done.returncode != 0:
        raise RuntimeError(f"buildkitd down {name} failed: {done.stderr}")


def tls_args(daemon: Buildkitd) -> list[str]:
    """buildwright's flags for the daemon's TCP port with its client certificate."""
    certs = daemon.tls
    return ["--tlscacert", str(certs.ca.cert), "--tlscert", str(certs.client.cert), "--tlskey", str(certs.client.key)]


def remote_builder(engine: EngineInfo, daemon: Buildkitd, *, tcp: bool) -> str:
    """A buildx builder of the remote driver on `daemon` (unix, or TCP with its client certificate)."""
    name = f"bw-{daemon.name}-{'tcp' if tcp else 'unix'}"
    if engine.docker("buildx", "inspect", name, check=False).returncode == 0:
        return name
    args = ["buildx", "create", "--name", name, "--driver", "remote"]
    if tcp:
        certs = daemon.tls
        args += ["--driver-opt", f"cacert={certs.ca.cert},cert={certs.client.cert},key={certs.client.key}"]
    created = engine.docker(*args, daemon.tcp_address if tcp else daemon.unix_address, check=False)
    # Another session may have made it in the meantime.
    if created.returncode != 0 and engine.docker("buildx", "inspect", name, check=False).returncode != 0:
        raise AssertionError(f"docker buildx create {name} failed: {created.stderr.decode(errors='replace')}")
    return name


def buildx_remote_build(
    engine: EngineInfo,
    builder: str,
    context: Path,
    dest: Path,
    *,
    dockerfile: Path | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """`docker buildx build --builder BUILDER` writing a docker tarball to `dest` (no attestations)."""
    command = [engine.docker_cli, "buildx", "build", "--builder", builder, "--progress=plain", "--provenance=false"]
    command += ["--output", f"type=docker,dest={dest}"]
    if dockerfile is not None:
        command += ["--file", str(dockerfile)]
    if target is not None:
        command += ["--target", target]
    for key, value in sorted((build_args or {}).items()):
        command += ["--build-arg", f"{key}={value}"]
    command += [*extra_args, str(context)]
    done = subprocess.run(
        command, env=dict(engine.env), capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"buildx build on {builder} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return done


def without_engine_vars(env: Mapping[str, str], **extra: str) -> dict[str, str]:
    """`env` with no DOCKER_HOST/BUILDKIT_HOST/BUILDWRIGHT_BUILDER: only what a test names is reached."""
    out = {k: v for k, v in env.items() if k not in ("DOCKER_HOST", "BUILDKIT_HOST", "BUILDWRIGHT_BUILDER")}
    out.update(extra)
    return out


def engine_options(engine: EngineInfo, daemon: Buildkitd, *, tcp: bool) -> EngineOptions:
    """buildwright's engine options for `daemon` over its unix socket or its mutual-TLS port."""
    env = without_engine_vars(engine.env)
    if not tcp:
        return EngineOptions(addr=daemon.unix_address, env=env)
    certs = daemon.tls
    return EngineOptions(
        addr=daemon.tcp_address, tls_ca=certs.ca.cert, tls_cert=certs.client.cert, tls_key=certs.client.key, env=env
    )


TRANSPORTS: Final = ("unix", "tcp")


class Prefetch(Generic[K, V]):
    """Runs `work` for every key on a few threads from the first request on, so a parametrized test's
    cases build concurrently while pytest walks them one by one; `get` waits for one key's result.
    Three workers: the daemon runs the steps, and the clients mostly wait on it."""

    def __init__(self, keys: Sequence[K], work: Callable[[K], V], workers: int = 3) -> None:
        self._keys = list(keys)
        self._work = work
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[K, Future[V]] = {}
        self._lock = threading.Lock()

    def start(self, first: K | None = None) -> None:
        """Submits every key (`first` before the others) unless already started."""
        with self._lock:
            if self._pool is not None:
                return
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="bw-prefetch")
            # In the order pytest will ask for them.
            for k in [*([first] if first is not None else []), *[k for k in self._keys if k != first]]:
                self._futures[k] = self._pool.submit(self._work, k)

    def get(self, key: K) -> V:
        self.start(first=key)
        with self._lock:
            assert self._pool is not None
            future = self._futures.get(key)
            if future is None:
                future = self._futures[key] = self._pool.submit(self._work, key)
        return future.result()

    def close(self) -> None:
        if self._pool is not None:
            for future in self._futures.values():
                future.cancel()
            self._pool.shutdown(wait=True)


def start_early(request: pytest.FixtureRequest, test_name: str, fixture: str) -> None:
    """Starts the Prefetch fixture `fixture` now when the session will run `test_name`, so its builds
    on the buildkitd overlap the tests that come before (those on dockerd). Where no buildkitd can be
    had, nothing happens here: the buildkitd tests themselves skip."""
    if not any(getattr(item, "originalname", None) == test_name for item in request.session.items):
        return
    try:
        prefetch = request.getfixturevalue(fixture)
    except pytest.skip.Exception:
        return
    assert isinstance(prefetch, Prefetch)
    prefetch.start()
