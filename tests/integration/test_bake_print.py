"""`buildwright.bakefile` against `docker buildx bake --print` (and `--list`) on the bake-file corpus.

Each folder of tests/integration/bake_cases/ holds bake files and optionally:
- `args`: the command line after `--print`, one argument a line (`-f NAME`, `--set K=V`, targets,
  `--list targets|variables` to compare the listing instead of the definition);
- `env`: `KEY=VALUE` lines added to the environment of both;
- `stdin`: the standard input of both (what `-f -` reads);
- `unordered`: the groups' target lists are compared as sets (buildx orders the targets of a matrix
  with several keys by Go's map iteration, which differs from run to run);
- `error`: buildx must fail, and so must we, with a BakeFileError whose text contains each line of
  this file (the file and line it names).
The case is copied to a temporary folder and both readers run there with the same environment.
`--print` builds nothing, so this test only needs the docker CLI with its buildx plugin.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from buildwright.bakefile import list_targets, list_variables, read_bake
from buildwright.errors import BakeFileError
from tests.integration.reference import engine_info

CASES = Path(__file__).resolve().parent / "bake_cases"
_CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


@dataclass(frozen=True)
class _Args:
    files: tuple[str, ...]
    targets: tuple[str, ...]
    overrides: tuple[str, ...]
    listing: str | None


def _parse_args(lines: Sequence[str]) -> _Args:
    files: list[str] = []
    targets: list[str] = []
    overrides: list[str] = []
    listing = None
    i = 0
    while i < len(lines):
        arg = lines[i]
        if arg in ("-f", "--set", "--list"):
            value = lines[i + 1]
            {"-f": files, "--set": overrides}.get(arg, []).append(value)
            if arg == "--list":
                listing = value
            i += 2
            continue
        targets.append(arg)
        i += 1
    return _Args(tuple(files), tuple(targets), tuple(overrides), listing)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line] if path.exists() else []


@pytest.fixture(scope="module")
def docker_env() -> dict[str, str]:
    info = engine_info()
    keep = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG")
    return {k: v for k, v in info.env.items() if k in keep} | {"BUILDX_NO_DEFAULT_ATTESTATIONS": "1"}


@pytest.mark.parametrize("case", _CASE_DIRS, ids=lambda p: p.name)
def test_print_matches_buildx(case: Path, tmp_path: Path, docker_env: dict[str, str]) -> None:
    work = tmp_path / case.name
    shutil.copytree(case, work, ignore=shutil.ignore_patterns("args", "env", "error", "stdin", "unordered"))
    raw_args = _lines(case / "args")
    args = _parse_args(raw_args)
    env = dict(docker_env)
    for line in _lines(case / "env"):
        key, _, value = line.partition("=")
        env[key] = value
    docker = shutil.which("docker", path=env["PATH"]) or "docker"
    command = [docker, "buildx", "bake", *([] if args.listing else ["--print"]), *raw_args]
    stdin = (case / "stdin").read_bytes() if (case / "stdin").exists() else None
    reference = subprocess.run(command, cwd=work, env=env, input=stdin, capture_output=True, timeout=120, check=False)
    expected_error = _lines(case / "error")
    if expected_error:
        assert reference.returncode != 0, f"buildx accepted the case: {reference.stdout.decode()}"
        with pytest.raises(BakeFileError) as caught:
            _ours(args, work, env, stdin)
        for fragment in expected_error:
            assert fragment in str(caught.value), f"{caught.value} (buildx: {reference.stderr.decode()[-400:]})"
        return
    assert reference.returncode == 0, reference.stderr.decode()
    ours, theirs = _ours(args, work, env, stdin), reference.stdout.decode()
    if (case / "unordered").exists():
        assert _groups_as_sets(json.loads(ours)) == _groups_as_sets(json.loads(theirs))
    else:
        assert ours == theirs


def _groups_as_sets(data: dict[str, Any]) -> dict[str, Any]:
    for group in data.get("group", {}).values():
        group["targets"] = sorted(group["targets"] or [])
    return data


def _ours(args: _Args, cwd: Path, env: dict[str, str], stdin: bytes | None) -> str:
    if args.listing is not None:
        kind, _, fmt = args.listing.partition(",format=")
        kind = kind.removeprefix("type=")
        lister = list_targets if kind == "targets" else list_variables
        return lister(args.files, cwd=cwd, env=env, format=fmt or "table", stdin=stdin)
    definition = read_bake(args.files, args.targets, overrides=args.overrides, cwd=cwd, env=env, stdin=stdin)
    return definition.print_json()


def test_the_corpus_is_large_enough() -> None:
    assert len(_CASE_DIRS) >= 30
