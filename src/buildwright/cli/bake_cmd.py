"""`buildwright bake`: build the targets of bake files over a builder's nodes (the farm).

The bake files are read as buildx reads them (`--print` prints the same JSON, `--list` the same
lists, neither needs an engine); `--placement` shows where each target x platform leg would go
and why without building; otherwise every target is built through the farm, the progress tags
each step with its target and node, and the table of where each leg ran follows.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from buildwright.cli.build_opts import (
    LoadOpt,
    MetadataFileOpt,
    NoCacheOpt,
    ProgressOpt,
    ProvenanceOpt,
    PullOpt,
    PushOpt,
    SbomOpt,
)
from buildwright.cli.engine_opts import BuilderOpt, DebugOpt, LogFormatOpt
from buildwright.cli.errors import run_guarded
from buildwright.cli.logsetup import LogFormat, configure_logging
from buildwright.errors import UsageError

if TYPE_CHECKING:
    from buildwright.bakerun import ResolvedBake

TargetsArg = Annotated[
    list[str] | None, typer.Argument(help="Targets or groups to build (default: the group or target `default`).")
]
BakeFileOpt = Annotated[
    list[str] | None,
    typer.Option("--file", "-f", help="A bake file (repeatable; default: buildx's file names in this folder)."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a target value (TARGET.KEY=VALUE, `*` for every target; repeatable)."),
]
PrintOpt = Annotated[bool, typer.Option("--print", help="Print the resolved definition as JSON, without building.")]
ListOpt = Annotated[
    str | None, typer.Option("--list", help="List the targets or variables (`targets`, `variables`[,format=json]).")
]
PlacementOpt = Annotated[
    bool, typer.Option("--placement", help="Show which node each leg would be built on, and why, without building.")
]


def bake(
    targets: TargetsArg = None,
    files: BakeFileOpt = None,
    overrides: SetOpt = None,
    print_: PrintOpt = False,
    list_: ListOpt = None,
    placement: PlacementOpt = False,
    builder: BuilderOpt = None,
    push: PushOpt = False,
    load: LoadOpt = False,
    no_cache: NoCacheOpt = False,
    pull: PullOpt = False,
    metadata_file: MetadataFileOpt = None,
    provenance: ProvenanceOpt = None,
    sbom: SbomOpt = None,
    progress: ProgressOpt = "auto",
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Build the targets of bake files (docker-bake.hcl, .json, compose.yaml) on a builder's nodes."""
    configure_logging(debug=debug, log_format=log_format)

    def work() -> None:
        from buildwright import bakerun

        if sum((print_, list_ is not None, placement)) > 1:
            raise UsageError("--print, --list and --placement are mutually exclusive")
        env = dict(os.environ)
        cwd = Path.cwd()
        if list_ is not None:
            typer.echo(bakerun.list_definition(files or (), list_, cwd=cwd, env=env), nl=False)
            return
        sets = bakerun.bake_overrides(
            overrides or (),
            push=push,
            load=load,
            no_cache=no_cache or None,
            pull=pull or None,
            sbom=sbom or "",
            provenance=provenance or "",
        )
        definition = bakerun.read_bake(files or (), targets or (), overrides=sets, cwd=cwd, env=env)
        if print_:
            typer.echo(definition.print_json(), nl=False)
            return
        if placement:
            typer.echo(bakerun.render_plan(bakerun.plan_bake(definition, builder, cwd=cwd, env=env)), nl=False)
            return
        _build(definition, builder, progress, metadata_file, cwd, env, debug=debug)

    raise typer.Exit(run_guarded(work, debug=debug))


def _build(
    definition: ResolvedBake,
    builder: str | None,
    progress: str,
    metadata_file: Path | None,
    cwd: Path,
    env: dict[str, str],
    *,
    debug: bool,
) -> None:
    from buildwright import bakerun
    from buildwright.cli.quiet import display_mode
    from buildwright.farm import render_summary
    from buildwright.progress import make_renderer

    display = display_mode(progress, False, sys.stderr, env)
    with make_renderer(display.mode, sys.stderr, detailed_warnings=debug) as renderer:
        result = bakerun.run_bake(
            definition, builder, cwd=cwd, env=env, on_event=renderer.handle, metadata_file=metadata_file
        )
    for warning in result.warnings:
        typer.echo(f"WARNING: {warning}", err=True)
    if display.mode != "quiet":
        typer.echo(render_summary(result), err=True, nl=False)
