"""`build --call=targets|outline|check` (and `--print`) against buildx's on the same Dockerfiles:
the same text and JSON; `--call` values that are not methods are refused as usage errors."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.reference import REPO_ROOT, EngineInfo

_RICH = """\
ARG BASE=busybox:latest

# builder compiles the tools
# (two comment lines)
FROM --platform=$BUILDPLATFORM ${BASE} AS Builder
RUN true

# not a doc comment: it does not start with the name
FROM builder AS tester

FROM \\
  busybox:latest
COPY --from=builder /bin/true /t

# final <the one & only>
FROM scratch AS final
"""
_EXAMPLES = sorted(p for p in (REPO_ROOT / "examples").iterdir() if (p / "Dockerfile").is_file())


def _run(engine: EngineInfo, command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=dict(engine.env), capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("call")
    (folder / "Dockerfile").write_text(_RICH)
    return folder


@pytest.mark.parametrize("call", ["targets", "targets,format=json"])
def test_targets_match_buildx(engine: EngineInfo, rich: Path, call: str) -> None:
    # The JSON carries every field; the table is drawn from the same values, so fewer suffice.
    contexts = (rich, *_EXAMPLES) if call.endswith("json") else (rich, _EXAMPLES[0])
    for context in contexts:
        ours = _run(engine, [sys.executable, "-m", "buildwright", "build", f"--call={call}", str(context)])
        theirs = _run(engine, [engine.docker_cli, "buildx", "build", f"--call={call}", str(context)])
        assert ours.returncode == 0 == theirs.returncode, ours.stderr + theirs.stderr
        assert ours.stdout == theirs.stdout, context


def test_print_is_the_old_name(engine: EngineInfo, rich: Path) -> None:
    ours = _run(engine, [sys.executable, "-m", "buildwright", "build", "--print=targets", str(rich)])
    assert ours.returncode == 0
    assert ours.stdout.startswith("TARGET ")
    assert "builder (default)" not in ours.stdout and "final (default)" in ours.stdout


@pytest.mark.parametrize("call", ["nonsense", "targets,format=yaml", "outline,format=xml"])
def test_calls_not_evaluated_are_usage_errors(engine: EngineInfo, rich: Path, call: str) -> None:
    done = _run(engine, [sys.executable, "-m", "buildwright", "build", f"--call={call}", str(rich)])
    assert done.returncode == 2
    assert "--call" in done.stderr and "Traceback" not in done.stderr


# Global ARGs (with and without defaults and doc comments, one read through another's default,
# one unused), stage ARGs (a default from the base image's env and from an ENV, a bare ARG that
# takes the global value, a continuation line), secrets and SSH agents (required or not, by id,
# by target, twice), and stages reached as a base and through COPY --from.
_OUTLINE = """\
# REG the registry
ARG REG=docker.io
ARG NAME=library/busybox
# TAG image tag
ARG TAG=latest
ARG IMG=${REG}/${NAME}:${TAG}
ARG UNUSED=1
# NODEF has no default
ARG NODEF

# base is where it starts
FROM ${IMG} AS base
# GOOS target os
ARG GOOS=linux
ARG P=$PATH
ENV FOO=bar
ARG Q="${FOO}-q"
RUN --mount=type=secret,id=token,required=true --mount=type=ssh true
RUN --mount=type=secret,id=token true

FROM base AS mid
ARG NODEF
ARG TAG
RUN --mount=type=secret,target=/etc/app.conf --mount=type=ssh,id=gh,required=true true

FROM busybox:latest AS tools
# PORT the port \
ARG PORT=8080 \
    EXTRA

# final ships it
FROM busybox:latest
ARG NODEF
RUN --mount=type=secret,id=other,env=OTHER true
COPY --from=mid /a /b
COPY --from=tools /c /d
"""
_OUTLINE_CALLS = [
    ["--call=outline"],
    ["--call=outline,format=json"],
    ["--call=outline", "--target=base"],
    ["--call=outline,format=json", "--target=mid"],
    ["--call=outline", "--target=tools"],
    ["--call=outline,format=json", "--target=tools"],
    ["--call=outline", "--build-arg", "GOOS=darwin", "--build-arg", "NODEF=given"],
    ["--call=outline,format=json", "--build-arg", "NODEF=given", "--target=mid"],
]


@pytest.fixture(scope="module")
def outline_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outline")
    (folder / "Dockerfile").write_text(_OUTLINE)
    return folder


@pytest.mark.parametrize("args", _OUTLINE_CALLS, ids=" ".join)
def test_outline_matches_buildx(engine: EngineInfo, outline_context: Path, args: list[str]) -> None:
    ours = _run(engine, [sys.executable, "-m", "buildwright", "build", *args, str(outline_context)])
    theirs = _run(engine, [engine.docker_cli, "buildx", "build", *args, str(outline_context)])
    assert ours.returncode == 0 == theirs.returncode, ours.stderr + theirs.stderr
    assert ours.stdout == theirs.stdout
    assert ours.stdout.strip(), "an outline of this Dockerfile is never empty"


@pytest.mark.parametrize("call", ["outline", "outline,format=json"])
def test_outline_of_examples_matches_buildx(engine: EngineInfo, rich: Path, call: str) -> None:
    for context in (rich, *_EXAMPLES):
        ours = _run(engine, [sys.executable, "-m", "buildwright", "build", f"--call={call}", str(context)])
        theirs = _run(engine, [engine.docker_cli, "buildx", "build", f"--call={call}", str(context)])
        assert ours.returncode == theirs.returncode, ours.stderr + theirs.stderr
        assert ours.stdout == theirs.stdout, context


def test_outline_api_is_typed(engine: EngineInfo, outline_context: Path) -> None:
    from buildwright import api

    result = api.outline(outline_context, target="mid", engine=api.EngineOptions(env=engine.env))
    assert result.name == "mid"
    by_name = {arg.name: arg for arg in result.args}
    assert by_name["TAG"].value == "latest" and by_name["TAG"].description == "image tag"
    # A bare ARG of a global with no value is the stage's own declaration (no description).
    assert (by_name["NODEF"].value, by_name["NODEF"].description, by_name["NODEF"].location.start_line) == ("", "", 22)
    assert by_name["Q"].value == "bar-q" and by_name["GOOS"].location.start_line == 14
    assert "UNUSED" not in by_name
    assert [(s.name, s.required) for s in result.secrets] == [("token", True), ("app.conf", False)]
    assert [(s.name, s.required) for s in result.ssh] == [("default", False), ("gh", True)]


# A clean file, one with warnings of several rules (one over two lines), one whose build fails
# at a FROM, one that does not parse and one with an instruction that does not (over two lines).
_CHECKS = {
    "clean": "FROM busybox:latest\nRUN true\n",
    "warnings": ("FROM busybox:latest as Base\nMAINTAINER me\nCMD echo \\\n  hi\nfrom base\nWORKDIR rel\n"),
    "build-error": "FROM busybox:latest AS x\nENV A $B\nFROM x\nARG Z\nFROM $Z\n",
    "parse-error": "FROM busybox:latest\nRUN \\\n  true\nBOGUS x\n",
    "instruction-error": "FROM busybox:latest\nENV A=1 \\\n  B $A\n",
}


def _comparable(text: str) -> dict[str, Any]:
    """The lint JSON with the session id taken out of the Dockerfile's source definition (each
    run has its own session, and the op digests follow from it)."""
    from buildwright._pb import ops_pb2 as pb

    doc: dict[str, Any] = json.loads(text)
    for source in doc["sources"]:
        definition = source.pop("definition")
        ops = []
        for encoded in definition["def"]:
            op = pb.Op.FromString(base64.b64decode(encoded))
            if op.WhichOneof("op") == "source":
                assert op.source.attrs.pop("local.session", ""), "the Dockerfile is read in a session"
            del op.inputs[:]
            ops.append(str(op))
        metadata = sorted(json.dumps(value, sort_keys=True) for value in definition["metadata"].values())
        source["definition"] = {"ops": ops, "metadata": metadata, "located": len(definition["Source"]["locations"])}
    return doc


@pytest.mark.parametrize("name", sorted(_CHECKS))
def test_check_json_matches_buildx(engine: EngineInfo, tmp_path: Path, name: str) -> None:
    (tmp_path / "Dockerfile").write_text(_CHECKS[name])
    command = ["build", "--call=check,format=json", str(tmp_path)]
    ours = _run(engine, [sys.executable, "-m", "buildwright", *command])
    theirs = _run(engine, [engine.docker_cli, "buildx", *command])
    assert ours.returncode == theirs.returncode, ours.stderr + theirs.stderr
    assert _comparable(ours.stdout) == _comparable(theirs.stdout)
    # Both end with the same indentation and newline, and the same error on stderr.
    assert ours.stdout.endswith("\n}\n") and theirs.stdout.endswith("\n}\n")
    error = [line for line in theirs.stderr.splitlines() if line.startswith("ERROR: ")]
    assert [line for line in ours.stderr.splitlines() if line.startswith("ERROR: ")] == error
    if name != "clean":
        assert ours.returncode == 1
