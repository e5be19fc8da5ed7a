"""`buildwright --help` and `buildwright build --help` load only the CLI: no engine client (gRPC,
protobuf, session services), compiler, lint, pipeline, progress renderers or logging set-up.

Each case runs in a fresh interpreter, as the console script does, and lists what got imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Module name prefixes a help screen must not import.
HEAVY = (
    "grpc",
    "google.protobuf",
    "structlog",
    "pydantic",
    "buildwright._pb",
    "buildwright.api",
    "buildwright.client.session",
    "buildwright.client.solve",
    "buildwright.client.connection",
    "buildwright.frontend",
    "buildwright.dockerfile",
    "buildwright.llb",
    "buildwright.pipeline",
    "buildwright.progress",
)

_PROBE = """
import json, sys
sys.argv = ["buildwright", *json.loads(sys.argv[1])]
from buildwright.cli.app import main
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
sys.stdout.flush()
sys.stderr.write(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported(args: list[str]) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True, text=True, timeout=120, check=False
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], report["modules"]


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["llb", "--help"], ["version", "--client"]])
def test_help_loads_no_heavy_module(args: list[str]) -> None:
    code, modules = _imported(args)
    assert code == 0
    assert "buildwright.cli.app" in modules
    assert _heavy(modules) == []


def test_the_probe_sees_heavy_modules_when_a_command_loads_them() -> None:
    # A command that runs (and fails on its missing context) loads the API: the probe must see it.
    code, modules = _imported(["llb", "/nonexistent-buildwright-context"])
    assert code != 0
    assert "buildwright.api" in _heavy(modules)
