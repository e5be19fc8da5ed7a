"""Engine options shared by every command that talks to an engine (one definition, many commands)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from buildwright.cli.logsetup import LogFormat

if TYPE_CHECKING:
    from buildwright.api import EngineOptions

# Panels of `--help`, shared by the commands.
ENGINE_PANEL = "Engine"
PROGRESS_PANEL = "Progress and logs"

BuilderOpt = Annotated[
    str | None,
    typer.Option(
        "--builder",
        # Read by the endpoint rules, not bound here, so errors can say where the name came from.
        # The variable is client.builders.BUILDER_ENV, spelt out so that help does not import the
        # builder store (a test holds the two equal).
        help=(
            "Builder to use: a `buildwright builder` name or a buildx remote/docker builder; default:"
            " BUILDWRIGHT_BUILDER, else the one `builder use` chose."
        ),
        rich_help_panel=ENGINE_PANEL,
    ),
]
TlsServerNameOpt = Annotated[
    str | None,
    typer.Option(
        "--tlsservername",
        help="Server name to verify in the server certificate, when it differs from the address's host.",
        rich_help_panel=ENGINE_PANEL,
    ),
]

AddrOpt = Annotated[
    str | None,
    typer.Option(
        "--addr",
        # BUILDKIT_HOST is read by the endpoint rules, not bound here, so errors can say where an
        # address came from.
        help=(
            "BuildKit daemon address (unix:///path or tcp://host:port); default: BUILDKIT_HOST, else"
            " DOCKER_HOST's dockerd."
        ),
        rich_help_panel=ENGINE_PANEL,
    ),
]
TlsCaOpt = Annotated[
    Path | None,
    typer.Option("--tlscacert", help="CA certificate for a tcp:// endpoint.", rich_help_panel=ENGINE_PANEL),
]
TlsCertOpt = Annotated[
    Path | None,
    typer.Option("--tlscert", help="Client certificate for a tcp:// endpoint.", rich_help_panel=ENGINE_PANEL),
]
TlsKeyOpt = Annotated[
    Path | None, typer.Option("--tlskey", help="Client key for a tcp:// endpoint.", rich_help_panel=ENGINE_PANEL)
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", "-D", help="Show debug logs and tracebacks.", rich_help_panel=PROGRESS_PANEL)
]
LogFormatOpt = Annotated[
    LogFormat,
    typer.Option(
        "--log-format", help="Format of logs on stderr: text or json (structured).", rich_help_panel=PROGRESS_PANEL
    ),
]


def engine_options(
    addr: str | None,
    tlscacert: Path | None,
    tlscert: Path | None,
    tlskey: Path | None,
    tlsservername: str | None,
    builder: str | None,
) -> EngineOptions:
    """The engine the connection options name (imported when a command runs, not for --help)."""
    from buildwright.api import EngineOptions

    return EngineOptions(
        addr=addr,
        tls_ca=tlscacert,
        tls_cert=tlscert,
        tls_key=tlskey,
        tls_server_name=tlsservername,
        builder=builder,
    )
