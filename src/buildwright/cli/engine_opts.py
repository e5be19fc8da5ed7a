"""Engine options shared by every command that talks to an engine (one definition, many commands)."""

from __future__ import annotations

from typing import Annotated

import typer

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
