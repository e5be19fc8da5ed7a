"""Engine options shared by every command that talks to an engine (one definition, many commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buildwright.cli.logsetup import LogFormat
from buildwright.client.builders import BUILDER_ENV

BuilderOpt = Annotated[
    str | None,
    typer.Option(
        "--builder",
        # Read by the endpoint rules, not bound here, so errors can say where the name came from.
        help=(
            f"Builder to use: a `buildwright builder` name or a buildx remote/docker builder; default: {BUILDER_ENV},"
            " else the one `builder use` chose."
        ),
        rich_help_panel="Engine",
    ),
]
TlsServerNameOpt = Annotated[
    str | None,
    typer.Option(
        "--tlsservername",
        help="Server name to verify in the server certificate, when it differs from the address's host.",
        rich_help_panel="Engine",
    ),
]

AddrOpt = Annotated[
    str | None,
    typer.Option("--addr", help="BuildKit daemon address; default: BUILDKIT_HOST, else DOCKER_HOST's dockerd."),
]
TlsCaOpt = Annotated[Path | None, typer.Option("--tlscacert", help="CA certificate for a tcp:// endpoint.")]
TlsCertOpt = Annotated[Path | None, typer.Option("--tlscert", help="Client certificate for a tcp:// endpoint.")]
TlsKeyOpt = Annotated[Path | None, typer.Option("--tlskey", help="Client key for a tcp:// endpoint.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show debug logs and tracebacks.")]
LogFormatOpt = Annotated[
    LogFormat, typer.Option("--log-format", help="Format of logs on stderr: text or json (structured).")
]
