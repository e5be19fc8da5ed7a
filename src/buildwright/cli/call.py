"""`build --call=NAME[,format=json]` (and its old name `--print`): evaluate a build another way."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from buildwright._values import valueclass
from buildwright.cli.errors import run_guarded

if TYPE_CHECKING:
    from buildwright.api import EngineOptions

_NAMES = ("build", "check", "outline", "targets")


@valueclass
class CallSpec:
    name: str
    format: str = ""


def parse_call(value: str) -> CallSpec:
    """buildx's `--call` grammar: a method name, then `format=json` or `ignorestatus=...`."""
    name, *options = [part.strip() for part in value.split(",")]
    name = name.lower() or "build"
    if name == "lint":
        name = "check"
    if name not in _NAMES:
        raise typer.BadParameter(f"invalid call {value!r}: expected one of {', '.join(_NAMES)}", param_hint="--call")
    fmt = ""
    for option in options:
        key, sep, text = option.partition("=")
        if not sep or key not in ("format", "ignorestatus"):
            raise typer.BadParameter(f"invalid call option {option!r}", param_hint="--call")
        if key == "format":
            if text not in ("json", "text", ""):
                raise typer.BadParameter(f"invalid call format {text!r}: expected json or text", param_hint="--call")
            fmt = text
    return CallSpec(name, fmt)


def run_targets(context: Path, dockerfile: Path | bytes | None, spec: CallSpec, *, debug: bool) -> int:
    def work() -> None:
        from buildwright import api

        listing = api.targets(context, dockerfile=dockerfile)
        sys.stdout.write(listing.json() + "\n" if spec.format == "json" else listing.text())
        sys.stdout.flush()

    return run_guarded(work, debug=debug)


def run_outline(
    context: str,
    dockerfile: Path | bytes | None,
    spec: CallSpec,
    *,
    target: str | None,
    build_args: tuple[str, ...],
    engine: EngineOptions,
    debug: bool,
) -> int:
    def work() -> None:
        from buildwright import api

        args = api.parse_build_args(build_args)
        result = api.outline(context, dockerfile=dockerfile, target=target, build_args=args, engine=engine)
        sys.stdout.write(result.json() + "\n" if spec.format == "json" else result.text())
        sys.stdout.flush()

    return run_guarded(work, debug=debug)
