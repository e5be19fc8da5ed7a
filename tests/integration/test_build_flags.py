"""Build-wide RUN flags (--network, --add-host, --shm-size, --ulimit, --cgroup-parent, the
BUILDKIT_SANDBOX_HOSTNAME build arg) and -q/--quiet, on the engine, compared with buildx.

buildwright builds first, with a fresh nonce so nothing comes from cache, and the files its RUN
wrote show the settings took effect; buildx then builds the same with the same flags and must find
every RUN in the cache (the exec ops are byte for byte the same), and the images must match.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest

import buildwright
from buildwright.errors import BuildConfigError
from tests.integration.cli import run_cli
from tests.integration.reference import (
    EngineInfo,
    assert_same_image,
    buildx_build,
    run_image,
    snapshot_image,
)

SETTINGS_DOCKERFILE = """\
FROM busybox
ARG NONCE
RUN echo "$NONCE" > /nonce; cat /etc/hosts > /hosts; hostname > /hostname; \\
    df -k /dev/shm | awk 'NR==2 {print $2}' > /shm; \\
    { ulimit -Sn; ulimit -Hn; ulimit -Su; ulimit -Hu; } > /limits; \\
    ip -o link | awk '{print $2}' | sort > /links
RUN --network=default ip -o link | awk '{print $2}' | sort > /links-default
"""

# The same settings as buildx flags and as buildwright CLI flags (the names are buildx's).
SETTINGS_FLAGS = (
    "--network",
    "none",
    "--add-host",
    "MyHost:1.2.3.4",
    "--add-host",
    "gw=host-gateway,v6:[::1]",
    "--shm-size",
    "64m",
    "--ulimit",
    "nproc=512:1024",
    "--ulimit",
    "nofile=1024:2048",
)


def _cli(engine: EngineInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(engine.env, *args)


def _run_steps(plain_output: str) -> dict[str, bool]:
    """The RUN steps of a `--progress=plain` log, each with whether it was CACHED."""
    names = {m.group(1): m.group(2) for m in re.finditer(r"^#(\d+) (\[[^\]]*\] RUN .*)$", plain_output, re.M)}
    cached = set(re.findall(r"^#(\d+) CACHED$", plain_output, re.M))
    return {name: vertex in cached for vertex, name in names.items()}


def _compare_with_buildx(
    engine: EngineInfo, context: Path, our_tag: str, extra_args: Sequence[str], build_args: dict[str, str]
) -> None:
    """buildx builds the same: every RUN must be a cache hit, and the images must match."""
    reference_tag = f"{our_tag}-buildx"
    done = buildx_build(engine, context, tag=reference_tag, build_args=build_args, extra_args=extra_args)
    runs = _run_steps(done.stderr)
    assert runs, done.stderr
    assert all(runs.values()), f"buildx did not reuse buildwright's steps: {runs}"
    assert_same_image(snapshot_image(engine, reference_tag), snapshot_image(engine, our_tag))


def test_run_settings_take_effect_and_match_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(SETTINGS_DOCKERFILE)
    nonce = uuid.uuid4().hex
    tag = f"bw-run/flags:{nonce[:8]}"
    build_args = {"NONCE": nonce, "BUILDKIT_SANDBOX_HOSTNAME": "bw-box"}
    arg_flags = [word for key, value in sorted(build_args.items()) for word in ("--build-arg", f"{key}={value}")]
    ours = _cli(engine, "build", "--progress", "plain", "-t", tag, *SETTINGS_FLAGS, *arg_flags, str(tmp_path))
    assert ours.returncode == 0, ours.stderr
    assert not any(_run_steps(ours.stderr).values()), "expected a fresh build"

    hosts = run_image(engine, tag, "cat", "/hosts").splitlines()
    assert "1.2.3.4\tmyhost" in hosts  # names lower-cased, as the engine's frontend does
    assert "::1\tv6" in hosts
    gateway = [line.split("\t")[0] for line in hosts if line.endswith("\tgw")]
    assert len(gateway) == 1 and re.fullmatch(r"[0-9.]+|[0-9a-f:]+", gateway[0]), hosts
    assert run_image(engine, tag, "cat", "/hostname").strip() == "bw-box"
    assert run_image(engine, tag, "cat", "/shm").strip() == str(64 * 1024)
    assert run_image(engine, tag, "cat", "/limits").split() == ["1024", "2048", "512", "1024"]
    # --network none: only the loopback device; a RUN's --network=default follows the build's mode.
    assert run_image(engine, tag, "cat", "/links").split() == ["lo:"]
    assert run_image(engine, tag, "cat", "/links-default").split() == ["lo:"]

    _compare_with_buildx(engine, tmp_path, tag, SETTINGS_FLAGS, build_args)


def test_network_host_grants_its_entitlement_and_a_run_can_still_opt_out(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nARG NONCE\n"
        "RUN echo \"$NONCE\" > /nonce; ip -o link | awk '{print $2}' | sort > /links-host\n"
        "RUN --network=none ip -o link | awk '{print $2}' | sort > /links-none\n"
    )
    nonce = uuid.uuid4().hex
    tag = f"bw-run/flags-host:{nonce[:8]}"
    # No allow=: as with buildx, --network host asks for network.host itself.
    buildwright.build(
        tmp_path,
        tags=[tag],
        build_args={"NONCE": nonce},
        network="host",
        engine=buildwright.EngineOptions(env=engine.env),
    )
    assert "lo:" in run_image(engine, tag, "cat", "/links-host").split()
    assert run_image(engine, tag, "cat", "/links-none").split() == ["lo:"]
    _compare_with_buildx(engine, tmp_path, tag, ["--network", "host"], {"NONCE": nonce})


def test_cgroup_parent_places_every_run(engine: EngineInfo, tmp_path: Path) -> None:
    # The last path element is the exec's own random cgroup: drop it, keep the parents.
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nARG NONCE\n"
        'RUN echo "$NONCE" > /nonce; sed "s,/[^/]*$,,; s,^[0-9]*:[^:]*:,," /proc/self/cgroup | sort -u > /cgroup\n'
    )
    nonce = uuid.uuid4().hex
    tag = f"bw-run/flags-cgroup:{nonce[:8]}"
    buildwright.build(
        tmp_path,
        tags=[tag],
        build_args={"NONCE": nonce},
        cgroup_parent="bw-run-parent",
        engine=buildwright.EngineOptions(env=engine.env),
    )
    placed = run_image(engine, tag, "cat", "/cgroup").split()
    assert placed and all(path.startswith("/bw-run-parent/") for path in placed), placed
    _compare_with_buildx(engine, tmp_path, tag, ["--cgroup-parent", "bw-run-parent"], {"NONCE": nonce})


def test_quiet_prints_only_the_image_id(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo quiet > /q\n")
    tag = f"bw-run/quiet:{uuid.uuid4().hex[:8]}"
    quiet = _cli(engine, "build", "-q", "-t", tag, str(tmp_path))
    assert quiet.returncode == 0, quiet.stderr
    image_id = engine.docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.decode().strip()
    assert quiet.stdout == image_id + "\n" and quiet.stderr == ""

    reference = subprocess.run(
        [engine.docker_cli, "buildx", "build", "-q", "--provenance=false", "-t", f"{tag}-buildx", str(tmp_path)],
        env=dict(engine.env),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", reference.stdout)

    silent = _cli(engine, "build", "--progress", "none", "-t", tag, str(tmp_path))
    assert silent.returncode == 0 and silent.stdout == "" and silent.stderr == "", silent.stderr

    conflict = _cli(engine, "build", "-q", "--progress", "plain", str(tmp_path))
    assert conflict.returncode == 2 and "progress=plain and quiet cannot be used together" in conflict.stderr
    refused = subprocess.run(
        [engine.docker_cli, "buildx", "build", "-q", "--progress", "plain", str(tmp_path)],
        env=dict(engine.env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert refused.returncode != 0 and "quiet cannot be used together" in refused.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"network": "bridge"}, 'network mode "bridge" is not supported'),
        ({"add_hosts": ["nohost"]}, 'invalid host "nohost"'),
        ({"add_hosts": ["h:999.1.1.1"]}, "is not an IP address"),
        ({"ulimits": ["nofile=10:5"]}, "above the hard limit"),
        ({"shm_size": "64q"}, 'invalid size "64q"'),
    ],
)
def test_bad_flags_fail_before_the_engine_is_contacted(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    unreachable = buildwright.EngineOptions(addr="unix:///nonexistent/buildkitd.sock")
    with pytest.raises(BuildConfigError, match=re.escape(message)):
        buildwright.build(tmp_path, engine=unreachable, **options)  # type: ignore[arg-type]


def test_bad_flags_on_the_cli_are_one_error_line(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    result = _cli(engine, "build", "--ulimit", "bogus=1", str(tmp_path))
    assert result.returncode == 2  # a malformed option value is a usage error
    assert result.stderr.startswith('ERROR: invalid ulimit "bogus=1": unknown type "bogus"')
    assert "Traceback" not in result.stderr


def test_quiet_build_to_stdout_prints_only_the_archive(engine: EngineInfo, tmp_path: Path) -> None:
    """`-q -o type=oci,dest=-`: stdout holds the archive alone (no image id after it), as buildx's."""
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nCOPY Dockerfile /d\n")
    done = subprocess.run(
        [sys.executable, "-m", "buildwright", "build", "-q", "-o", "type=oci,dest=-", str(tmp_path)],
        env=dict(engine.env),
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(b"\0" * 1024)  # a tar archive's end, nothing after it
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        assert "index.json" in archive.getnames()
