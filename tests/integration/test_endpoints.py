"""buildkitd endpoints end to end on a real standalone buildkitd (tests/integration/buildkitd.py):
`--addr unix://...` and `--addr tcp://...` with mutual TLS, and `BUILDKIT_HOST`, each giving the
image buildx's remote driver gives on the same daemon; `-t` alone says where the result went (no
image store there); the failures a user meets (wrong CA, no client certificate, nobody listening)
give one clear error line; and the session shared key lets a repeated build of a directory send
only what changed.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import tarfile
import uuid
from collections.abc import Mapping
from pathlib import Path

import pytest

import buildwright
from buildwright.client import StatusProgress
from buildwright.client.events import BuildEvent
from buildwright.errors import EngineUnavailableError
from tests.integration.buildkitd import (
    Buildkitd,
    buildx_remote_build,
    remote_builder,
    tls_args,
    without_engine_vars,
)
from tests.integration.cli import run_cli
from tests.integration.reference import EngineInfo, assert_same_image, snapshot_archive
from tests.tlscerts import CertPair, make_ca

_DOCKERFILE = """\
FROM busybox:latest
ENV GREETING=hello
COPY greeting.txt /srv/
RUN cp /srv/greeting.txt /srv/copy.txt && echo built >> /srv/copy.txt
CMD ["cat", "/srv/copy.txt"]
"""


@pytest.fixture
def context(tmp_path: Path) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "Dockerfile").write_text(_DOCKERFILE)
    (folder / "greeting.txt").write_text(f"hi from {uuid.uuid4().hex}\n")
    return folder


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    return make_ca(tmp_path_factory.mktemp("other-ca"), "other-ca")


_without_engine_vars = without_engine_vars


def _cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(env, *args)


def _assert_clear_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], result.stderr
    return errors[0]


def _copied(context: Path) -> str:
    return (context / "greeting.txt").read_text() + "built\n"


def _digest_in_image(archive: Path, path: str) -> str:
    return snapshot_archive(archive, "x").files[path].digest


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_unix_endpoint_builds_the_buildx_image(
    engine: EngineInfo, buildkitd: Buildkitd, context: Path, tmp_path: Path
) -> None:
    theirs, ours = tmp_path / "buildx.tar", tmp_path / "ours.tar"
    buildx_remote_build(engine, remote_builder(engine, buildkitd, tcp=False), context, theirs)
    options = buildwright.EngineOptions(addr=buildkitd.unix_address, env=_without_engine_vars(engine.env))
    result = buildwright.build(context, outputs=[f"type=docker,dest={ours}"], engine=options)
    assert result.warnings == ()
    assert_same_image(snapshot_archive(theirs, "buildx"), snapshot_archive(ours, "ours"))
    assert _digest_in_image(ours, "srv/copy.txt").endswith(_sha256(_copied(context)))


def test_tcp_endpoint_with_mutual_tls(engine: EngineInfo, buildkitd: Buildkitd, context: Path, tmp_path: Path) -> None:
    theirs, ours = tmp_path / "buildx.tar", tmp_path / "ours.tar"
    buildx_remote_build(engine, remote_builder(engine, buildkitd, tcp=True), context, theirs)
    args = ["--addr", buildkitd.tcp_address, *tls_args(buildkitd)]
    result = _cli(
        _without_engine_vars(engine.env), "build", *args, "-o", f"type=docker,dest={ours}", "--progress", "quiet",
        str(context),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert_same_image(snapshot_archive(theirs, "buildx"), snapshot_archive(ours, "ours"))
    assert result.stdout.strip().startswith("sha256:")


def test_a_tag_alone_says_the_result_stays_in_the_cache(
    engine: EngineInfo, buildkitd: Buildkitd, context: Path
) -> None:
    # No image store on a buildkitd: like buildx's remote driver, nothing is exported, and it is said.
    name = f"bw-endpoints/only-tag:{uuid.uuid4().hex[:8]}"
    args = ["--addr", buildkitd.tcp_address, *tls_args(buildkitd)]
    done = _cli(_without_engine_vars(engine.env), "build", *args, "-t", name, "--progress", "quiet", str(context))
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING:")]
    assert len(warnings) == 1, done.stderr
    assert f"(tagged {name}) will only remain in its build cache" in warnings[0]
    assert "--push" in warnings[0] and "type=oci,dest=FILE" in warnings[0]
    assert done.stdout == ""  # no image id: no image was made
    # The dockerd engine was not involved.
    assert engine.docker("image", "inspect", name, check=False).returncode != 0


def test_buildkit_host_selects_the_buildkitd(
    engine: EngineInfo, buildkitd: Buildkitd, context: Path, tmp_path: Path
) -> None:
    # From the API: BUILDKIT_HOST wins over DOCKER_HOST (still set to the dockerd engine).
    env = {**engine.env, "BUILDKIT_HOST": buildkitd.unix_address}
    result = buildwright.build(context, tags=["bw-endpoints/env:1"], engine=buildwright.EngineOptions(env=env))
    assert result.warnings and "standalone buildkitd" in result.warnings[0]  # dockerd would have stored it
    assert result.image_id is None
    # From the CLI, to the TLS port, with the TLS files as flags.
    env = _without_engine_vars(engine.env, BUILDKIT_HOST=buildkitd.tcp_address)
    oci = tmp_path / "oci.tar"
    done = _cli(env, "build", *tls_args(buildkitd), "-o", f"type=oci,dest={oci}", "--progress", "quiet", str(context))
    assert done.returncode == 0, done.stderr
    with tarfile.open(oci) as archive:
        assert {"index.json", "oci-layout"} <= set(archive.getnames())


def test_server_certificate_from_another_ca(
    engine: EngineInfo, buildkitd: Buildkitd, context: Path, other_ca: CertPair
) -> None:
    certs = buildkitd.tls
    args = ["--tlscacert", str(other_ca.cert), "--tlscert", str(certs.client.cert), "--tlskey", str(certs.client.key)]
    result = _cli(_without_engine_vars(engine.env), "build", "--addr", buildkitd.tcp_address, *args, str(context))
    _assert_clear_error(
        result,
        f"cannot use the BuildKit engine at {buildkitd.tcp_address} (--addr)",
        f"the server certificate is not trusted by the CA in {other_ca.cert}",
    )
    assert "Handshake failed" not in result.stderr  # grpcio's own log lines stay out


def test_missing_client_certificate(engine: EngineInfo, buildkitd: Buildkitd, context: Path) -> None:
    args = ["--addr", buildkitd.tcp_address, "--tlscacert", str(buildkitd.tls.ca.cert)]
    result = _cli(_without_engine_vars(engine.env), "build", *args, str(context))
    _assert_clear_error(
        result, buildkitd.tcp_address, "TLS: the server refused the client certificate", "give --tlscert/--tlskey"
    )


def test_client_certificate_from_another_ca(
    engine: EngineInfo, buildkitd: Buildkitd, context: Path, other_ca: CertPair
) -> None:
    args = ["--addr", buildkitd.tcp_address, "--tlscacert", str(buildkitd.tls.ca.cert)]
    args += ["--tlscert", str(other_ca.cert), "--tlskey", str(other_ca.key)]
    result = _cli(_without_engine_vars(engine.env), "build", *args, str(context))
    _assert_clear_error(result, buildkitd.tcp_address, "refused the client certificate")


def test_plaintext_to_the_tls_port(engine: EngineInfo, buildkitd: Buildkitd, context: Path) -> None:
    result = _cli(_without_engine_vars(engine.env), "build", "--addr", buildkitd.tcp_address, str(context))
    _assert_clear_error(result, buildkitd.tcp_address, "if it expects TLS, give --tlscacert")


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
