"""RUN secrets, SSH agent forwarding and entitlements on the engine, compared with buildx.

A canary secret must be readable inside RUN (file and environment variable) and appear nowhere
else: not in the image's files or history, not in the LLB, not in progress output or debug logs.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import buildwright
from buildwright.errors import BuildConfigError, BuildFailed
from tests.integration.reference import (
    EngineInfo,
    assert_same_image,
    buildx_build,
    run_image,
    snapshot_image,
)

SECRET_DOCKERFILE = """\
FROM busybox
RUN --mount=type=secret,id=canary,required sha256sum /run/secrets/canary | cut -c1-64 > /file.sha
RUN --mount=type=secret,id=canary,env=CANARY,required printf %s "$CANARY" | sha256sum | cut -c1-64 > /env.sha
RUN --mount=type=secret,id=other,target=/etc/other.conf,mode=0440,uid=1000,required \\
    stat -c '%a %u' /etc/other.conf > /other.txt
RUN ls /run > /run-listing.txt; test ! -e /etc/other.conf
"""

SSH_DOCKERFILE = """\
FROM debian:bookworm
RUN --mount=type=ssh,required <<'EOF'
#!/usr/bin/perl
use strict;
use IO::Socket::UNIX;
sub ask {
    my $sock = IO::Socket::UNIX->new(Peer => $ENV{SSH_AUTH_SOCK}) or die "connect: $!";
    print $sock pack("NC", 1, $_[0]);
    read($sock, my $head, 4) == 4 or die "short answer";
    read($sock, my $body, unpack("N", $head));
    return $body;
}
my $list = ask(11);
my $removed = ask(19);
my $again = ask(11);
open(my $out, ">", "/ssh.txt") or die;
printf $out "answer=%d keys=%d remove_all=%d keys_after=%d comment=%s\\n",
    unpack("CN", $list), unpack("C", $removed), (unpack("CN", $again))[1],
    index($list, "bw-run-canary-key") >= 0 ? "yes" : "no";
EOF
"""


SSH_KEYS_DOCKERFILE = """\
FROM debian:bookworm
RUN --mount=type=ssh,required <<'EOF'
#!/usr/bin/perl
use strict;
use IO::Socket::UNIX;
sub ask {
    my $sock = IO::Socket::UNIX->new(Peer => $ENV{SSH_AUTH_SOCK}) or die "connect: $!";
    print $sock pack("N", length($_[0])) . $_[0];
    read($sock, my $head, 4) == 4 or die "short answer";
    read($sock, my $body, unpack("N", $head));
    return $body;
}
sub str { return pack("N", length($_[0])) . $_[0]; }
my $list = ask(pack("C", 11));
my ($type, $count) = unpack("CN", $list);
my $rest = substr($list, 5);
open(my $out, ">", "/ssh-keys.txt") or die;
printf $out "list %s\\n", unpack("H*", $list);
for my $i (1 .. $count) {
    my $blob = substr($rest, 4, unpack("N", $rest));
    $rest = substr($rest, 4 + length($blob));
    $rest = substr($rest, 4 + unpack("N", $rest));
    my $flags = index($blob, "ssh-rsa") >= 0 ? 2 : 0;
    my $signed = ask(pack("C", 13) . str($blob) . str("bw-sign-test") . pack("N", $flags));
    printf $out "sign %s %s\\n", unpack("H*", $blob), unpack("H*", $signed);
}
EOF
"""


def _cli(engine: EngineInfo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", *args],
        env={**engine.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _image_bytes(engine: EngineInfo, tag: str) -> bytes:
    saved = subprocess.run(
        [engine.docker_cli, "save", tag], env=dict(engine.env), capture_output=True, timeout=300, check=True
    )
    return saved.stdout


def test_secret_is_readable_in_run_and_leaks_nowhere(engine: EngineInfo, tmp_path: Path) -> None:
    canary = f"bw-canary-{uuid.uuid4().hex}"
    other = f"bw-other-{uuid.uuid4().hex}"
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(SECRET_DOCKERFILE)
    other_file = tmp_path / "other.txt"
    other_file.write_text(other)
    env = {"BW_RUN_CANARY": canary}
    secret_args = ["--secret", "id=canary,env=BW_RUN_CANARY", "--secret", f"id=other,src={other_file}"]
    tag = f"bw-run/secrets:{uuid.uuid4().hex[:8]}"

    # --no-cache: the secret is not part of the cache key, so a cached step would hold an older canary.
    metadata_file = tmp_path / "metadata.json"
    built = _cli(
        engine,
        "build",
        "--progress",
        "plain",
        "--debug",
        "--no-cache",
        "--metadata-file",
        str(metadata_file),
        "-t",
        tag,
        *secret_args,
        str(context),
        env=env,
    )
    assert built.returncode == 0, built.stderr
    assert metadata_file.read_text().strip(), "no metadata file written"
    digest = hashlib.sha256(canary.encode()).hexdigest()
    assert run_image(engine, tag, "cat", "/file.sha", "/env.sha") == f"{digest}\n{digest}\n"
    assert run_image(engine, tag, "cat", "/other.txt") == "440 1000\n"

    for secret in (canary, other):
        assert secret not in built.stdout + built.stderr, "secret in progress output or logs"
        assert secret not in metadata_file.read_text(), "secret in the metadata file"
        assert secret.encode() not in _image_bytes(engine, tag), "secret in the image"
        history = engine.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", tag).stdout.decode()
        assert secret not in history
    # The env secret shows as **** in the step name, like the reference.
    assert 'RUN --mount=type=secret,id=canary,env=CANARY,required printf %s "****"' in built.stderr

    dumped = _cli(engine, "llb", str(context), env=env)
    assert dumped.returncode == 0, dumped.stderr
    assert canary not in dumped.stdout and other not in dumped.stdout
    assert '"canary"' in dumped.stdout  # the id is there, only the value is not

    reference = f"{tag}-buildx"
    _buildx_with_env(engine, context, reference, secret_args, env)
    assert_same_image(snapshot_image(engine, reference), snapshot_image(engine, tag))


def _buildx_with_env(engine: EngineInfo, context: Path, tag: str, extra: list[str], env: dict[str, str]) -> None:
    command = [engine.docker_cli, "buildx", "build", "--progress=plain", "--load", "--provenance=false", "-t", tag]
    result = subprocess.run(
        [*command, *extra, str(context)], env={**engine.env, **env}, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_secrets_through_the_python_api(engine: EngineInfo, tmp_path: Path) -> None:
    canary = f"bw-canary-{uuid.uuid4().hex}"
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN --mount=type=secret,id=api,required sha256sum /run/secrets/api | cut -c1-64 > /api.sha\n"
    )
    tag = f"bw-run/secrets-api:{uuid.uuid4().hex[:8]}"
    buildwright.build(
        tmp_path,
        tags=[tag],
        no_cache=True,
        secrets=[buildwright.api.SecretSource("api", value=canary.encode())],
        engine=buildwright.EngineOptions(env=engine.env),
    )
    assert run_image(engine, tag, "cat", "/api.sha") == hashlib.sha256(canary.encode()).hexdigest() + "\n"


def test_required_secret_missing_fails_at_its_line(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN --mount=type=secret,id=absent,required true\n")
    with pytest.raises(BuildFailed) as failure:
        buildwright.build(tmp_path, engine=buildwright.EngineOptions(env=engine.env))
    assert "secret absent: not found" in failure.value.message
    assert failure.value.location is not None and failure.value.location.start_line == 2


def test_bad_secret_specs_fail_before_the_engine_is_contacted(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    unreachable = buildwright.EngineOptions(addr="unix:///nonexistent/buildkitd.sock")
    with pytest.raises(BuildConfigError, match="failed to read secret x"):
        buildwright.build(tmp_path, secrets=[f"id=x,src={tmp_path / 'missing'}"], engine=unreachable)
    with pytest.raises(BuildConfigError, match="unexpected key 'nope'"):
        buildwright.build(tmp_path, secrets=["id=x,nope=1"], engine=unreachable)
    with pytest.raises(BuildConfigError, match="Dockerfile: ssh: no key found"):
        buildwright.build(tmp_path, ssh=[f"default={tmp_path / 'Dockerfile'}"], engine=unreachable)
    with pytest.raises(BuildConfigError, match=r"invalid entitlement: security\.everything"):
        buildwright.build(tmp_path, allow=["security.everything"], engine=unreachable)


def test_network_host_needs_the_entitlement(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN --network=host echo host > /host.txt\n")
    denied = _cli(engine, "build", "--progress", "plain", str(tmp_path))
    assert denied.returncode == 1
    assert "network.host is not allowed" in denied.stderr
    reference = buildx_build(engine, tmp_path, tag="bw-run/net-host:denied", check=False)
    assert reference.returncode != 0 and "network.host is not allowed" in reference.stderr

    tag = f"bw-run/net-host:{uuid.uuid4().hex[:8]}"
    allowed = _cli(engine, "build", "--progress", "plain", "--allow", "network.host", "-t", tag, str(tmp_path))
    assert allowed.returncode == 0, allowed.stderr
    buildx_build(engine, tmp_path, tag=f"{tag}-buildx", extra_args=["--allow", "network.host"])
    assert_same_image(snapshot_image(engine, f"{tag}-buildx"), snapshot_image(engine, tag))


@pytest.fixture
def ssh_agent(tmp_path: Path) -> Iterator[str]:
    """A private ssh-agent holding one fresh key (comment `bw-run-canary-key`); yields its socket."""
    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        pytest.skip("ssh-agent is not installed")
    sock = tmp_path / "agent.sock"
    agent = subprocess.run(["ssh-agent", "-s", "-a", str(sock)], capture_output=True, text=True, check=True)
    pid = int(agent.stdout.split("SSH_AGENT_PID=")[1].split(";")[0])
    try:
        key = tmp_path / "id_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bw-run-canary-key", "-f", str(key)], check=True
        )
        subprocess.run(
            ["ssh-add", str(key)], env={**os.environ, "SSH_AUTH_SOCK": str(sock)}, capture_output=True, check=True
        )
        yield str(sock)
    finally:
        os.kill(pid, signal.SIGTERM)


def test_ssh_agent_is_forwarded_read_only(engine: EngineInfo, tmp_path: Path, ssh_agent: str) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(SSH_DOCKERFILE)
    tag = f"bw-run/ssh:{uuid.uuid4().hex[:8]}"
    args = ["--no-cache", "-t", tag, "--ssh", f"default={ssh_agent}", str(context)]
    built = _cli(engine, "build", "--progress", "plain", *args)
    assert built.returncode == 0, built.stderr
    # 12 = identities answer, 5 = failure: the build sees the key and cannot remove it.
    assert run_image(engine, tag, "cat", "/ssh.txt") == "answer=12 keys=1 remove_all=5 keys_after=1 comment=yes\n"
    buildx_build(engine, context, tag=f"{tag}-buildx", extra_args=["--ssh", f"default={ssh_agent}"])
    assert_same_image(snapshot_image(engine, f"{tag}-buildx"), snapshot_image(engine, tag))


def _ssh_strings(data: bytes) -> list[bytes]:
    out = []
    while data:
        size = int.from_bytes(data[:4], "big")
        out.append(data[4 : 4 + size])
        data = data[4 + size :]
    return out


def test_ssh_key_files_serve_an_agent_as_buildx_does(engine: EngineInfo, tmp_path: Path) -> None:
    """`--ssh default=KEY,KEY`: the build sees both keys and gets signatures an SSH server accepts,
    byte for byte what buildx's agent gives for the same files (Ed25519 and RSA sign deterministically)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    keys = []
    for kind in ("ed25519", "rsa"):
        path = tmp_path / f"id_{kind}"
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True)
        keys.append(path)
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(SSH_KEYS_DOCKERFILE)
    tag = f"bw-run/ssh-keys:{uuid.uuid4().hex[:8]}"
    ssh = f"default={keys[0]},{keys[1]}"
    built = _cli(engine, "build", "--progress", "plain", "--no-cache", "-t", tag, "--ssh", ssh, str(context))
    assert built.returncode == 0, built.stderr
    buildx_build(engine, context, tag=f"{tag}-buildx", no_cache=True, extra_args=["--ssh", ssh])
    assert_same_image(snapshot_image(engine, f"{tag}-buildx"), snapshot_image(engine, tag))

    lines = run_image(engine, tag, "cat", "/ssh-keys.txt").splitlines()
    assert lines[0].startswith("list 0c00000002")  # an identities answer with two keys
    assert len(lines) == 3
    for line, path in zip(lines[1:], keys, strict=True):
        _, blob_hex, answer_hex = line.split()
        public_line = path.with_suffix(".pub").read_bytes()
        assert bytes.fromhex(blob_hex) == base64.b64decode(public_line.split()[1])
        public = serialization.load_ssh_public_key(public_line)
        answer = bytes.fromhex(answer_hex)
        assert answer[0] == 14
        name, signature = _ssh_strings(_ssh_strings(answer[1:])[0])
        if isinstance(public, ed25519.Ed25519PublicKey):
            assert name == b"ssh-ed25519"
            public.verify(signature, b"bw-sign-test")
        else:
            assert isinstance(public, rsa.RSAPublicKey) and name == b"rsa-sha2-256"
            public.verify(signature, b"bw-sign-test", padding.PKCS1v15(), hashes.SHA256())
