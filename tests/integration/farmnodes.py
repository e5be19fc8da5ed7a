"""Three private buildkitds as a farm's nodes, shared by test_farm.py and test_bake.py.

Each module starts its own daemons (names and ports of its own, so both can run at once), each
with BuildKit's `max-parallelism = 1` so that one daemon models one node's capacity on this
two-core machine, and makes its builders with `buildwright builder create` in a private
XDG_CONFIG_HOME (placement records in a private XDG_STATE_HOME).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.buildkitd import Buildkitd, BuildkitdUnavailable, buildkitd_down, buildkitd_up
from tests.integration.cli import run_cli
from tests.integration.reference import EngineInfo


@dataclass(frozen=True)
class Nodes:
    """The three daemons, the environment naming the private folders, and a scratch root."""

    a: Buildkitd
    b: Buildkitd
    c: Buildkitd
    env: Mapping[str, str]
    root: Path

    @property
    def daemons(self) -> tuple[Buildkitd, ...]:
        return (self.a, self.b, self.c)

    def ran_on(self, fragment: str) -> list[str]:
        """The daemons whose cache holds a step mentioning `fragment`."""
        return [d.name for d in self.daemons if d.has_record(fragment)]

    def context(self, name: str, dockerfile: str, files: Mapping[str, str] | None = None) -> Path:
        folder = self.root / "contexts" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Dockerfile").write_text(dockerfile)
        for path, text in (files or {}).items():
            (folder / path).write_text(text)
        return folder


def cli_ok(env: Mapping[str, str], *args: str, cwd: Path | None = None) -> str:
    """`buildwright ARGS`, which must succeed; its stdout and stderr."""
    done = run_cli(env, *args, cwd=cwd)
    assert done.returncode == 0, f"buildwright {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def node_flags(daemon: Buildkitd, *, tcp: bool) -> list[str]:
    """`builder create` flags for the daemon's unix socket, or its TCP port with mutual TLS."""
    flags = ["--node", daemon.tcp_address if tcp else daemon.unix_address, "--node-name", daemon.name]
    if tcp:
        tls = daemon.tls
        flags += ["--tlscacert", str(tls.ca.cert), "--tlscert", str(tls.client.cert), "--tlskey", str(tls.client.key)]
    return flags


def add_node(env: Mapping[str, str], builder: str, flags: Sequence[str], *, first: bool) -> None:
    """`builder create BUILDER` (`--append` unless `first`) with a node's flags."""
    cli_ok(env, "builder", "create", builder, *([] if first else ["--append"]), *flags)


@contextmanager
def three_nodes(engine: EngineInfo, root: Path, ports: Mapping[str, int]) -> Iterator[Nodes]:
    """The daemons named by `ports` (three) running, stopped again when the block ends; skips
    where no buildkitd can be had."""
    env = {k: v for k, v in engine.env.items() if k not in ("DOCKER_HOST", "BUILDKIT_HOST", "BUILDWRIGHT_BUILDER")}
    env.update(XDG_CONFIG_HOME=str(root / "config"), XDG_STATE_HOME=str(root / "state"))
    started: list[Buildkitd] = []
    try:
        for name, port in ports.items():
            try:
                started.append(buildkitd_up(name, port, max_parallelism=1))
            except BuildkitdUnavailable as exc:
                pytest.skip(f"no standalone buildkitd on this machine: {exc}")
            except RuntimeError as exc:
                pytest.fail(f"buildkitd {name} did not start: {exc}", pytrace=False)
        a, b, c = started
        yield Nodes(a, b, c, env, root)
    finally:
        for daemon in started:
            buildkitd_down(daemon.name)
