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

from buildwright.cli import builder_cmd, cache_cmds, engine_cmd, history_cmd
from buildwright.cli import graph as graph_cmd
from buildwright.cli.call import parse_call, run_outline, run_targets
from buildwright.cli.engine_opts import (
    PROGRESS_PANEL,
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
from buildwright.cli.logsetup import LogFormat, configure_logging
from buildwright.cli.quiet import display_mode
from buildwright.cli.stdin_context import build_inputs

app = typer.Typer(
    name="buildwright",
    help="Build container images from Dockerfiles on a BuildKit engine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# `build --help` groups its options as buildx's reference page does; basic ones stay under Options.
_OUTPUT_PANEL = "Output"
_CACHE_PANEL = "Cache"
_RUN_PANEL = "RUN environment"

ContextArg = Annotated[Path, typer.Argument(help="Build context directory.", show_default=False)]
# A string, not a Path: a URL's `//` must survive, and `-` means stdin.
BuildContextArg = Annotated[
    str,
    typer.Argument(
        help="Build context: a directory, a git URL (URL#ref:subdir), an http(s) URL of a tarball or Dockerfile,"
        " or - (a tar archive or a Dockerfile on stdin).",
        show_default=False,
    ),
]
FileOpt = Annotated[
    Path | None,
    typer.Option("--file", "-f", help="Name of the Dockerfile (default: PATH/Dockerfile; - reads it from stdin)."),
]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", "-t", help="Name and optionally a tag (name:tag).")]
TargetOpt = Annotated[str | None, typer.Option("--target", help="Set the target build stage to build.")]
BuildArgOpt = Annotated[list[str] | None, typer.Option("--build-arg", help="Set build-time variables (KEY=VALUE).")]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Do not use cache when building the image.", rich_help_panel=_CACHE_PANEL)
]
ProgressOpt = Annotated[
    str,
    typer.Option(
        "--progress",
        help=(
            "Type of progress output: auto (tty on a terminal, else plain), tty, plain, quiet (only the image id,"
            " as -q), none (nothing) or rawjson. With auto, BUILDKIT_PROGRESS decides."
        ),
        rich_help_panel=PROGRESS_PANEL,
    ),
]
BuildContextOpt = Annotated[
    list[str] | None,
    typer.Option("--build-context", help="Additional build contexts (name=dir or name=docker-image://ref)."),
]
PlatformOpt = Annotated[
    str | None,
    typer.Option("--platform", help="Set the target platform (os/arch\\[/variant]).", envvar="DOCKER_DEFAULT_PLATFORM"),
]
PlatformsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--platform",
        help=(
            "Set target platform(s) for the build (os/arch\\[/variant]); a comma-separated list or repeated"
            " makes a multi-platform image."
        ),
        envvar="DOCKER_DEFAULT_PLATFORM",
    ),
]
LabelOpt = Annotated[list[str] | None, typer.Option("--label", help="Set metadata for an image (KEY=VALUE).")]
NoCacheFilterOpt = Annotated[
    list[str] | None,
    typer.Option("--no-cache-filter", help="Do not cache the named stages (repeatable).", rich_help_panel=_CACHE_PANEL),
]
SecretOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--secret",
        help="Secret to expose to the build (id=ID[,src=PATH|,env=VAR]); repeatable.",
        rich_help_panel=_RUN_PANEL,
    ),
]
SSHOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--ssh", help="SSH agent socket to forward (default or ID[=SOCKET]); repeatable.", rich_help_panel=_RUN_PANEL
    ),
]
AllowOpt = Annotated[
    list[str] | None,
    typer.Option("--allow", help="Allow an extra privileged entitlement (network.host).", rich_help_panel=_RUN_PANEL),
]
PushOpt = Annotated[
    bool,
    typer.Option("--push", help='Shorthand for "--output=type=registry,unpack=false".', rich_help_panel=_OUTPUT_PANEL),
]
PullOpt = Annotated[
    bool, typer.Option("--pull", help="Always attempt to pull all referenced images.", rich_help_panel=_CACHE_PANEL)
]
OutputOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--output",
        "-o",
        help=(
            'Output destination (format: "type=local,dest=path"); PATH is a local directory, "-" a tar on'
            " stdout; types local, tar, oci, docker, image, registry, cacheonly. Repeatable."
        ),
        rich_help_panel=_OUTPUT_PANEL,
    ),
]
AnnotationOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--annotation",
        help=(
            "Add annotation to the image ([TYPE[,TYPE...][PLATFORM]:]KEY=VALUE; types manifest, manifest-descriptor,"
            " index, index-descriptor). Repeatable."
        ),
        rich_help_panel=_OUTPUT_PANEL,
    ),
]
CacheFromOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--cache-from",
        help='External cache sources (e.g. "user/app:cache", "type=local,src=path/to/dir"); repeatable.',
        rich_help_panel=_CACHE_PANEL,
    ),
]
CallOpt = Annotated[
    str | None,
    typer.Option(
        "--call",
        help='Set method for evaluating build ("check", "outline", "targets"; ",format=json" for JSON).',
    ),
]
PrintOpt = Annotated[str | None, typer.Option("--print", hidden=True, help="Old name of --call.")]
AttestOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--attest",
        help='Attestation parameters (format: "type=sbom,generator=image"; type=provenance,mode=max). Repeatable.',
        rich_help_panel=_OUTPUT_PANEL,
    ),
]
ProvenanceOpt = Annotated[
    str | None,
    typer.Option(
        "--provenance",
        help='Shorthand for "--attest=type=provenance" (true, false, mode=min, mode=max).',
        rich_help_panel=_OUTPUT_PANEL,
    ),
]
SbomOpt = Annotated[
    str | None,
    typer.Option("--sbom", help='Shorthand for "--attest=type=sbom".', rich_help_panel=_OUTPUT_PANEL),
]
CacheToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--cache-to",
        help=(
            'Cache export destinations (e.g. "user/app:cache", "type=local,dest=path/to/dir,mode=max",'
            ' "type=inline"); repeatable.'
        ),
        rich_help_panel=_CACHE_PANEL,
    ),
]
LoadOpt = Annotated[
    bool, typer.Option("--load", help='Shorthand for "--output=type=docker".', rich_help_panel=_OUTPUT_PANEL)
]
IidFileOpt = Annotated[
    Path | None, typer.Option("--iidfile", help="Write the image ID to a file.", rich_help_panel=_OUTPUT_PANEL)
]
MetadataFileOpt = Annotated[
    Path | None,
    typer.Option("--metadata-file", help="Write build result metadata to a file.", rich_help_panel=_OUTPUT_PANEL),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Suppress the build output and print image ID on success.",
        rich_help_panel=PROGRESS_PANEL,
    ),
]
NetworkOpt = Annotated[
    str,
    typer.Option(
        "--network",
        help='Set the networking mode for the "RUN" instructions during build (default, none, host).',
        rich_help_panel=_RUN_PANEL,
    ),
]
AddHostOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--add-host",
        help=(
            'Add a custom host-to-IP mapping (format: "host:ip"; the ip may be host-gateway). Repeatable, or'
            " comma-separated."
        ),
        rich_help_panel=_RUN_PANEL,
    ),
]
ShmSizeOpt = Annotated[
    str | None,
    typer.Option(
        "--shm-size", help='Shared memory size for build containers (bytes, or e.g. "64m").', rich_help_panel=_RUN_PANEL
    ),
]
UlimitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--ulimit", help='Ulimit options (format: "nofile=1024:2048"). Repeatable.', rich_help_panel=_RUN_PANEL
    ),
]
CgroupParentOpt = Annotated[
    str | None,
    typer.Option(
        "--cgroup-parent",
        help='Set the parent cgroup for the "RUN" instructions during build.',
        rich_help_panel=_RUN_PANEL,
    ),
]


# `docker build` options of the classic builder that BuildKit has no use for: buildx accepts and
# ignores them, so scripts written for `docker build` keep working. Hidden from --help, as in buildx.
LegacyRmOpt = Annotated[bool, typer.Option("--rm/--no-rm", hidden=True)]
LegacyForceRmOpt = Annotated[bool, typer.Option("--force-rm", hidden=True)]
LegacyCompressOpt = Annotated[bool, typer.Option("--compress", hidden=True)]


@app.command()
def build(
    context: BuildContextArg,
    file: FileOpt = None,
    tag: TagOpt = None,
    target: TargetOpt = None,
    build_arg: BuildArgOpt = None,
    build_context: BuildContextOpt = None,
    platform: PlatformsOpt = None,
    label: LabelOpt = None,
    output: OutputOpt = None,
    annotation: AnnotationOpt = None,
    load: LoadOpt = False,
    push: PushOpt = False,
    iidfile: IidFileOpt = None,
    metadata_file: MetadataFileOpt = None,
    no_cache: NoCacheOpt = False,
    no_cache_filter: NoCacheFilterOpt = None,
    pull: PullOpt = False,
    cache_from: CacheFromOpt = None,
    cache_to: CacheToOpt = None,
    call: CallOpt = None,
    print_: PrintOpt = None,
    attest: AttestOpt = None,
    provenance: ProvenanceOpt = None,
    sbom: SbomOpt = None,
    secret: SecretOpt = None,
    ssh: SSHOpt = None,
    allow: AllowOpt = None,
    network: NetworkOpt = "default",
    add_host: AddHostOpt = None,
    shm_size: ShmSizeOpt = None,
    ulimit: UlimitOpt = None,
    cgroup_parent: CgroupParentOpt = None,
    progress: ProgressOpt = "auto",
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    legacy_rm: LegacyRmOpt = True,
    legacy_force_rm: LegacyForceRmOpt = False,
    legacy_compress: LegacyCompressOpt = False,
) -> None:
    """Build an image from a Dockerfile."""
    del legacy_rm, legacy_force_rm, legacy_compress  # accepted for `docker build` scripts; BuildKit has no use
    configure_logging(debug=debug, log_format=log_format)
    requested = call if call is not None else print_
    method = parse_call(requested) if requested else None
    if method is not None and method.name == "targets":
        if quiet:
            sys.stdout.write("\n")  # buildx's quiet mode prints its (empty) image id line first
        raise typer.Exit(run_targets(Path(context), _dockerfile_arg(file), method, debug=debug))
    if method is not None and method.name == "check":
        check(
            Path(context),
            file=file,
            target=target,
            build_arg=build_arg,
            addr=addr,
            tlscacert=tlscacert,
            tlscert=tlscert,
            tlskey=tlskey,
            tlsservername=tlsservername,
            builder=builder,
            debug=debug,
            log_format=log_format,
            json_format=method.format == "json",
        )
    if method is not None and method.name == "outline":
        raise typer.Exit(
            run_outline(
                context,
                _dockerfile_arg(file),
                method,
                target=target,
                build_args=tuple(build_arg or ()),
                engine=engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder),
                debug=debug,
            )
        )

    def work() -> None:
        # Commands import what they use when they run, so that --help and other commands stay fast.
        from buildwright import api
        from buildwright.progress import make_renderer

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        display = display_mode(progress, quiet, sys.stderr, os.environ)
        with (
            build_inputs(context, file, sys.stdin.buffer) as (source, dockerfile),
            make_renderer(display.mode, sys.stderr, detailed_warnings=debug) as renderer,
        ):
            result = api.build(
                source,
                dockerfile=dockerfile,
                target=target,
                tags=tuple(tag or ()),
                build_args=api.parse_build_args(build_arg or ()),
                no_cache=no_cache,
                no_cache_filter=tuple(no_cache_filter or ()),
                platform=tuple(platform or ()),
                labels=api.parse_key_values(label or (), what="label"),
                build_contexts=api.parse_key_values(build_context or (), what="context"),
                secrets=tuple(secret or ()),
                ssh=tuple(ssh or ()),
                allow=tuple(allow or ()),
                push=push,
                pull=pull,
                outputs=tuple(output or ()),
                annotations=tuple(annotation or ()),
                load=load,
                iidfile=iidfile,
                metadata_file=metadata_file,
                network=network,
                add_hosts=tuple(add_host or ()),
                shm_size=shm_size,
                ulimits=tuple(ulimit or ()),
                cgroup_parent=cgroup_parent,
                cache_from=tuple(cache_from or ()),
                cache_to=tuple(cache_to or ()),
                attest=tuple(attest or ()),
                provenance=provenance or "",
                sbom=sbom or "",
                engine=engine,
                on_event=renderer.handle,
            )
        for warning in result.warnings:
            typer.echo(f"WARNING: {warning}", err=True)
        # Nothing follows an output written to stdout (buildx prints no image id after the tar).
        to_stdout = any(_writes_stdout(spec) for spec in output or ())
        if result.image_id and display.print_image_id and not to_stdout:
            typer.echo(result.image_id)

    raise typer.Exit(run_guarded(work, debug=debug))


@app.command()
def llb(
    context: BuildContextArg,
    file: FileOpt = None,
    target: TargetOpt = None,
    build_arg: BuildArgOpt = None,
    no_cache: NoCacheOpt = False,
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Print the LLB definition of a Dockerfile as JSON, without building it."""
    configure_logging(debug=debug, log_format=log_format)

    def work() -> None:
        from buildwright import api

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        compiled = api.compile(
            context,
            dockerfile=_dockerfile_arg(file),
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
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
    json_format: Annotated[
        bool, typer.Option("--json", help="Print the result as buildx's --call=check,format=json does.")
    ] = False,
) -> None:
    """Run the build checks on a Dockerfile without building it (like `docker buildx build --check`).

    Exits 1 when a check reports something or the Dockerfile would not build.
    """
    configure_logging(debug=debug, log_format=log_format)
    status = 0

    def work() -> None:
        nonlocal status
        from buildwright import api

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        result = api.check(
            context,
            dockerfile=_dockerfile_arg(file),
            target=target,
            build_args=api.parse_build_args(build_arg or ()),
            platform=platform,
            engine=engine,
            offline=offline,
        )
        sys.stdout.write(result.json() + "\n" if json_format else result.report())
        sys.stdout.flush()
        if result.error is not None:
            # buildx prints a check's error text, which ends with a newline, as one more line.
            sys.stderr.write("ERROR: " + result.error_report() + ("" if result.request_error else "\n"))
        status = result.exit_code

    raise typer.Exit(run_guarded(work, debug=debug) or status)


# Commands beyond build, each in its own module.
app.command("graph")(graph_cmd.graph)
app.command("du")(cache_cmds.du)
app.command("prune")(cache_cmds.prune)
app.add_typer(engine_cmd.engine_app, name="engine")
app.add_typer(builder_cmd.builder_app, name="builder")
app.add_typer(history_cmd.history_app, name="history")
app.command("version")(builder_cmd.version)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=builder_cmd.version_callback, is_eager=True, help="Show buildwright's version."
        ),
    ] = False,
) -> None:
    """Build container images from Dockerfiles on a BuildKit engine."""


def _writes_stdout(spec: str) -> bool:
    """Whether an `-o` value sends its result to stdout (`-`, or `dest=-`)."""
    return spec == "-" or any(field.strip() == "dest=-" for field in spec.split(","))


def _dockerfile_arg(file: Path | None) -> Path | bytes | None:
    """`-f -` means the Dockerfile comes on stdin, as with buildx."""
    if file is not None and str(file) == "-":
        return sys.stdin.buffer.read()
    return file


def main() -> None:
    """Console-script entry point."""
    app()
