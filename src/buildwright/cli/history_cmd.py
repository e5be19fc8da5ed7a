"""`buildwright history ls|inspect|logs|rm`: the engine's build records, as `docker buildx history` shows them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from buildwright.cli.engine_opts import (
    AddrOpt,
    BuilderOpt,
    DebugOpt,
    LogFormatOpt,
    TlsCaOpt,
    TlsCertOpt,
    TlsKeyOpt,
    TlsServerNameOpt,
    engine_options,
)
from buildwright.cli.errors import run_guarded
from buildwright.cli.help_panels import PanelCommand, PanelGroup
from buildwright.cli.logsetup import LogFormat, configure_logging

history_app = typer.Typer(
    cls=PanelGroup,
    name="history",
    help="Inspect and manage the engine's build records (like `docker buildx history`).",
    no_args_is_help=True,
    add_completion=False,
)


@history_app.command("ls", cls=PanelCommand)
def ls(
    format: Annotated[str, typer.Option("--format", help="Format the output: table or json.")] = "table",
    no_trunc: Annotated[bool, typer.Option("--no-trunc", help="Don't truncate output.")] = False,
    filter: Annotated[
        list[str] | None, typer.Option("--filter", help='Provide filter values (e.g., "status=error").')
    ] = None,
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """List build records."""
    configure_logging(debug=debug, log_format=log_format)
    if format not in ("table", "json"):
        raise typer.BadParameter(f"unknown format {format!r} (table or json)", param_hint="--format")

    def work() -> None:
        from buildwright import history
        from buildwright.cli.history_render import ls_json, ls_table

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        found = history.records(filters=tuple(filter or ()), engine=engine)
        prefix = f"{builder or 'default'}/default"
        out = ls_json(found, prefix) if format == "json" else ls_table(found, truncate=not no_trunc)
        sys.stdout.write(out)
        sys.stdout.flush()

    raise typer.Exit(run_guarded(work, debug=debug))


@history_app.command("inspect", cls=PanelCommand)
def inspect(
    ref: Annotated[str, typer.Argument(help="Build id, ^N for the Nth before the newest; default the newest.")] = "",
    format: Annotated[str, typer.Option("--format", help="Format the output: pretty or json.")] = "pretty",
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Inspect a build record."""
    configure_logging(debug=debug, log_format=log_format)
    if format not in ("pretty", "json"):
        raise typer.BadParameter(f"unknown format {format!r} (pretty or json)", param_hint="--format")

    def work() -> None:
        from buildwright import history
        from buildwright.cli.history_render import inspect_json, inspect_text

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        found = history.inspect(ref, engine=engine)
        out = inspect_json(found) if format == "json" else inspect_text(found, show_ref=not ref, debug=debug)
        sys.stdout.write(out)
        sys.stdout.flush()

    raise typer.Exit(run_guarded(work, debug=debug))


@history_app.command("logs", cls=PanelCommand)
def logs(
    ref: Annotated[str, typer.Argument(help="Build id, ^N for the Nth before the newest; default the newest.")] = "",
    progress: Annotated[
        str, typer.Option("--progress", help="Set type of progress output (plain, rawjson, tty).")
    ] = "plain",
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Print the logs of a build record."""
    configure_logging(debug=debug, log_format=log_format)
    if progress not in ("plain", "rawjson", "tty", "auto"):
        raise typer.BadParameter(f"unknown progress mode {progress!r}", param_hint="--progress")

    def work() -> None:
        from buildwright import history
        from buildwright.progress import make_renderer

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        mode = "plain" if progress == "auto" else progress
        with make_renderer(mode, sys.stderr, error_logs=True) as renderer:
            history.logs(ref, renderer.handle, engine=engine)

    raise typer.Exit(run_guarded(work, debug=debug))


@history_app.command("rm", cls=PanelCommand)
def rm(
    refs: Annotated[list[str] | None, typer.Argument(help="Build ids to remove.", show_default=False)] = None,
    all: Annotated[bool, typer.Option("--all", help="Remove all build records.")] = False,
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Remove build records."""
    configure_logging(debug=debug, log_format=log_format)
    if not refs and not all:
        raise typer.BadParameter("rm requires at least one argument", param_hint="REF")
    if refs and all:
        raise typer.BadParameter("rm requires either --all or at least one argument", param_hint="REF")

    def work() -> None:
        from buildwright import history

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        history.remove(tuple(refs or ()), all=all, engine=engine)

    raise typer.Exit(run_guarded(work, debug=debug))
