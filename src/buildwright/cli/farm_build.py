"""`build --builder FARM`: a builder with several nodes builds through the farm.

Each platform of the build is one leg, placed on a node that can run it (cache first, then load);
the placement is a `[farm]` step of the progress output and the table of where each leg ran
follows the build. A builder of one node, `--addr`, and a context on stdin keep the one-engine path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from buildwright.client.builders import Builder, chosen_builder
from buildwright.client.remote_context import is_remote_url
from buildwright.errors import UsageError

if TYPE_CHECKING:
    from buildwright.api import EventCallback
    from buildwright.farm import FarmResult
    from buildwright.options import BuildOptions, OutputOptions

# The name of the one build in the farm's table and progress when neither --target nor a
# local context folder names it.
BUILD_NAME = "build"


def farm_for(addr: str | None, builder: str | None, context: object, env: Mapping[str, str]) -> Builder | None:
    """The multi-node builder this build runs on, or None for the one-engine path."""
    if addr or not isinstance(context, (str, Path)):
        return None
    found = chosen_builder(builder, env)
    if found is None or len(found[0].nodes) < 2:
        return None
    return found[0]


def build_on_farm(
    builder: Builder,
    context: object,
    options: BuildOptions,
    output: OutputOptions,
    *,
    tls_given: bool,
    on_event: EventCallback | None,
) -> FarmResult:
    """Run the build on the farm, as one named build (see `build_name`); `context` is
    the one `farm_for` accepted (a directory or a remote context, never a stream).

    Raises:
        UsageError: TLS flags with a builder (its nodes carry their own).
    """
    from buildwright.farm import NamedBuild, build_all

    if tls_given:
        raise UsageError("TLS options go with --addr or BUILDKIT_HOST; a builder's nodes carry their own")
    keywords = {f.name: getattr(value, f.name) for value in (options, output) for f in fields(value)}
    build = NamedBuild(build_name(context, options.target), {"context": context, **keywords})
    return build_all(builder, [build], on_event=on_event)


def build_name(context: object, target: str | None) -> str:
    """What the table and progress call the build: its --target, else its context folder's name."""
    if target:
        return target
    if isinstance(context, (str, Path)) and not is_remote_url(str(context)):
        return Path(context).resolve().name or BUILD_NAME
    return BUILD_NAME


def report(result: FarmResult, out: TextIO, *, table: bool) -> str | None:
    """Warnings (nodes skipped, legs moved) and, unless quiet, the table; returns the image id."""
    from buildwright.farm import render_summary

    for warning in result.warnings:
        out.write(f"WARNING: {warning}\n")
    if table:
        out.write(render_summary(result))
    return result.targets[0].image_id
