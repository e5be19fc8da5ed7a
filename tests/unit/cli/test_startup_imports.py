"""What `buildwright --help`, a command's `--help` and `version --client` import: the CLI modules
of that command and nothing heavy (no engine client, gRPC, protobuf, compiler, lint, pipeline,
progress renderers, rich, logging set-up, or another command's module).

Each case runs in a fresh interpreter, as the console script does, and lists what got imported.
The buildwright modules are pinned exactly, so a new import on these paths is a decision.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Module name prefixes no help screen may import.
HEAVY = (
    "grpc",
    "google.protobuf",
    "structlog",
    "pydantic",
    "rich",
    "markdown_it",
    "pygments",
    "typer.rich_utils",
    "logging",
    "tomllib",
    "tempfile",
    "buildwright._pb",
    "buildwright.api",
    "buildwright.engine",
    "buildwright.options",
    "buildwright.client",
    "buildwright.frontend",
    "buildwright.dockerfile",
    "buildwright.llb",
    "buildwright.pipeline",
    "buildwright.progress",
    "buildwright.cli.loghandlers",
)

# What every run loads: the package, the root app and its `--version`, help drawing.
_ROOT = {
    "buildwright",
    "buildwright._lazy",
    "buildwright.errors",
    "buildwright._values",  # the decorator of location's values
    "buildwright.location",
    "buildwright.cli",
    "buildwright.cli.app",
    "buildwright.cli.help_panels",
    "buildwright.cli.version_cmd",
    "buildwright.cli.engine_opts",
    "buildwright.cli.logsetup",
    "buildwright.cli.errors",
}
_BUILD = {
    "buildwright.cli.build_cmd",
    "buildwright.cli.build_opts",
    "buildwright.cli.build_flags",
    "buildwright.cli.explain_cmd",
    "buildwright.cli.loading",
}
# The root's help reads each command's help text from its module.
_EVERY_COMMAND = {
    *_BUILD,
    "buildwright.cli.bake_cmd",
    "buildwright.cli.builder_cmd",
    "buildwright.cli.cache_cmds",
    "buildwright.cli.engine_cmd",
    "buildwright.cli.graph",
    "buildwright.cli.history_cmd",
}

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


@pytest.mark.parametrize(
    ("args", "ours"),
    [
        (["--help"], _ROOT | _EVERY_COMMAND),
        (["--version"], _ROOT | _EVERY_COMMAND),
        (["build", "--help"], _ROOT | _BUILD),
        (["llb", "--help"], _ROOT | _BUILD),
        (["version", "--client"], _ROOT),
        (["history", "ls", "--help"], _ROOT | {"buildwright.cli.history_cmd"}),
        (["builder", "--help"], _ROOT | {"buildwright.cli.builder_cmd"}),
        (["bake", "--help"], _ROOT | {"buildwright.cli.bake_cmd", "buildwright.cli.build_opts"}),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_help_loads_only_its_commands_modules(args: list[str], ours: set[str]) -> None:
    code, modules = _imported(args)
    assert code == 0
    assert _heavy(modules) == []
    assert {m for m in modules if m == "buildwright" or m.startswith("buildwright.")} == ours


def test_the_probe_sees_heavy_modules_when_a_command_loads_them() -> None:
    # A command that runs (and fails on its missing context) loads the API: the probe must see it.
    code, modules = _imported(["llb", "/nonexistent-buildwright-context"])
    assert code != 0
    assert "buildwright.api" in _heavy(modules)


# What a plain build (no secrets, SSH, cache export or OCI layout; plain progress) has no use for:
# other commands' code, services it attaches only when asked, renderers it did not choose.
NOT_ON_THE_BUILD_PATH = (
    "buildwright.frontend.graph",
    "buildwright.frontend.outline",
    "buildwright.frontend.targets",
    "buildwright.client.diskusage",
    "buildwright.cachemiss.predict",
    "buildwright.cachemiss.engine_cache",
    "buildwright.client.session.secrets",
    "buildwright.client.session.ssh",
    "buildwright.client.session.sshkeys",
    "buildwright.client.session.upload",
    "buildwright.client.session.content",
    "buildwright.client.session.contentstore",
    "buildwright._pb.secrets_pb2",
    "buildwright._pb.sshforward_pb2",
    "buildwright._pb.upload_pb2",
    "buildwright._pb.content_pb2",
    "buildwright.progress.rawjson",
    "buildwright.progress.tty",
    "rich",
    "tomllib",
)


def test_a_plain_build_loads_only_what_it_uses(tmp_path: Path) -> None:
    # The build runs up to the engine, which is not there: by then it has imported its whole
    # path (the API, the compiler, the client and its session services, the renderer).
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY a /\n")
    (tmp_path / "a").write_text("a\n")
    endpoint = f"unix://{tmp_path}/no-engine.sock"
    code, modules = _imported(["build", "--progress=plain", "--addr", endpoint, str(tmp_path)])
    assert code == 1
    loaded = set(modules)
    assert {"buildwright.api", "buildwright.client.session.filesync", "buildwright.progress.plain"} <= loaded
    assert [m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_ON_THE_BUILD_PATH)] == []
