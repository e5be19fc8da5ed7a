"""The `buildwright` command: options become one typed request, the API does the work.

All errors are rendered here, in one place: a BuildwrightError is a message on stderr and exit 1,
a usage error exit 2, Ctrl-C exit 130, anything else "internal error" (a traceback only with --debug).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from buildwright import api
from buildwright.cli.errors import run_guarded
from buildwright.cli.logsetup import LogFormat, configure_logging
from buildwright.progress import make_renderer, resolve_mode

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
    typer.Option(
        "--progress",
        help=(
            "Type of progress output: auto (tty on a terminal, else plain), tty, plain, quiet (only the image id)"
            " or rawjson. With auto, BUILDKIT_PROGRESS decides."
        ),
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
    ),
]
TlsCaOpt = Annotated[Path | None, typer.Option("--tlscacert", help="CA certificate for a tcp:// endpoint.")]
TlsCertOpt = Annotated[Path | None, typer.Option("--tlscert", help="Client certificate for a tcp:// endpoint.")]
TlsKeyOpt = Annotated[Path | None, typer.Option("--tlskey", help="Client key for a tcp:// endpoint.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show debug logs and tracebacks.")]
BuildContextOpt = Annotated[
    list[str] | None,
    typer.Option("--build-context", help="Additional build contexts (name=dir or name=docker-image://ref)."),
]
PlatformOpt = Annotated[
    str | None,
    typer.Option("--platform", help="Set the target platform (os/arch\\[/variant]).", envvar="DOCKER_DEFAULT_PLATFORM"),
]
LabelOpt = Annotated[list[str] | None, typer.Option("--label", help="Set metadata for an image (KEY=VALUE).")]
NoCacheFilterOpt = Annotated[
    list[str] | None, typer.Option("--no-cache-filter", help="Do not cache the named stages (repeatable).")
]
SecretOpt = Annotated[
    list[str] | None,
    typer.Option("--secret", help="Secret to expose to the build (id=ID[,src=PATH|,env=VAR]); repeatable."),
]
SSHOpt = Annotated[
    list[str] | None,
    typer.Option("--ssh", help="SSH agent socket to forward (default or ID[=SOCKET]); repeatable."),
]
AllowOpt = Annotated[
    list[str] | None, typer.Option("--allow", help="Allow an extra privileged entitlement (network.host).")
]
LogFormatOpt = Annotated[
    LogFormat, typer.Option("--log-format", help="Format of logs on stderr: text or json (structured).")
]


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
    log_format: LogFormatOpt = LogFormat.TEXT,
    build_context: BuildContextOpt = None,
    platform: PlatformOpt = None,
    label: LabelOpt = None,
    no_cache_filter: NoCacheFilterOpt = None,
    secret: SecretOpt = None,
    ssh: SSHOpt = None,
    allow: AllowOpt = None,
) -> None:
    """Build an image from a Dockerfile."""
    configure_logging(debug=debug, log_format=log_format)

    def work() -> None:
        engine = api.EngineOptions(addr=addr, tls_ca=tlscacert, tls_cert=tlscert, tls_key=tlskey)
        mode = resolve_mode(progress, sys.stderr, os.environ)
        with make_renderer(mode, sys.stderr, detailed_warnings=debug) as renderer:
            result = api.build(
                context,
                dockerfile=file,
                target=target,
                tags=tuple(tag or ()),
                build_args=api.parse_build_args(build_arg or ()),
                no_cache=no_cache,
                no_cache_filter=tuple(no_cache_filter or ()),
                platform=platform or None,
                labels=api.parse_key_values(label or (), what="label"),
                build_contexts=api.parse_key_values(build_context or (), what="context"),
                secrets=tuple(secret or ()),
                ssh=tuple(ssh or ()),
                allow=tuple(allow or ()),
                engine=engine,
                on_event=renderer.handle,
            )
        if result.image_id and mode == "quiet":
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
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Print the LLB definition of a Dockerfile as JSON, without building it."""
    configure_logging(debug=debug, log_format=log_format)

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


@app.command()
def check(
    context: ContextArg,
    file: FileOpt = None,
    target: TargetOpt = None,
    build_arg: BuildArgOpt = None,
    platform: PlatformOpt = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not contact the engine: base images count as empty.")
    ] = False,
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Run the build checks on a Dockerfile without building it (like `docker buildx build --check`).

    Exits 1 when a check reports something or the Dockerfile would not build.
    """
    configure_logging(debug=debug, log_format=log_format)
    status = 0

    def work() -> None:
        nonlocal status
        engine = api.EngineOptions(addr=addr, tls_ca=tlscacert, tls_cert=tlscert, tls_key=tlskey)
        result = api.check(
            context,
            dockerfile=file,
            target=target,
            build_args=api.parse_build_args(build_arg or ()),
            platform=platform,
            engine=engine,
            offline=offline,
        )
        sys.stdout.write(result.report())
        sys.stdout.flush()
        if result.error is not None:
            # buildx prints a check's error text, which ends with a newline, as one more line.
            sys.stderr.write("ERROR: " + result.error_report() + ("" if result.request_error else "\n"))
        status = result.exit_code

    raise typer.Exit(run_guarded(work, debug=debug) or status)


def main() -> None:
    """Console-script entry point."""
    app()
