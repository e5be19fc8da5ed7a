"""`buildwright version` and the root's `--version`: buildwright's version, and the engine's."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import buildwright
from buildwright.cli.engine_opts import (
    AddrOpt,
    BuilderOpt,
    DebugOpt,
    TlsCaOpt,
    TlsCertOpt,
    TlsKeyOpt,
    TlsServerNameOpt,
    engine_options,
)
from buildwright.cli.errors import run_guarded
from buildwright.errors import EngineUnavailableError


def version(
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    client_only: Annotated[bool, typer.Option("--client", help="Only buildwright's version; no engine.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Show buildwright's version and the engine's BuildKit version."""

    typer.echo(f"buildwright {buildwright.__version__}")
    if client_only:
        return

    def work() -> None:
        from buildwright.client.nodeinfo import first_reachable

        endpoints = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder).endpoints()
        status = first_reachable(endpoints, detailed=True)
        if not status.reachable:
            raise EngineUnavailableError(f"cannot use the BuildKit engine at {status.endpoint}: {status.error}")
        revision = f" {status.revision}" if status.revision else ""
        typer.echo(f"{status.endpoint}: github.com/moby/buildkit {status.version or 'unknown'}{revision}")

    code = run_guarded(work, debug=debug)
    sys.stdout.flush()
    raise typer.Exit(code)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"buildwright {buildwright.__version__}")
        raise typer.Exit(0)
