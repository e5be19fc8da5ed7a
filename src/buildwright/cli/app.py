"""The `buildwright` command: the root app, and which of its commands a run loads.

Each command lives in its own module and is imported only when a run names it: `buildwright build
...` loads the build command's module and nothing of `bake`, `history` or `builder`. Typer turns
every command's signature into click parameters before it parses anything, so a run naming a
command gets an app of that command alone, and the root's own help gets stand-ins that carry
each command's help text and no parameters. Help screens are drawn by `help_panels` (no rich).
All errors are rendered in `cli/errors.py`, in one place.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from buildwright.cli.help_panels import PanelCommand, PanelGroup
from buildwright.cli.version_cmd import version_callback

# The root app's settings, shared by every app `app_for` makes.
_ROOT: dict[str, Any] = {
    "name": "buildwright",
    "help": "Build container images from Dockerfiles on a BuildKit engine.",
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    "cls": PanelGroup,
}

# The top-level commands in the order help lists them: name, defining module, attribute there (a
# function is a command, a `typer.Typer` a group of them). Typer lists commands before groups.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("build", "buildwright.cli.build_cmd", "build"),
    ("llb", "buildwright.cli.build_cmd", "llb"),
    ("check", "buildwright.cli.build_cmd", "check"),
    ("bake", "buildwright.cli.bake_cmd", "bake"),
    ("explain", "buildwright.cli.explain_cmd", "explain"),
    ("graph", "buildwright.cli.graph", "graph"),
    ("du", "buildwright.cli.cache_cmds", "du"),
    ("prune", "buildwright.cli.cache_cmds", "prune"),
    ("version", "buildwright.cli.version_cmd", "version"),
    ("engine", "buildwright.cli.engine_cmd", "engine_app"),
    ("builder", "buildwright.cli.builder_cmd", "builder_app"),
    ("history", "buildwright.cli.history_cmd", "history_app"),
)

if TYPE_CHECKING:
    # The whole app, every command registered (built on first use: see __getattr__).
    app: typer.Typer


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=version_callback, is_eager=True, help="Show buildwright's version."),
    ] = False,
) -> None:
    """Build container images from Dockerfiles on a BuildKit engine."""


def _new_root() -> typer.Typer:
    root = typer.Typer(**_ROOT)
    root.callback()(_root)
    return root


def _command(module: str, attribute: str) -> Any:
    return getattr(importlib.import_module(module), attribute)


def _add(root: typer.Typer, name: str, command: Any) -> None:
    if isinstance(command, typer.Typer):
        root.add_typer(command, name=name)
    else:
        root.command(name, cls=PanelCommand)(command)


def whole_app() -> typer.Typer:
    """The app with every command registered (each command's module imported)."""
    root = _new_root()
    for name, module, attribute in COMMANDS:
        _add(root, name, _command(module, attribute))
    return root


def _no_parameters() -> None:
    """A stand-in's callback: the root's help never runs a command."""


def _stand_ins() -> typer.Typer:
    """The root with each command as a stand-in: its name and help text, no parameters, which is
    all the root's help shows of it, without typer reading every command's signature."""
    root = _new_root()
    for name, module, attribute in COMMANDS:
        command = _command(module, attribute)
        if isinstance(command, typer.Typer):
            info = command.info
            help_text = info.help if isinstance(info.help, str) else None
            panel, hidden, deprecated = info.rich_help_panel, bool(info.hidden), bool(info.deprecated)
        else:
            help_text, panel, hidden, deprecated = inspect.getdoc(command), None, False, False
        root.command(
            name, cls=PanelCommand, help=help_text, rich_help_panel=panel, hidden=hidden, deprecated=deprecated
        )(_no_parameters)
    return root


def app_for(args: Sequence[str]) -> typer.Typer:
    """The app to run `args` with.

    A run naming a top-level command gets an app of that command alone; the root's help (no
    arguments, `--help`, `--version` first) gets the stand-ins; anything else (a misspelt
    command, say) the whole app, so it fails exactly as before. Each parses, helps and fails as
    the whole app does.
    """
    if not args or args[0] in ("--help", "--version"):
        return _stand_ins()
    for name, module, attribute in COMMANDS:
        if name == args[0]:
            single = _new_root()
            _add(single, name, _command(module, attribute))
            return single
    return whole_app()


def __getattr__(name: str) -> object:
    # `app`, the whole app, for callers that want every command (tests, embedding): built when
    # first asked for, so that importing this module registers nothing.
    if name == "app":
        built = whole_app()
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point: runs the command, then the process ends."""
    try:
        app_for(sys.argv[1:])()
    finally:
        # As the interpreter shuts down its collector would take apart, cycle by cycle, every
        # module, class and function the run loaded (~0.1 s of CPU after a build), memory that
        # the process's end returns at once. Frozen objects are left out of every collection.
        # Only objects that nothing but a cycle keeps go unfinalized: the CLI closes its files
        # with `with`, and the interpreter flushes stdout and stderr itself.
        gc.freeze()
