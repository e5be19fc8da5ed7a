"""`buildwright bake` without an engine: `--print` is the reader's JSON as it is, `--list` its
lists, and what cannot be built is one `ERROR:` line before any engine is asked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from buildwright.bakefile import read_bake
from buildwright.cli.app import app


def _folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, targets: dict[str, object]) -> dict[str, str]:
    (tmp_path / "ctx").mkdir(parents=True)
    (tmp_path / "ctx" / "Dockerfile").write_text("FROM busybox\n")
    (tmp_path / "docker-bake.json").write_text(json.dumps({"group": {"default": {"targets": ["app"]}}, **targets}))
    monkeypatch.chdir(tmp_path)
    # No builder and an engine nobody answers on: these commands must not need one.
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "DOCKER_HOST": "unix:///nonexistent.sock"}


def test_print_is_the_readers_json_with_the_flags_as_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _folder(tmp_path, monkeypatch, {"target": {"app": {"context": "ctx", "tags": ["r/app:1"]}}})
    result = CliRunner().invoke(app, ["bake", "--print", "--push", "--set", "app.args.A=1"], env=env)
    assert result.exit_code == 0, result.output
    expected = read_bake([], [], overrides=["app.args.A=1", "*.push=true"], cwd=tmp_path, env=env).print_json()
    assert result.output == expected
    printed = json.loads(result.output)["target"]["app"]
    assert printed["args"] == {"A": "1"} and printed["output"] == [{"push": "true", "type": "image"}]


def test_list_and_mutually_exclusive_modes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _folder(tmp_path, monkeypatch, {"target": {"app": {"context": "ctx"}}})
    listed = CliRunner().invoke(app, ["bake", "--list", "type=targets,format=json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "app" in [entry["name"] for entry in json.loads(listed.output)]
    bad = CliRunner().invoke(app, ["bake", "--list", "stages"], env=env)
    assert (bad.exit_code, bad.output.strip()) == (2, "ERROR: invalid list type 'stages': targets or variables")
    both = CliRunner().invoke(app, ["bake", "--print", "--placement"], env=env)
    assert both.exit_code == 2
    assert both.output.strip() == "ERROR: --print, --list and --placement are mutually exclusive"


def test_a_target_that_cannot_be_built_is_one_error_before_any_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _folder(tmp_path, monkeypatch, {"target": {"app": {"context": "ctx", "call": "outline"}}})
    result = CliRunner().invoke(app, ["bake"], env=env)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "ERROR: bake target 'app': call: 'outline' is not supported by buildwright bake (only builds are)"
    )
    loop = _folder(tmp_path / "loop", monkeypatch, {
        "target": {"app": {"context": "ctx", "contexts": {"x": "target:b"}}, "b": {"contexts": {"y": "target:app"}}}
    })  # fmt: skip
    result = CliRunner().invoke(app, ["bake"], env=loop)
    assert result.exit_code == 1
    assert result.output.strip().startswith("ERROR: ")
    assert "loop" in result.output
