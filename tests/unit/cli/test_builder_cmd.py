"""`buildwright builder` and `version` without an engine: the store is written, errors are one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import buildwright
from buildwright.cli.app import app
from buildwright.client.builders import load_store


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "DOCKER_CONFIG": str(tmp_path / "docker")}


def test_version_flag_and_client_only() -> None:
    for args in (["--version"], ["version", "--client"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.output == f"buildwright {buildwright.__version__}\n"


def test_create_stores_absolute_tls_paths_and_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _env(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ["builder", "create", "b", "--node", "tcp://127.0.0.1:1", "--tlscacert", "ca.pem", "--use"]
    args += ["--platform", "linux/amd64,linux/arm64", "--tlsservername", "bk"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    store = load_store(env)
    builder = store.get("b")
    assert store.current == "b" and builder is not None
    (node,) = builder.nodes
    assert (node.name, node.tls_ca, node.platforms, node.tls_server_name) == (
        "b0",
        tmp_path.resolve() / "ca.pem",
        ("linux/amd64", "linux/arm64"),
        "bk",
    )


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    env = _env(tmp_path)
    # Exit 2 for a wrong command line (usage), 1 for what the command found.
    for args, message, code in (
        (["builder", "create", "bad/name", "--node", "tcp://h:1"], "invalid builder name", 2),
        (["builder", "create", "b", "--node", "tcp://nowhere"], "expected host:port", 2),
        (["builder", "create", "b", "--node", "tcp://h:1", "--node", "tcp://h:2", "--node-name", "n"], "names one", 2),
        (["builder", "use", "missing"], "no builder named 'missing'", 1),
        (["builder", "rm", "missing"], "no builder 'missing'", 1),
        (["builder", "inspect", "b", "--format", "yaml"], "unknown --format", 2),
        (["du", "--addr", "tcp://h:1", "--builder", "b"], "give --addr or --builder, not both", 2),
    ):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == code, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert not (tmp_path / "cfg" / "buildwright" / "builders.toml").exists()  # nothing half-written


def test_conflicts_with_the_store_are_usage_errors(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert CliRunner().invoke(app, ["builder", "create", "b", "--node", "tcp://h:1"], env=env).exit_code == 0
    for args, message in (
        (["builder", "create", "b", "--node", "tcp://h:2"], "exists; give --append"),
        (["builder", "create", "b", "--append", "--node", "tcp://h:1"], "already has a node at"),
        (["builder", "create", "b", "--append", "--node", "tcp://h:3", "--node-name", "b0"], "has a node named"),
    ):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
