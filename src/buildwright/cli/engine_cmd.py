"""`buildwright engine up|down|status|env`: the private engine of scripts/engine.sh, from the CLI.

The script is found, in order: `BUILDWRIGHT_ENGINE_SCRIPT`; the source checkout the package runs
from (`scripts/engine.sh` beside `src/`, as in an editable install); the copy a wheel installs as
data files (`<prefix>/share/buildwright/engine.sh` with its `lib/`). Its exit code is passed on
(`status` exits 3 when the engine is stopped). The engine's own variables
(BUILDWRIGHT_ENGINE_SOCK, _STATE, _RUN, _BRIDGE, _NAMESPACE) reach it unchanged, so a second
engine is driven the same way. `engine buildkitd up|down|status|env` drives the script's standalone
buildkitds (exit 4 from `up` when no buildkitd could be compiled on this machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

import buildwright
from buildwright.cli.help_panels import PanelCommand, PanelGroup
from buildwright.errors import BuildConfigError

SCRIPT_ENV = "BUILDWRIGHT_ENGINE_SCRIPT"
EXIT_ERROR = 1

engine_app = typer.Typer(
    cls=PanelGroup,
    name="engine",
    help="Manage the private BuildKit engine (a dockerd with embedded BuildKit) that tests and the demo use.",
    no_args_is_help=True,
    add_completion=False,
)


def find_engine_script(env: Mapping[str, str] | None = None, prefix: str | None = None) -> Path:
    """The engine script to run (see the module docstring for the search order).

    Raises:
        BuildConfigError: no script was found; the message lists where it looked.
    """
    source = os.environ if env is None else env
    candidates: list[Path] = []
    explicit = source.get(SCRIPT_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise BuildConfigError(f"{SCRIPT_ENV}={explicit}: no such file")
        return path
    # src/buildwright/__init__.py -> the checkout root two levels above the package.
    candidates.append(Path(buildwright.__file__).resolve().parents[2] / "scripts" / "engine.sh")
    candidates.append(Path(prefix if prefix is not None else sys.prefix) / "share" / "buildwright" / "engine.sh")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise BuildConfigError(
        f"the engine script was not found (looked at {tried}); set {SCRIPT_ENV} to the path of scripts/engine.sh"
    )


def _run(action: str, *args: str) -> None:
    try:
        script = find_engine_script()
        bash = shutil.which("bash")
        if bash is None:
            raise BuildConfigError("the engine script needs bash, which is not on PATH")
    except BuildConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_ERROR) from exc
    sys.stdout.flush()
    try:
        completed = subprocess.run([bash, str(script), action, *args], check=False)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise typer.Exit(completed.returncode)


@engine_app.command(cls=PanelCommand)
def up() -> None:
    """Start the engine (installing what is missing, as root); a no-op when it runs."""
    _run("up")


@engine_app.command(cls=PanelCommand)
def down() -> None:
    """Stop the engine; its images and build cache stay."""
    _run("down")


@engine_app.command(cls=PanelCommand)
def status() -> None:
    """Whether the engine runs, its versions and socket (exit 3 when stopped)."""
    _run("status")


@engine_app.command(cls=PanelCommand)
def env() -> None:
    """Print the `export` lines that point docker and docker buildx at the engine."""
    _run("env")


buildkitd_app = typer.Typer(
    cls=PanelGroup,
    name="buildkitd",
    help="Manage private standalone buildkitds (compiled once from Debian's packaged BuildKit source).",
    no_args_is_help=True,
    add_completion=False,
)
engine_app.add_typer(buildkitd_app, name="buildkitd")

_Name = Annotated[str, typer.Argument(help="The daemon's name (its folder under /run/buildwright-buildkitd).")]


@buildkitd_app.command("up", cls=PanelCommand)
def buildkitd_up(
    name: _Name,
    tcp: Annotated[
        int | None, typer.Option("--tcp", help="Also listen on 127.0.0.1:PORT with mutual TLS.", min=1, max=65535)
    ] = None,
) -> None:
    """Start buildkitd NAME (compiling it the first time); a no-op when it runs."""
    _run("buildkitd", "up", name, *(["--tcp", str(tcp)] if tcp is not None else []))


@buildkitd_app.command("down", cls=PanelCommand)
def buildkitd_down(name: _Name) -> None:
    """Stop buildkitd NAME by its pid and unmount what it left; its root (the cache) stays."""
    _run("buildkitd", "down", name)


@buildkitd_app.command("status", cls=PanelCommand)
def buildkitd_status(
    name: Annotated[str | None, typer.Argument(help="One daemon (exit 3 when stopped); all when omitted.")] = None,
) -> None:
    """The cached binaries, each daemon and its listeners, and the base image registry."""
    _run("buildkitd", "status", *([name] if name else []))


@buildkitd_app.command("env", cls=PanelCommand)
def buildkitd_env(name: _Name) -> None:
    """Print the `export` lines for buildkitd NAME (BUILDKIT_HOST, its TCP address and TLS folder)."""
    _run("buildkitd", "env", name)
