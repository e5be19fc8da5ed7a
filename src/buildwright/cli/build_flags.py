"""The build command's flags sorted into the API's option values, in one place.

The parameters of `buildwright build` are named after the option fields they set (`--build-arg`
is `build_args`, `--tag` is `tags`), so a flag is declared once, by its typer annotation, and
reaches `BuildOptions`/`OutputOptions` here, by name; only the flags whose text needs parsing
(`K=V` lists) are named below.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from buildwright.options import BuildOptions, OutputOptions


def options_from_flags(
    flags: Mapping[str, Any], dockerfile: str | Path | bytes | None
) -> tuple[BuildOptions, OutputOptions]:
    """The option values for the given flags (a flag left unset keeps the option's default)."""
    # Imported when a build runs, so that --help stays fast.
    from dataclasses import fields

    from buildwright.api import parse_build_args, parse_key_values
    from buildwright.options import BuildOptions, OutputOptions, split_keywords

    names = {f.name for f in fields(BuildOptions)} | {f.name for f in fields(OutputOptions)}
    values = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in flags.items()
        if name in names and value is not None
    }
    values["dockerfile"] = dockerfile
    values["build_args"] = parse_build_args(flags.get("build_args") or ())
    values["labels"] = parse_key_values(flags.get("labels") or (), what="label")
    values["build_contexts"] = parse_key_values(flags.get("build_contexts") or (), what="context")
    return split_keywords(values)


def dockerfile_arg(file: Path | None) -> Path | bytes | None:
    """`-f -` means the Dockerfile comes on stdin, as with buildx."""
    if file is not None and str(file) == "-":
        return sys.stdin.buffer.read()
    return file
