"""`app_for`: a run naming a top-level command gets an app of that command alone, the root's help
an app of stand-ins; each must parse, help and fail exactly as the whole app does."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from buildwright.cli.app import COMMANDS, app, app_for

_ENV = {"COLUMNS": "120", "NO_COLOR": "1"}


def _registered(typer_app: typer.Typer) -> list[str]:
    commands = [info.name for info in typer_app.registered_commands]
    groups = [info.name for info in typer_app.registered_groups]
    return [*commands, *groups]


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
        ["builder"],
        ["builder", "--help"],
        ["builder", "create", "--help"],
        ["builder", "nope"],
        ["engine", "buildkitd", "--help"],
        ["history", "ls", "--help"],
        ["prune", "--help"],
    ],
)
def test_the_one_command_app_behaves_as_the_whole_app(args: list[str]) -> None:
    single = app_for(args)
    assert _registered(single) == [args[0]]
    ours = CliRunner().invoke(single, args, env=_ENV)
    whole = CliRunner().invoke(app, args, env=_ENV)
    assert (ours.exit_code, ours.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"], ["--help", "build"]])
def test_the_root_help_of_stand_ins_is_the_whole_apps(args: list[str]) -> None:
    stand_ins = app_for(args)
    assert _registered(stand_ins) == [name for name, _, _ in COMMANDS]
    # Stand-ins take no parameters: typer reads no command's signature for the root's help.
    assert all(
        info.callback is not None and info.callback.__name__ == "_no_parameters"
        for info in stand_ins.registered_commands
    )
    ours = CliRunner().invoke(stand_ins, args, env=_ENV)
    whole = CliRunner().invoke(app, args, env=_ENV)
    assert (ours.exit_code, ours.output) == (whole.exit_code, whole.output)
    assert "Commands" in ours.output or args == ["--version"]


@pytest.mark.parametrize("args", [["bulid"], ["--debug"], ["engine-status"]])
def test_anything_else_runs_the_whole_app(args: list[str]) -> None:
    whole = app_for(args)
    assert _registered(whole) == _registered(app) == [name for name, _, _ in COMMANDS]
    assert all(
        info.callback is not None and info.callback.__name__ != "_no_parameters" for info in whole.registered_commands
    )
    ours = CliRunner().invoke(whole, args, env=_ENV)
    theirs = CliRunner().invoke(app, args, env=_ENV)
    assert ours.exit_code == 2
    assert (ours.exit_code, ours.output) == (theirs.exit_code, theirs.output)
