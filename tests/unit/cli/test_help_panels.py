"""Help screens drawn without rich: typer's layout (usage, text, boxed panels), rich's markup read
as rich reads it, colours only where rich would use them, and boxes that hold at any width."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from buildwright.cli.app import app, app_for
from buildwright.cli.help_panels import PanelCommand, PanelGroup, screen_width
from buildwright.client.builders import BUILDER_ENV

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _sample() -> typer.Typer:
    sample = typer.Typer(cls=PanelGroup, add_completion=False)

    @sample.command("run", cls=PanelCommand)
    def run(
        target: Annotated[str, typer.Argument(help="What to run.", show_default=False)],
        level: Annotated[int, typer.Option("--level", "-l", help="How hard; see --force.", min=1)] = 2,
        markup: Annotated[
            str | None, typer.Option("--markup", help=r"Kept: os/arch\[/variant], a [bold]tag[/bold] dropped.")
        ] = None,
        token: Annotated[str | None, typer.Option("--token", envvar="SAMPLE_TOKEN", help="A token.")] = None,
        force: Annotated[bool, typer.Option("--force/--no-force", help="Go.", rich_help_panel="Danger")] = False,
        hidden: Annotated[bool, typer.Option("--secret-flag", hidden=True)] = False,
    ) -> None:
        """Run a thing.

        Longer words about it.
        """

    @sample.command("other", cls=PanelCommand)
    def other() -> None:
        """Another thing."""

    return sample


def _help(typer_app: typer.Typer, args: list[str], **env: str) -> str:
    result = CliRunner().invoke(typer_app, [*args, "--help"], env={"COLUMNS": "80", **env})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_command_screen_has_usage_text_and_panels_in_typers_order() -> None:
    out = _help(_sample(), ["run"], NO_COLOR="1")
    lines = out.splitlines()
    assert lines[1] == " Usage: root run [OPTIONS] {target}"
    assert " Run a thing." in lines and " Longer words about it." in lines
    assert re.findall(r"╭─ (\w+) ─", out) == ["Arguments", "Options", "Danger"]
    assert re.search(r"│ \*  target  <str>  What to run\. \[required\] +│", out)
    assert re.search(r"│ --level +-l +<int range> \[x>=1\] +How hard; see --force\. \[default: 2\] +│", out)
    assert "[env var: SAMPLE_TOKEN]" in out
    assert re.search(r"│ --force +--no-force +Go\. \[default: no-force\] +│", out)
    assert "--secret-flag" not in out


def test_rich_markup_is_read_as_rich_reads_it() -> None:
    out = _help(_sample(), ["run"], NO_COLOR="1")
    assert "os/arch[/variant], a tag dropped." in "".join(line.strip("│ ") for line in out.splitlines())
    assert "\\[" not in out and "[bold]" not in out


@pytest.mark.parametrize("width", [40, 60, 80, 132])
def test_boxes_hold_at_every_width(width: int) -> None:
    for args in (["build"], ["prune"], ["builder", "create"], []):
        out = _help(app, args, COLUMNS=str(width), NO_COLOR="1")
        boxed = [line for line in out.splitlines() if line[:1] in ("╭", "│", "╰")]
        assert boxed, args
        assert {len(line) for line in boxed} == {width}, (args, width)
        assert all(line.endswith(("╮", "│", "╯")) for line in boxed)
        assert all(len(line) <= width for line in out.splitlines())


def test_an_option_with_aliases_is_never_cut() -> None:
    out = _help(app, ["prune"], NO_COLOR="1")
    assert "--reserved-space,--keep-storage" in out


def test_colour_only_where_rich_would_colour() -> None:
    assert not _ANSI.search(_help(_sample(), ["run"]))  # not a terminal
    forced = _help(_sample(), ["run"], FORCE_COLOR="1")
    assert "\x1b[1;36m--level\x1b[0m" in forced and "\x1b[1;32m-l\x1b[0m" in forced
    assert _ANSI.sub("", forced) == _help(_sample(), ["run"], NO_COLOR="1")
    assert not _ANSI.search(_help(_sample(), ["run"], FORCE_COLOR="1", NO_COLOR="1"))
    assert not _ANSI.search(_help(_sample(), ["run"], FORCE_COLOR="1", TERM="dumb"))


def test_a_group_lists_its_commands_with_their_first_paragraph() -> None:
    out = _help(_sample(), [], NO_COLOR="1")
    assert re.search(r"│ run    Run a thing\. +│", out)
    assert re.search(r"│ other  Another thing\. +│", out)
    assert "Longer words" not in out


def test_no_arguments_prints_the_help_on_stdout_and_exits_2() -> None:
    result = CliRunner().invoke(app_for([]), [], env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 2
    assert "Usage: buildwright [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "╭─ Commands ─" in result.stdout
    group = CliRunner().invoke(app_for(["builder"]), ["builder"], env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert group.exit_code == 2 and "╭─ Commands ─" in group.stdout


def test_every_command_of_the_app_draws_its_own_help() -> None:
    def walk(command: object) -> list[object]:
        children = getattr(command, "commands", {})
        return [command, *(c for child in children.values() for c in walk(child))]

    commands = walk(typer.main.get_command(app))
    assert len(commands) > 20
    assert all(isinstance(c, PanelCommand | PanelGroup) for c in commands)


def test_the_builder_option_names_the_variable_the_builder_rules_read() -> None:
    # engine_opts spells the variable out (help must not import the builder store).
    out = _help(app, ["build"], COLUMNS="300", NO_COLOR="1")
    assert f"default: {BUILDER_ENV}, else" in out


def test_the_width_is_found_as_richs_console_finds_it() -> None:
    assert screen_width({"COLUMNS": "91"}) == 91
    assert screen_width({"TERMINAL_WIDTH": "70", "COLUMNS": "91"}) == 70
    assert screen_width({"COLUMNS": "wide", "TERM": "dumb"}) == 80


def _words(text: str) -> list[str]:
    return re.sub(r"[│╭╮╰╯─]", " ", text).split()


@pytest.mark.parametrize(
    "args",
    [[], ["build"], ["check"], ["bake"], ["prune"], ["builder"], ["builder", "create"], ["history", "ls"], ["engine"]],
)
def test_the_screen_says_what_typers_rich_help_says(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Wide enough that rich cuts nothing: the same words in the same order, only the layout differs.
    ours = _help(app, args, COLUMNS="200", NO_COLOR="1")
    monkeypatch.setattr(PanelCommand, "format_help", typer.core.TyperCommand.format_help)
    monkeypatch.setattr(PanelGroup, "format_help", typer.core.TyperGroup.format_help)
    monkeypatch.setattr(PanelCommand, "parse_args", typer.core.TyperCommand.parse_args)
    monkeypatch.setattr(PanelGroup, "parse_args", typer.core.TyperGroup.parse_args)
    theirs = _help(app, args, COLUMNS="200", NO_COLOR="1")
    assert "╭─" in theirs
    assert _words(ours) == _words(theirs)
