"""`buildwright graph`: the stage graph of a Dockerfile for a target, as text, DOT or SVG."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from buildwright.cli.build_flags import dockerfile_arg
from buildwright.cli.build_opts import BuildArgOpt, BuildContextOpt, ContextArg, FileOpt, TargetOpt
from buildwright.cli.engine_opts import DebugOpt, LogFormatOpt
from buildwright.cli.errors import run_guarded
from buildwright.cli.logsetup import LogFormat, configure_logging
from buildwright.errors import BuildConfigError


class GraphFormat(enum.StrEnum):
    TEXT = "text"
    DOT = "dot"
    SVG = "svg"


def graph(
    context: ContextArg,
    file: FileOpt = None,
    target: TargetOpt = None,
    build_arg: BuildArgOpt = None,
    build_context: BuildContextOpt = None,
    format: Annotated[
        GraphFormat, typer.Option("--format", help="text (levels and pruned stages), dot (Graphviz) or svg.")
    ] = GraphFormat.TEXT,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Show which stages a build runs, which run side by side, and which are pruned; no engine needed.

    Edges are FROM <stage>, COPY --from and RUN --mount from=; images read only by those are
    shown too. Stages on one level have no path between them, so the engine builds them in parallel.
    """
    configure_logging(debug=debug, log_format=log_format)

    def work() -> None:
        from buildwright import api  # imported when run, so that --help stays fast

        stage_graph = api.graph(
            context,
            dockerfile=dockerfile_arg(file),
            target=target,
            build_args=api.parse_build_args(build_arg or ()),
            build_contexts=api.parse_key_values(build_context or (), what="context"),
        )
        text = api.render_graph(stage_graph, format.value)
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        try:
            output.write_text(text)
        except OSError as exc:
            raise BuildConfigError(f"failed to write {output}: {exc.strerror}") from exc

    raise typer.Exit(run_guarded(work, debug=debug))
