"""`app_for`: a run naming a top-level command gets an app of that command alone, which must parse,
help and fail exactly as the whole app does."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildwright.cli.app import app, app_for

_ENV = {"COLUMNS": "120", "NO_COLOR": "1"}


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--help"],
        ["llb", "--help"],
        ["check", "--help"],
        ["build"],  # the missing context: a usage error
        ["build", "--no-such-flag", "."],
        ["llb", "--target"],  # an option without its value
        ["version", "--client"],
    ],
)
def test_the_one_command_app_behaves_as_the_whole_app(args: list[str]) -> None:
    single = app_for(args)
    assert single is not app
    ours = CliRunner().invoke(single, args, env=_ENV)
    whole = CliRunner().invoke(app, args, env=_ENV)
    assert (ours.exit_code, ours.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"], ["engine", "status"], ["bulid"]])
def test_anything_else_runs_the_whole_app(args: list[str]) -> None:
    assert app_for(args) is app
