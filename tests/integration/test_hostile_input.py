"""Input that is not UTF-8, and nesting deeper than Python's recursion limit, on the engine, compared
with buildx: where buildx builds, the same files reach the image; where it fails, buildwright fails too,
with one line naming the file (and line) at fault, never an internal error (issue 10).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.integration.reference import EngineInfo, buildx_build, run_image

pytestmark = pytest.mark.integration

LIST_DOCKERFILE = b"FROM busybox\nARG NONCE\nCOPY . /ctx\nRUN cd /ctx && find . | sort | od -An -c > /listing\n"


def _cli(engine: EngineInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", *args],
        env=dict(engine.env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _put(folder: Path, name: bytes, content: bytes) -> None:
    with open(os.fsencode(folder) + b"/" + name, "wb") as out:
        out.write(content)


def test_ignore_pattern_with_a_latin1_byte_filters_as_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    # `caf\xe9*` reads as caf U+FFFD*, which matches any name with an invalid byte there (Go's
    # regexp decodes it as U+FFFD) but not the UTF-8 `café`. Both names then are UTF-8 or ignored.
    tmp_path.joinpath("ctx").mkdir()
    context = tmp_path / "ctx"
    _put(context, b"Dockerfile", LIST_DOCKERFILE)
    _put(context, b".dockerignore", b"caf\xe9*\n")
    for name in (b"caf\xe9-x", b"caf\xff-z", "café-y".encode(), b"cafe", b"keep"):
        _put(context, name, b"x")
    nonce = uuid.uuid4().hex
    tag_ref, tag_ours = f"bw-hostile-ref:{nonce}", f"bw-hostile-ours:{nonce}"

    def reference() -> str:
        buildx_build(engine, context, tag=tag_ref, build_args={"NONCE": nonce})
        return run_image(engine, tag_ref, "cat", "/listing")

    def ours() -> str:
        built = _cli(engine, "build", "-q", "-t", tag_ours, "--build-arg", f"NONCE={nonce}", str(context))
        assert built.returncode == 0, built.stderr
        return run_image(engine, tag_ours, "cat", "/listing")

    with ThreadPoolExecutor(2) as pool:
        want, got = pool.submit(reference).result(), pool.submit(ours).result()
    assert got == want
    # od -c: the two names with an invalid byte are ignored, the UTF-8 café is sent.
    assert "351" not in got and "377" not in got and "303 251" in got
    engine.docker("image", "rm", tag_ref, tag_ours, check=False)


def test_run_with_a_latin1_byte_fails_as_buildx_with_its_line(engine: EngineInfo, tmp_path: Path) -> None:
    _put(tmp_path, b"Dockerfile", b"FROM busybox\nLABEL ok=caf\xe9\nRUN echo caf\xe9\n")
    reference = buildx_build(engine, tmp_path, tag="bw-hostile-never:x", check=False)
    assert reference.returncode != 0
    assert "string field contains invalid UTF-8" in reference.stderr
    ours = _cli(engine, "build", str(tmp_path))
    assert ours.returncode == 1
    errors = [line for line in ours.stderr.splitlines() if line.startswith("ERROR")]
    assert errors[0] == "ERROR: Dockerfile:3: failed to marshal LLB definition: string field contains invalid UTF-8"
    assert "internal error" not in ours.stderr and "Traceback" not in ours.stderr


def test_latin1_bytes_in_label_env_workdir_build_as_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    # Values that go through variable expansion come out with U+FFFD for the byte in both builders.
    _put(tmp_path, b"Dockerfile", b"FROM busybox\nLABEL l=caf\xe9\nENV E=caf\xe9\nWORKDIR /w\xe9\nRUN pwd > /pwd\n")
    nonce = uuid.uuid4().hex
    buildx_build(engine, tmp_path, tag=f"bw-hostile-ref:{nonce}")
    ours = _cli(engine, "build", "-q", "-t", f"bw-hostile-ours:{nonce}", str(tmp_path))
    assert ours.returncode == 0, ours.stderr
    inspect = "{{json .Config.Labels}} {{json .Config.Env}} {{.Config.WorkingDir}}"
    want = engine.docker("image", "inspect", "--format", inspect, f"bw-hostile-ref:{nonce}").stdout
    got = engine.docker("image", "inspect", "--format", inspect, f"bw-hostile-ours:{nonce}").stdout
    assert got == want and "caf\ufffd".encode() in got
    engine.docker("image", "rm", f"bw-hostile-ref:{nonce}", f"bw-hostile-ours:{nonce}", check=False)


def test_context_file_name_not_utf8_fails_as_buildx_naming_it(engine: EngineInfo, tmp_path: Path) -> None:
    _put(tmp_path, b"Dockerfile", LIST_DOCKERFILE)
    _put(tmp_path, b"caf\xe9", b"x")
    reference = buildx_build(engine, tmp_path, tag="bw-hostile-never:x", check=False)
    assert reference.returncode != 0 and "string field contains invalid UTF-8" in reference.stderr
    ours = _cli(engine, "build", str(tmp_path))
    assert ours.returncode == 1
    assert 'file name is not valid UTF-8, which the engine cannot receive: "caf\\xe9"' in ours.stderr
    assert "internal error" not in ours.stderr and "Traceback" not in ours.stderr


def test_deep_nesting_builds_as_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    # 500 levels (the depth of issue 10) in ARG, FROM, ENV and RUN; buildx builds it.
    nest = "${a:-" * 500 + "x" + "}" * 500
    dockerfile = f"ARG B={nest}\nFROM busybox{nest.replace('x}', '}', 1)}\nENV E={nest}\nRUN echo {nest} $E > /out\n"
    _put(tmp_path, b"Dockerfile", dockerfile.encode())
    nonce = uuid.uuid4().hex
    buildx_build(engine, tmp_path, tag=f"bw-hostile-ref:{nonce}")
    ours = _cli(engine, "build", "-q", "-t", f"bw-hostile-ours:{nonce}", str(tmp_path))
    assert ours.returncode == 0, ours.stderr
    assert run_image(engine, f"bw-hostile-ours:{nonce}", "cat", "/out") == "x x\n"
    assert run_image(engine, f"bw-hostile-ref:{nonce}", "cat", "/out") == "x x\n"
    engine.docker("image", "rm", f"bw-hostile-ref:{nonce}", f"bw-hostile-ours:{nonce}", check=False)
