"""buildkitd endpoints end to end: `--addr unix://...` and `--addr tcp://...` with mutual TLS, and
`BUILDKIT_HOST`, against the test engine's BuildKit exposed as a standalone buildkitd by a relay
(buildkitd_relay.py); the failures a user meets (wrong CA, no client certificate, nobody
listening) give one clear error line; and the session shared key lets a repeated build of a
directory send only what changed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import buildwright
from buildwright.client import StatusProgress
from buildwright.client.events import BuildEvent
from buildwright.errors import EngineUnavailableError
from tests.integration.buildkitd_relay import BuildkitdRelay, running_relay
from tests.integration.reference import EngineInfo, assert_same_image, buildx_build, run_image, snapshot_image
from tests.tlscerts import Certificates, CertPair, make_ca

_DOCKERFILE = """\
FROM busybox:latest
ENV GREETING=hello
COPY greeting.txt /srv/
RUN cp /srv/greeting.txt /srv/copy.txt && echo built >> /srv/copy.txt
CMD ["cat", "/srv/copy.txt"]
"""


@dataclass(frozen=True)
class Buildkitd:
    relay: BuildkitdRelay
    certs: Certificates
    other_ca: CertPair


@pytest.fixture(scope="module")
def buildkitd(engine: EngineInfo) -> Iterator[Buildkitd]:
    # A short directory under /tmp: unix socket paths are limited to 108 bytes.
    directory = Path(tempfile.mkdtemp(prefix="bw-bkd-", dir="/tmp"))
    try:
        with running_relay(engine.sock, directory) as (relay, certs):
            yield Buildkitd(relay, certs, make_ca(directory / "other", "other-ca"))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def context(tmp_path: Path) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "Dockerfile").write_text(_DOCKERFILE)
    (folder / "greeting.txt").write_text(f"hi from {uuid.uuid4().hex}\n")
    return folder


@pytest.fixture
def tag(engine: EngineInfo) -> Iterator[Callable[[str], str]]:
    """Makes unique image names and removes those images afterwards (the engine is shared)."""
    made: list[str] = []

    def make(name: str) -> str:
        made.append(f"bw-endpoints/{name}:{uuid.uuid4().hex[:10]}")
        return made[-1]

    yield make
    if made:
        engine.docker("image", "rm", "--force", *made, check=False)


def _without_engine_vars(env: Mapping[str, str], **extra: str) -> dict[str, str]:
    # No DOCKER_HOST or BUILDKIT_HOST left over: only what the test names can be reached.
    out = {k: v for k, v in env.items() if k not in ("DOCKER_HOST", "BUILDKIT_HOST")}
    out.update(extra)
    return out


def _cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _tls_args(certs: Certificates, *, ca: Path | None = None, client: CertPair | None = None) -> list[str]:
    args = ["--tlscacert", str(ca or certs.ca.cert)]
    if client is not None:
        args += ["--tlscert", str(client.cert), "--tlskey", str(client.key)]
    return args


def _assert_clear_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], result.stderr
    return errors[0]


def test_unix_endpoint_builds_the_buildx_image(
    engine: EngineInfo, buildkitd: Buildkitd, context: Path, tag: Callable[[str], str]
) -> None:
    ours, theirs = tag("unix"), tag("unix-buildx")
    buildx_build(engine, context, tag=theirs)
    before = buildkitd.relay.accepted
    options = buildwright.EngineOptions(addr=buildkitd.relay.unix_address, env=_without_engine_vars(engine.env))
    result = buildwright.build(context, tags=[ours], engine=options)
    assert buildkitd.relay.accepted > before  # the build went through the buildkitd socket
    # The `image` exporter named it fully qualified, so dockerd's store finds the short name.
    assert result.metadata["image.name"] == f"docker.io/{ours}"
    inspected = engine.docker("image", "inspect", "--format", "{{.Id}}", ours).stdout.decode().strip()
    assert inspected == result.image_id
    assert_same_image(snapshot_image(engine, theirs), snapshot_image(engine, ours))
    assert run_image(engine, ours) == (context / "greeting.txt").read_text() + "built\n"


def test_tcp_endpoint_with_mutual_tls(
    engine: EngineInfo, buildkitd: Buildkitd, context: Path, tag: Callable[[str], str]
) -> None:
    name = tag("tcp")
    before = buildkitd.relay.accepted
    args = ["--addr", buildkitd.relay.tcp_address, *_tls_args(buildkitd.certs, client=buildkitd.certs.client)]
    result = _cli(_without_engine_vars(engine.env), "build", *args, "-t", name, "--progress", "quiet", str(context))
    assert result.returncode == 0, result.stderr
    assert buildkitd.relay.accepted > before
    image_id = result.stdout.strip()
    assert image_id.startswith("sha256:")
    assert engine.docker("image", "inspect", "--format", "{{.Id}}", name).stdout.decode().strip() == image_id
    assert run_image(engine, name) == (context / "greeting.txt").read_text() + "built\n"


def test_buildkit_host_selects_the_buildkitd(
    engine: EngineInfo, buildkitd: Buildkitd, context: Path, tag: Callable[[str], str]
) -> None:
    # From the API: BUILDKIT_HOST wins over DOCKER_HOST.
    api_tag = tag("env-api")
    before = buildkitd.relay.accepted
    env = {**engine.env, "BUILDKIT_HOST": buildkitd.relay.unix_address}
    result = buildwright.build(context, tags=[api_tag], engine=buildwright.EngineOptions(env=env))
    assert buildkitd.relay.accepted > before
    assert result.metadata["image.name"] == f"docker.io/{api_tag}"  # `image`, not dockerd's `moby`
    # From the CLI, to the TLS port, with the TLS files as flags.
    cli_tag = tag("env-cli")
    env = _without_engine_vars(engine.env, BUILDKIT_HOST=buildkitd.relay.tcp_address)
    tls = _tls_args(buildkitd.certs, client=buildkitd.certs.client)
    done = _cli(env, "build", *tls, "-t", cli_tag, "--progress", "quiet", str(context))
    assert done.returncode == 0, done.stderr
    assert (
        engine.docker("image", "inspect", "--format", "{{.Id}}", cli_tag).stdout.decode().strip() == done.stdout.strip()
    )


def test_server_certificate_from_another_ca(engine: EngineInfo, buildkitd: Buildkitd, context: Path) -> None:
    certs = buildkitd.certs
    args = _tls_args(certs, ca=buildkitd.other_ca.cert, client=certs.client)
    started = time.monotonic()
    result = _cli(_without_engine_vars(engine.env), "build", "--addr", buildkitd.relay.tcp_address, *args, str(context))
    line = _assert_clear_error(
        result,
        f"cannot use the BuildKit engine at {buildkitd.relay.tcp_address} (--addr)",
        f"the server certificate is not trusted by the CA in {buildkitd.other_ca.cert}",
        "self-signed certificate in certificate chain",
    )
    assert time.monotonic() - started < 8, line  # a precise answer, not a connect timeout
    assert "Handshake failed" not in result.stderr  # grpcio's own log lines stay out


def test_missing_client_certificate(engine: EngineInfo, buildkitd: Buildkitd, context: Path) -> None:
    rejected = buildkitd.relay.rejected
    args = ["--addr", buildkitd.relay.tcp_address, *_tls_args(buildkitd.certs)]
    result = _cli(_without_engine_vars(engine.env), "build", *args, str(context))
    _assert_clear_error(
        result,
        buildkitd.relay.tcp_address,
        "TLS: the server refused the client certificate (tlsv13 alert certificate required)",
        "give --tlscert/--tlskey",
    )
    assert buildkitd.relay.rejected > rejected  # the server side saw the refused handshake


def test_client_certificate_from_another_ca(engine: EngineInfo, buildkitd: Buildkitd, context: Path) -> None:
    args = ["--addr", buildkitd.relay.tcp_address, *_tls_args(buildkitd.certs, client=buildkitd.other_ca)]
    result = _cli(_without_engine_vars(engine.env), "build", *args, str(context))
    _assert_clear_error(result, buildkitd.relay.tcp_address, "refused the client certificate", "unknown ca")


def test_plaintext_to_the_tls_port(engine: EngineInfo, buildkitd: Buildkitd, context: Path) -> None:
    result = _cli(_without_engine_vars(engine.env), "build", "--addr", buildkitd.relay.tcp_address, str(context))
    _assert_clear_error(result, buildkitd.relay.tcp_address, "if it expects TLS, give --tlscacert")


def test_nobody_listening(engine: EngineInfo, context: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nobody listens there
    address = f"tcp://127.0.0.1:{port}"
    options = buildwright.EngineOptions(addr=address, env=_without_engine_vars(engine.env))
    with pytest.raises(EngineUnavailableError) as info:
        buildwright.build(context, engine=options)
    assert info.value.tried == ((f"{address} (--addr)", "cannot connect: Connection refused"),)
    assert (
        str(info.value) == f"cannot use the BuildKit engine at {address} (--addr): cannot connect: Connection refused"
    )
    missing = f"unix://{tmp_path}/no-buildkitd.sock"
    result = _cli(_without_engine_vars(engine.env, BUILDKIT_HOST=missing), "build", str(context))
    _assert_clear_error(result, f"{missing} (BUILDKIT_HOST): cannot connect: No such file or directory")


def test_dockerd_socket_given_as_a_buildkitd(engine: EngineInfo, context: Path) -> None:
    result = _cli(_without_engine_vars(engine.env), "build", "--addr", f"unix://{engine.sock}", str(context))
    _assert_clear_error(result, "answered HTTP/1.x, not gRPC", "docker://")


def _transferred(events: list[BuildEvent]) -> int:
    sizes = [e.current for e in events if isinstance(e, StatusProgress) and e.id.startswith("transferring context")]
    assert sizes, "no context transfer reported"
    return max(sizes)


def test_shared_key_reuses_the_engines_copy_of_the_context(engine: EngineInfo, tmp_path: Path) -> None:
    def make(name: str) -> Path:
        folder = tmp_path / f"{name}-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        (folder / "Dockerfile").write_text("FROM busybox:latest\nCOPY . /data\n")
        for i in range(4):
            (folder / f"blob{i}.bin").write_bytes(os.urandom(512 * 1024))
        return folder

    def build(folder: Path, state: Path) -> int:
        events: list[BuildEvent] = []
        env = {**engine.env, "XDG_STATE_HOME": str(state)}
        buildwright.build(folder, engine=buildwright.EngineOptions(env=env), on_event=events.append)
        return _transferred(events)

    state = tmp_path / "state"
    first, other = make("first"), make("other")
    assert build(first, state) > 2_000_000  # everything, the first time
    assert build(other, state) > 2_000_000  # another directory has its own key and copy
    assert build(first, state) < 10_000  # back to the first one: its copy is still on the engine
    (first / "blob0.bin").write_bytes(os.urandom(100_000))
    changed = build(first, state)
    assert 100_000 <= changed < 120_000  # only the changed file moves
    node_id = (state / "buildwright" / "node-id").read_text()
    assert len(node_id) == 16
    # Another machine (another node id) has no copy to reuse: all of today's 1.6 MB moves.
    assert build(first, tmp_path / "elsewhere") > 1_600_000
