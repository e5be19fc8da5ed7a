"""The `buildwright` command: options become one typed request, the API does the work.

All errors are rendered here, in one place: a BuildwrightError is a message on stderr and exit 1,
a usage error exit 2, Ctrl-C exit 130, anything else "internal error" (a traceback only with --debug).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from buildwright import api
from buildwright.cli.errors import run_guarded
from buildwright.cli.logsetup import configure_logging
from buildwright.progress import make_renderer

app = typer.Typer(
    name="buildwright",
    help="Build container images from Dockerfiles on a BuildKit engine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

ContextArg = Annotated[Path, typer.Argument(help="Build context directory.", show_default=False)]
FileOpt = Annotated[
    Path | None, typer.Option("--file", "-f", help="Name of the Dockerfile (default: PATH/Dockerfile).")
]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", "-t", help="Name and optionally a tag (name:tag).")]
TargetOpt = Annotated[str | None, typer.Option("--target", help="Set the target build stage to build.")]
BuildArgOpt = Annotated[list[str] | None, typer.Option("--build-arg", help="Set build-time variables (KEY=VALUE).")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not use cache when building the image.")]
ProgressOpt = Annotated[
    str,
    typer.Option("--progress", help="Type of progress output (auto, plain, quiet).", envvar="BUILDKIT_PROGRESS"),
]
AddrOpt = Annotated[
    str | None,
    typer.Option(
        "--addr",
        help="BuildKit daemon address (unix:///path or tcp://host:port); default: DOCKER_HOST's dockerd.",
        envvar="BUILDKIT_HOST",
    ),
]
TlsCaOpt = Annotated[Path | None, typer.Option("--tlscacert", help="CA certificate for a tcp:// endpoint.")]
TlsCertOpt = Annotated[Path | None, typer.Option("--tlscert", help="Client certificate for a tcp:// endpoint.")]
TlsKeyOpt = Annotated[Path | None, typer.Option("--tlskey", help="Client key for a tcp:// endpoint.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show debug logs and tracebacks.")]


@app.command()
def build(
    context: ContextArg,
    file: FileOpt = None,
    tag: TagOpt = None,
    target: TargetOpt = None,
    build_arg: BuildArgOpt = None,
    no_cache: NoCacheOpt = False,
    progress: ProgressOpt = "auto",
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Build an image from a Dockerfile."""
    configure_logging(debug=debug)

    def work() -> None:
        engine = api.EngineOptions(addr=addr, tls_ca=tlscacert, tls_cert=tlscert, tls_key=tlskey)
        with make_renderer(progress, sys.stderr) as renderer:
            result = api.build(
                context,
                dockerfile=file,
                target=target,
                tags=tuple(tag or ()),
                build_args=api.parse_build_args(build_arg or ()),
                no_cache=no_cache,
                engine=engine,
                on_event=renderer.handle,
            )
        if result.image_id and progress == "quiet":
            typer.echo(result.image_id)

    raise typer.Exit(run_guarded(work, debug=debug))


@app.command()
def llb(
    context: ContextArg,
    file: FileOpt = None,
    target: TargetOpt = None,
    build_arg: BuildArgOpt = None,
    no_cache: NoCacheOpt = False,
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Print the LLB definition of a Dockerfile as JSON, without building it."""
    configure_logging(debug=debug)

    def work() -> None:
        engine = api.EngineOptions(addr=addr, tls_ca=tlscacert, tls_cert=tlscert, tls_key=tlskey)
        compiled = api.compile(
            context,
            dockerfile=file,
            target=target,
            build_args=api.parse_build_args(build_arg or ()),
            no_cache=no_cache,
            engine=engine,
        )
        typer.echo(compiled.definition.to_json())

    raise typer.Exit(run_guarded(work, debug=debug))


def main() -> None:
    """Console-script entry point."""
    app()
