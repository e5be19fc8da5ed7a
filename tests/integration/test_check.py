"""`buildwright check` against `docker buildx build --check` on the engine: same findings (rules,
messages, lines, snippets), same error and the same exit status, for every folder of check_cases/.

Each case folder holds a Dockerfile (and any .dockerignore) and optionally `case.toml` with
`target`, `file` (a Dockerfile other than `Dockerfile`, relative to the case), `platform`, `build_args`, and
`[expect] error_line_only = true` with `why` when only the first line of the error is compared.
Both builders run from the cases folder with the case folder as the context, so both name the
Dockerfile `<case>/Dockerfile` in their output.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import buildwright
from buildwright.client.events import BuildEvent, BuildWarning
from tests.integration.reference import EngineInfo

CASES_DIR = Path(__file__).resolve().parent / "check_cases"
_LOCATION = re.compile(r"^\S+:(\d+)$", re.MULTILINE)
_VIOLATION = re.compile(r"(lint violation found for rules: )(.*)")


def _cases() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def _meta(name: str) -> dict[str, Any]:
    path = CASES_DIR / name / "case.toml"
    return tomllib.loads(path.read_text()) if path.is_file() else {}


def _arguments(name: str, meta: dict[str, Any]) -> list[str]:
    args: list[str] = []
    if "file" in meta:
        args += ["-f", f"{name}/{meta['file']}"]
    if "target" in meta:
        args += ["--target", meta["target"]]
    if "platform" in meta:
        args += ["--platform", meta["platform"]]
    for key, value in meta.get("build_args", {}).items():
        args += ["--build-arg", f"{key}={value}"]
    return [*args, name]


def _run(command: list[str], engine: EngineInfo) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=CASES_DIR, env=dict(engine.env), capture_output=True, text=True, timeout=600, check=False
    )


def _findings(stdout: str) -> tuple[str, list[tuple[int, list[str]]]]:
    """The summary line and the warning blocks grouped by line, in line order.

    Several findings on one line come in an order the reference does not fix (it iterates a Go
    map), so blocks of one line are compared as a sorted list.
    """
    head, *blocks = stdout.split("\nWARNING: ")
    grouped: dict[int, list[str]] = {}
    order: list[int] = []
    for block in blocks:
        match = _LOCATION.search(block)
        line = int(match.group(1)) if match else 0
        if line not in grouped:
            order.append(line)
        grouped.setdefault(line, []).append(block)
    return head, [(line, sorted(grouped[line])) for line in order]


def _error(stderr: str) -> str:
    # The reference's progress output comes first on stderr; the error is everything from `ERROR:`.
    # buildx words a failed request (not a failed check) "failed to build: failed to solve: ...";
    # buildwright reports such errors without the wrapping, as all its errors.
    match = re.search(r"^ERROR: ", stderr, re.MULTILINE)
    if match is None:
        return ""
    text = stderr[match.start() :].replace("ERROR: failed to build: failed to solve: ", "ERROR: ")
    # The reference lists the violated rules in Go map order, which changes from run to run.
    return _VIOLATION.sub(lambda m: m.group(1) + ", ".join(sorted(m.group(2).split(", "))), text)


@pytest.mark.parametrize("name", _cases())
def test_check_matches_buildx(engine: EngineInfo, name: str) -> None:
    meta = _meta(name)
    args = _arguments(name, meta)
    reference = _run([engine.docker_cli, "buildx", "build", "--check", *args], engine)
    ours = _run([sys.executable, "-m", "buildwright", "check", *args], engine)

    assert ours.returncode == reference.returncode, ours.stderr
    assert _findings(ours.stdout) == _findings(reference.stdout)
    expected_error, actual_error = _error(reference.stderr), _error(ours.stderr)
    if meta.get("expect", {}).get("error_line_only"):
        assert meta["expect"]["why"]
        expected_error, actual_error = expected_error.split("\n")[0], actual_error.split("\n")[0]
        # Only the text after the last colon-separated detail may differ.
        assert actual_error.startswith(expected_error) or expected_error.startswith(actual_error.rsplit(":", 1)[0])
    else:
        assert actual_error == expected_error


WARNINGS = """\
FROM busybox AS Base
ENV foo bar
RUN echo $foo > /x
CMD cat /x
"""


def test_build_reports_findings_as_engine_warnings(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(WARNINGS)
    events: list[BuildEvent] = []
    buildwright.build(
        tmp_path,
        tags=["bw-lint/warnings:latest"],
        engine=buildwright.EngineOptions(env=engine.env),
        on_event=events.append,
    )
    warnings = [event.short for event in events if isinstance(event, BuildWarning)]
    assert warnings == [
        "StageNameCasing: Stage name 'Base' should be lowercase (line 1)",
        'LegacyKeyValueFormat: "ENV key=value" should be used instead of legacy "ENV key value" format (line 2)',
        "JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS "
        "signals (line 4)",
    ]


def test_build_fails_on_findings_with_error_true(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("# check=error=true\n" + WARNINGS)
    reference = engine.docker("buildx", "build", "-q", str(tmp_path), check=False)
    assert reference.returncode != 0
    assert b"lint violation found for rules: " in reference.stderr
    with pytest.raises(buildwright.DockerfileError, match="lint violation found for rules: StageNameCasing"):
        buildwright.build(tmp_path, engine=buildwright.EngineOptions(env=engine.env))
