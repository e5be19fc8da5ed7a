"""Named builders and TLS options end to end, on two live standalone buildkitds and a stopped one
(tests/integration/buildkitd.py). Which daemon ran a build is read from the daemons themselves: each
build runs a RUN step with a unique marker, and `buildctl du --verbose` of that daemon lists it. A
buildx remote builder made by `docker buildx create` is used by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.buildkitd import Buildkitd, without_engine_vars
from tests.integration.reference import EngineInfo
from tests.tlscerts import Certificates, make_expired_client

_DOCKERFILE = "FROM busybox:latest\nRUN echo builders > /b.txt\n"


@dataclass(frozen=True)
class Daemons:
    one: Buildkitd
    two: Buildkitd
    stopped: str

    @property
    def one_certs(self) -> Certificates:
        return self.one.tls

    @property
    def two_certs(self) -> Certificates:
        return self.two.tls


@pytest.fixture(scope="module")
def daemons(buildkitd: Buildkitd, buildkitd_two: Buildkitd, stopped_buildkitd: Buildkitd) -> Daemons:
    return Daemons(buildkitd, buildkitd_two, stopped_buildkitd.tcp_address)


def _marked(context: Path) -> str:
    """Gives the context's build a unique RUN step; returns its marker."""
    marker = f"bw-marker-{uuid.uuid4().hex[:12]}"
    (context / "Dockerfile").write_text(f"FROM busybox:latest\nRUN echo {marker} > /b.txt\n")
    return marker


@pytest.fixture
def env(engine: EngineInfo, tmp_path: Path) -> dict[str, str]:
    # Own config folders, and no engine variables: only what the test names can be reached.
    out = without_engine_vars(engine.env)
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

    # `use` makes farm the default: a build with no engine flag runs on one of its nodes (which
    # one is the farm's placement: the least loaded, and these daemons are shared).
    _ok(env, "builder", "use", "farm")
    marker = _marked(context)
    _ok(env, "build", "--progress", "quiet", str(context))
    assert daemons.one.has_record(marker) != daemons.two.has_record(marker)
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
    marker = _marked(context)
    done = _cli(env, "build", "--builder", name, "--progress", "quiet", str(context))
    assert done.returncode == 0, done.stderr
    assert "will only remain in its build cache" in done.stderr  # a buildkitd: no image store
    assert daemons.two.has_record(marker) and not daemons.one.has_record(marker)
    assert name in _ok(env, "builder", "ls")


def test_tls_refusals_and_server_name(daemons: Daemons, env: dict[str, str], context: Path, tmp_path: Path) -> None:
    address = daemons.one.tcp_address
    certs = daemons.one_certs
    # A server certificate from another CA (the second daemon's CA).
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
    _ok(env, "builder", "create", "plat", "--node", daemons.one.unix_address, "--platform", "linux/amd64")
    _ok(env, "builder", "create", "plat", "--append", "--node", daemons.two.unix_address, "--platform", "linux/arm64")
    # The RUN step is built for the build platform (amd64) on either node: no emulation needed.
    for platform, chosen, other in (
        ("linux/arm64", daemons.two, daemons.one),
        ("linux/amd64", daemons.one, daemons.two),
    ):
        marker = f"bw-marker-{uuid.uuid4().hex[:12]}"
        (context / "Dockerfile").write_text(
            f"FROM --platform=$BUILDPLATFORM busybox:latest AS probe\nRUN echo {marker} > /m\n"
            "FROM busybox:latest\nCOPY --from=probe /m /m\n"
        )
        _ok(env, "build", "--builder", "plat", "--platform", platform, "--progress", "quiet", str(context))
        assert chosen.has_record(marker) and not other.has_record(marker), platform
