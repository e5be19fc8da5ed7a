"""Named builders and TLS options end to end, on two live buildkitd endpoints and a stopped one.

Until the provisioned standalone buildkitd is merged here, the live endpoints are the test
engine's BuildKit exposed as buildkitds by two TLS relays (buildkitd_relay.py); the stopped one is
a port nobody listens on. A buildx remote builder made by `docker buildx create` is used by name.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.buildkitd_relay import BuildkitdRelay, running_relay
from tests.integration.reference import EngineInfo
from tests.tlscerts import Certificates, make_expired_client

_DOCKERFILE = "FROM busybox:latest\nRUN echo builders > /b.txt\n"


@dataclass(frozen=True)
class Daemons:
    one: BuildkitdRelay
    one_certs: Certificates
    two: BuildkitdRelay
    two_certs: Certificates
    stopped: str
    directory: Path


@pytest.fixture(scope="module")
def daemons(engine: EngineInfo) -> Iterator[Daemons]:
    directory = Path(tempfile.mkdtemp(prefix="bw-bld-", dir="/tmp"))
    try:
        with (
            running_relay(engine.sock, directory / "1") as (one, one_certs),
            running_relay(engine.sock, directory / "2") as (two, two_certs),
        ):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]  # free once closed: nobody listens there
            yield Daemons(one, one_certs, two, two_certs, f"tcp://127.0.0.1:{port}", directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def env(engine: EngineInfo, tmp_path: Path) -> dict[str, str]:
    # Own config folders, and no engine variables: only what the test names can be reached.
    out = {k: v for k, v in engine.env.items() if k not in ("DOCKER_HOST", "BUILDKIT_HOST", "BUILDWRIGHT_BUILDER")}
    out["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return out


@pytest.fixture
def context(tmp_path: Path) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "Dockerfile").write_text(_DOCKERFILE)
    return folder


def _cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", *args], env=dict(env), capture_output=True, text=True, timeout=300
    )


def _ok(env: Mapping[str, str], *args: str) -> str:
    done = _cli(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _one_error(done: subprocess.CompletedProcess[str], *fragments: str, code: int = 1) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, done.stderr
    for fragment in fragments:
        assert fragment in errors[0], done.stderr
    return errors[0]


def _tls(certs: Certificates, client: bool = True) -> list[str]:
    args = ["--tlscacert", str(certs.ca.cert)]
    return args + (["--tlscert", str(certs.client.cert), "--tlskey", str(certs.client.key)] if client else [])


def test_builder_create_ls_inspect_use_rm(daemons: Daemons, env: dict[str, str], context: Path) -> None:
    _ok(env, "builder", "create", "farm", "--node", daemons.one.unix_address, "--platform", "linux/amd64")
    _ok(env, "builder", "create", "farm", "--append", "--node", daemons.two.tcp_address, *_tls(daemons.two_certs))
    _ok(env, "builder", "create", "gone", "--node", daemons.stopped)
    refused = _cli(env, "builder", "create", "farm", "--node", daemons.stopped)
    _one_error(refused, "builder 'farm' exists; give --append", code=2)  # usage

    listing = _ok(env, "builder", "ls")
    lines = {line.split()[1]: line for line in listing.splitlines() if line.startswith(" \\_ ")}
    assert "running" in lines["farm0"] and "linux/amd64*" in lines["farm0"], listing
    assert "running" in lines["farm1"] and "v0." in lines["farm1"], listing
    assert "unreachable: cannot connect: Connection refused" in lines["gone0"], listing

    report = json.loads(_ok(env, "builder", "inspect", "farm", "--format", "json"))
    assert [n["status"] for n in report["nodes"]] == ["running", "running"]
    for node in report["nodes"]:
        assert node["workers"] and node["workers"][0]["platforms"], node
        assert set(node["cache"]) == {"shared", "private", "reclaimable", "total"}
    text = _ok(env, "builder", "inspect", "gone")
    assert "Status:        unreachable: cannot connect: Connection refused" in text

    # `use` makes farm the default: a build with no engine flag goes to its first node.
    _ok(env, "builder", "use", "farm")
    before = daemons.one.accepted
    _ok(env, "build", "--progress", "quiet", str(context))
    assert daemons.one.accepted > before
    # --builder and BUILDWRIGHT_BUILDER pick another; a stopped builder is one clear line.
    _one_error(_cli(env, "build", "--builder", "gone", str(context)), daemons.stopped, "Connection refused")
    _one_error(_cli({**env, "BUILDWRIGHT_BUILDER": "gone"}, "du"), daemons.stopped, "Connection refused")
    version = _ok(env, "version", "--builder", "farm")
    assert version.splitlines()[0].startswith("buildwright ")
    assert "github.com/moby/buildkit v" in version.splitlines()[1]

    _ok(env, "builder", "rm", "gone")
    assert "gone" not in _ok(env, "builder", "ls")
    _one_error(_cli(env, "builder", "rm", "gone"), "no builder 'gone'")


def test_a_buildx_remote_builder_is_used_by_name(
    engine: EngineInfo, daemons: Daemons, env: dict[str, str], context: Path, tmp_path: Path
) -> None:
    # A private DOCKER_CONFIG with the engine's buildx plugin, so buildx's store is the test's own.
    config = tmp_path / "docker"
    (config / "cli-plugins").mkdir(parents=True)
    source = Path(engine.env["DOCKER_CONFIG"]) / "cli-plugins" / "docker-buildx"
    (config / "cli-plugins" / "docker-buildx").symlink_to(source)
    env = {**env, "DOCKER_CONFIG": str(config)}
    certs = daemons.two_certs
    name = f"bwx{uuid.uuid4().hex[:6]}"
    opts = f"cacert={certs.ca.cert},cert={certs.client.cert},key={certs.client.key}"
    docker = os.environ.get("BUILDWRIGHT_DOCKER_CLI", "docker")
    subprocess.run(
        [
            docker,
            "buildx",
            "create",
            "--name",
            name,
            "--driver",
            "remote",
            "--driver-opt",
            opts,
            daemons.two.tcp_address,
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    before = daemons.two.accepted
    assert _ok(env, "build", "--builder", name, "--progress", "quiet", str(context)).startswith("sha256:")
    assert daemons.two.accepted > before
    assert name in _ok(env, "builder", "ls")


def test_tls_refusals_and_server_name(daemons: Daemons, env: dict[str, str], context: Path, tmp_path: Path) -> None:
    address = daemons.one.tcp_address
    certs = daemons.one_certs
    # A server certificate from another CA (the second relay's CA).
    wrong_ca = ["--tlscacert", str(daemons.two_certs.ca.cert), *_tls(certs)[2:]]
    _one_error(_cli(env, "du", "--addr", address, *wrong_ca), address, "server certificate is not trusted")
    # No client certificate.
    _one_error(_cli(env, "du", "--addr", address, *_tls(certs, client=False)), address, "give --tlscert/--tlskey")
    # An expired client certificate.
    expired = make_expired_client(tmp_path, certs.ca)
    args = ["--tlscacert", str(certs.ca.cert), "--tlscert", str(expired.cert), "--tlskey", str(expired.key)]
    _one_error(_cli(env, "du", "--addr", address, *args), address, "refused the client certificate as expired")
    # A server name the certificate does not hold; then one it holds (not the dialled 127.0.0.1).
    mismatch = _cli(env, "build", "--addr", address, *_tls(certs), "--tlsservername", "elsewhere", str(context))
    _one_error(mismatch, address, "not valid for the name 'elsewhere'")
    _ok(
        env,
        "build",
        "--addr",
        address,
        *_tls(certs),
        "--tlsservername",
        "localhost",
        "--progress",
        "quiet",
        str(context),
    )


def test_a_build_goes_to_the_node_declaring_its_platform(daemons: Daemons, env: dict[str, str], tmp_path: Path) -> None:
    context = tmp_path / "plain"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM busybox:latest\nENV NODE=picked\n")  # no RUN: no emulation needed
    _ok(env, "builder", "create", "plat", "--node", daemons.one.unix_address, "--platform", "linux/amd64")
    _ok(env, "builder", "create", "plat", "--append", "--node", daemons.two.unix_address, "--platform", "linux/arm64")
    one, two = daemons.one.accepted, daemons.two.accepted
    _ok(env, "build", "--builder", "plat", "--platform", "linux/arm64", "--progress", "quiet", str(context))
    assert (daemons.one.accepted, daemons.two.accepted > two) == (one, True)
    one, two = daemons.one.accepted, daemons.two.accepted
    _ok(env, "build", "--builder", "plat", "--platform", "linux/amd64", "--progress", "quiet", str(context))
    assert (daemons.one.accepted > one, daemons.two.accepted) == (True, two)
