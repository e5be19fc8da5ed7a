"""Finding the engine script, and running it from `buildwright engine`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import buildwright
from buildwright.cli.app import app
from buildwright.cli.engine_cmd import SCRIPT_ENV, find_engine_script
from buildwright.errors import BuildConfigError

CHECKOUT_SCRIPT = Path(buildwright.__file__).resolve().parents[2] / "scripts" / "engine.sh"


def test_the_checkout_script_is_found() -> None:
    assert find_engine_script(env={}) == CHECKOUT_SCRIPT


def test_the_variable_wins(tmp_path: Path) -> None:
    script = tmp_path / "engine.sh"
    script.write_text("#!/bin/bash\n")
    assert find_engine_script(env={SCRIPT_ENV: str(script)}) == script
    with pytest.raises(BuildConfigError, match=f"{SCRIPT_ENV}=.*: no such file"):
        find_engine_script(env={SCRIPT_ENV: str(tmp_path / "missing.sh")})


def test_installed_data_files_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As installed from a wheel: no checkout beside the package, the script under <prefix>/share.
    fake_package = tmp_path / "site" / "buildwright" / "__init__.py"
    fake_package.parent.mkdir(parents=True)
    fake_package.write_text("")
    monkeypatch.setattr(buildwright, "__file__", str(fake_package))
    with pytest.raises(BuildConfigError, match="the engine script was not found"):
        find_engine_script(env={}, prefix=str(tmp_path / "prefix"))
    shared = tmp_path / "prefix" / "share" / "buildwright" / "engine.sh"
    shared.parent.mkdir(parents=True)
    shared.write_text("#!/bin/bash\n")
    assert find_engine_script(env={}, prefix=str(tmp_path / "prefix")) == shared


def test_the_script_runs_with_its_exit_code(tmp_path: Path) -> None:
    script = tmp_path / "engine.sh"
    script.write_text('echo "called with $1"\nexit 3\n')
    result = CliRunner().invoke(app, ["engine", "status"], env={**os.environ, SCRIPT_ENV: str(script)})
    assert result.exit_code == 3


def test_a_missing_script_is_one_error_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["engine", "up"], env={**os.environ, SCRIPT_ENV: str(tmp_path / "nope.sh")})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"ERROR: {SCRIPT_ENV}=")


def test_buildkitd_commands_reach_the_script(tmp_path: Path) -> None:
    script = tmp_path / "engine.sh"
    log = tmp_path / "args"
    script.write_text(f'printf "%s\\n" "$*" >> {log}\nexit 4\n')
    env = {**os.environ, SCRIPT_ENV: str(script)}
    runner = CliRunner()
    assert runner.invoke(app, ["engine", "buildkitd", "up", "one", "--tcp", "7000"], env=env).exit_code == 4
    assert runner.invoke(app, ["engine", "buildkitd", "status"], env=env).exit_code == 4
    assert runner.invoke(app, ["engine", "buildkitd", "down", "one"], env=env).exit_code == 4
    assert runner.invoke(app, ["engine", "buildkitd", "env", "one"], env=env).exit_code == 4
    assert log.read_text().splitlines() == [
        "buildkitd up one --tcp 7000",
        "buildkitd status",
        "buildkitd down one",
        "buildkitd env one",
    ]
    assert runner.invoke(app, ["engine", "buildkitd", "up", "one", "--tcp", "0"], env=env).exit_code == 2
