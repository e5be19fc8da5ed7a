"""Commands beyond build on the engine: graph (checked against what a compile sends), du and prune
(checked against `docker buildx du/prune`), and engine status/up.

Prune runs on the shared engine, so every prune here carries a filter that matches only records of
a build made by the test itself (a unique token in its RUN step's description).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import buildwright
from buildwright import api
from tests.integration.cli import run_cli
from tests.integration.reference import EngineInfo

# Reads engine-wide state (listings, totals) that a concurrent test's builds would change.
pytestmark = pytest.mark.serial

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_AGO = re.compile(r"(Less than a second|About an? \w+|\d+ \w+) ago")


def _cli(engine: EngineInfo, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(engine.env, *args, stdin=stdin)


def _docker(engine: EngineInfo, *args: str) -> str:
    return engine.docker(*args).stdout.decode()


def _unique_build(engine: EngineInfo, tmp_path: Path) -> str:
    """Build a one-step image whose RUN nobody else has; returns the token in its description."""
    token = f"bwcmd{uuid.uuid4().hex[:16]}"
    (tmp_path / "Dockerfile").write_text(f"FROM busybox:latest\nRUN echo {token} > /token\n")
    buildwright.build(tmp_path, engine=buildwright.EngineOptions(env=engine.env))
    return token


def _without_ages(text: str) -> str:
    # Ages are computed when each command runs; the rest must be identical.
    return _AGO.sub("<age> ago", text)


# --- graph ------------------------------------------------------------------------------------


_GRAPH_CASES = [(path.name, None) for path in sorted(EXAMPLES.iterdir()) if (path / "Dockerfile").is_file()] + [
    ("named-stages", target) for target in ("builder", "tested", "motd")
]


@pytest.mark.parametrize(("example", "target"), _GRAPH_CASES, ids=[f"{e}-{t}" for e, t in _GRAPH_CASES])
def test_graph_shows_what_a_compile_sends(engine: EngineInfo, example: str, target: str | None) -> None:
    context = EXAMPLES / example
    graph = api.graph(context, target=target)
    compiled = api.compile(context, target=target, engine=buildwright.EngineOptions(env=engine.env))
    built = {node.name for node in graph.nodes if node.built}
    assert built == set(compiled.stages.reachable)
    assert {node.name for node in graph.pruned()} == set(compiled.stages.pruned)
    assert graph.node(graph.target).name == compiled.stages.target


def test_graph_cli_formats(engine: EngineInfo, tmp_path: Path) -> None:
    context = EXAMPLES / "named-stages"
    text = _cli(engine, "graph", str(context))
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Dockerfile: target final\n4 built in 3 levels, 0 pruned\n")
    assert "level 1 (side by side)" in text.stdout

    pruned = _cli(engine, "graph", "--target", "builder", str(context))
    assert "pruned (not needed by builder)" in pruned.stdout

    dot = _cli(engine, "graph", "--format", "dot", str(context))
    assert dot.returncode == 0 and dot.stdout.startswith('digraph "Dockerfile" {')

    out = tmp_path / "graph.svg"
    svg = _cli(engine, "graph", "--format", "svg", "-o", str(out), str(context))
    assert svg.returncode == 0 and svg.stdout == ""
    root = ET.fromstring(out.read_text())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_graph_cli_errors(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox AS a\nCOPY --from=$X /a /b\n")
    bad = _cli(engine, "graph", str(tmp_path))
    assert bad.returncode == 1
    assert bad.stderr.startswith("ERROR: Dockerfile:2: variable expansion is not supported for --from")
    assert "Traceback" not in bad.stderr
    missing = _cli(engine, "graph", "--target", "nope", str(EXAMPLES / "named-stages"))
    assert missing.returncode == 1 and 'target stage "nope" could not be found' in missing.stderr
    unknown = _cli(engine, "graph", "--format", "png", str(EXAMPLES / "named-stages"))
    assert unknown.returncode == 2


# --- du ---------------------------------------------------------------------------------------


def test_du_lists_a_build_as_buildx_does(engine: EngineInfo, tmp_path: Path) -> None:
    token = _unique_build(engine, tmp_path)
    options = buildwright.EngineOptions(env=engine.env)
    # The engine may still hold the record for a moment after the build returned; a listing taken
    # then says "in use" where the next one does not.
    for _ in range(20):
        records = api.disk_usage(filters=[f"description~={token}"], engine=options)
        if records and all(not r.in_use for r in records):
            break
        time.sleep(0.5)
    assert records and all(token in record.description for record in records)

    for extra in ((), ("--verbose",)):
        # The two listings are taken one after the other, and the shared engine may mark a record
        # in use between them (another build reading the same base): compare again a few times.
        for _ in range(5):
            ours = _cli(engine, "du", "--filter", f"description~={token}", *extra)
            assert ours.returncode == 0, ours.stderr
            theirs = _docker(engine, "buildx", "du", "--filter", f"description~={token}", *extra)
            if _without_ages(ours.stdout) == _without_ages(theirs):
                break
            time.sleep(1.0)
        assert _without_ages(ours.stdout) == _without_ages(theirs)
        assert records[0].id in ours.stdout


def test_du_totals_as_buildx(engine: EngineInfo) -> None:
    ours = _cli(engine, "du")
    assert ours.returncode == 0, ours.stderr
    summary = ours.stdout[ours.stdout.index("Reclaimable:") :]
    assert re.fullmatch(r"Reclaimable:\t[\d.]+[kMGT]?B\nTotal:\t\t[\d.]+[kMGT]?B\n", summary), summary


# --- prune ------------------------------------------------------------------------------------


def test_prune_asks_first_and_removes_only_what_the_filter_names(engine: EngineInfo, tmp_path: Path) -> None:
    token = _unique_build(engine, tmp_path)
    options = buildwright.EngineOptions(env=engine.env)
    listed = {r.id for r in api.disk_usage(filters=[f"description~={token}"], engine=options)}
    assert listed

    declined = _cli(engine, "prune", "--all", "--filter", f"description~={token}", stdin="n\n")
    assert declined.returncode == 0
    assert declined.stdout.startswith("WARNING! This will remove all build cache.")
    assert {r.id for r in api.disk_usage(filters=[f"description~={token}"], engine=options)} == listed

    # The engine may still hold the record for a moment after the build returned.
    for _ in range(20):
        if all(not r.in_use for r in api.disk_usage(filters=[f"description~={token}"], engine=options)):
            break
        time.sleep(0.5)
    pruned = _cli(engine, "prune", "--force", "--all", "--filter", f"description~={token}")
    assert pruned.returncode == 0, pruned.stderr
    lines = pruned.stdout.splitlines()
    assert lines[0].split() == ["ID", "RECLAIMABLE", "SIZE", "LAST", "ACCESSED"]
    assert {line.split()[0] for line in lines[1:-1]} == listed
    assert re.fullmatch(r"Total:\t[\d.]+[kMGT]?B", lines[-1])
    assert api.disk_usage(filters=[f"description~={token}"], engine=options) == ()
    assert token not in _docker(engine, "buildx", "du", "--verbose")


def test_prune_rejects_bad_options_before_asking(engine: EngineInfo) -> None:
    bad_filter = _cli(engine, "prune", "--filter", "until=soon")
    assert bad_filter.returncode == 1 and "'until' filter expects a duration" in bad_filter.stderr
    assert "WARNING" not in bad_filter.stdout
    bad_size = _cli(engine, "prune", "--reserved-space", "lots")
    assert bad_size.returncode == 1 and "invalid size: 'lots'" in bad_size.stderr


# --- engine -----------------------------------------------------------------------------------


def test_engine_status_and_up(engine: EngineInfo) -> None:
    status = _cli(engine, "engine", "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("running (pid ")
    assert f"unix://{engine.sock}" in status.stdout
    up = _cli(engine, "engine", "up")  # a no-op on a running engine
    assert up.returncode == 0, up.stderr
    assert "buildwright engine: dockerd" in up.stdout


def test_engine_status_of_a_stopped_engine(engine: EngineInfo, tmp_path: Path) -> None:
    # A second engine's variables point at nothing running: status says so, exit 3.
    env = {
        **engine.env,
        "BUILDWRIGHT_ENGINE_SOCK": str(tmp_path / "none.sock"),
        "BUILDWRIGHT_ENGINE_RUN": str(tmp_path / "run"),
        "BUILDWRIGHT_ENGINE_STATE": str(tmp_path / "state"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "buildwright", "engine", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == f"stopped (socket unix://{tmp_path / 'none.sock'})\n"


# --- a second, private engine: up, prune --all, down -------------------------------------------

# Its own state, sockets, bridge and containerd namespace: nothing is shared with the default engine.
_SECOND_ENGINE = {
    "BUILDWRIGHT_ENGINE_STATE": "/var/lib/bw-engine-cmds",
    "BUILDWRIGHT_ENGINE_RUN": "/run/bw-cmds",
    "BUILDWRIGHT_ENGINE_SOCK": "/run/bw-cmds/docker.sock",
    "BUILDWRIGHT_ENGINE_BRIDGE": "bwcmd0",
    "BUILDWRIGHT_ENGINE_NAMESPACE": "bw-cmds",
}


def _run(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_second_engine_up_prune_all_and_down(engine: EngineInfo, tmp_path: Path) -> None:
    env = {
        **engine.env,
        **_SECOND_ENGINE,
        "DOCKER_HOST": f"unix://{_SECOND_ENGINE['BUILDWRIGHT_ENGINE_SOCK']}",
        "DOCKER_CONFIG": f"{_SECOND_ENGINE['BUILDWRIGHT_ENGINE_STATE']}/docker-config",
    }
    try:
        up = _run(env, "engine", "up")
        assert up.returncode == 0, up.stderr
        status = _run(env, "engine", "status")
        assert status.returncode == 0 and "unix:///run/bw-cmds/docker.sock" in status.stdout

        (tmp_path / "Dockerfile").write_text(f"FROM busybox:latest\nRUN echo {uuid.uuid4().hex} > /f\n")
        options = buildwright.EngineOptions(env=env)
        buildwright.build(tmp_path, engine=options)
        for _ in range(20):
            records = api.disk_usage(engine=options)
            if records and not any(r.in_use for r in records):
                break
            time.sleep(0.5)
        assert records

        pruned = _run(env, "prune", "--all", "--force")
        assert pruned.returncode == 0, pruned.stderr
        removed = {line.split()[0] for line in pruned.stdout.splitlines()[1:-1]}
        assert removed == {r.id for r in records}
        assert api.disk_usage(engine=options) == ()
        du = _run(env, "du")
        theirs = subprocess.run(
            [engine.docker_cli, "buildx", "du"], env=env, capture_output=True, text=True, timeout=120, check=True
        )
        assert (
            du.stdout
            == theirs.stdout
            == "ID        RECLAIMABLE   SIZE      LAST ACCESSED\nReclaimable:\t0B\nTotal:\t\t0B\n"
        )

        down = _run(env, "engine", "down")
        assert down.returncode == 0, down.stderr
        stopped = _run(env, "engine", "status")
        assert stopped.returncode == 3 and stopped.stdout.startswith("stopped")
    finally:
        # Only ever the second engine, under its own variables.
        _run(env, "engine", "down", timeout=120)
