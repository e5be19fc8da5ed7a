"""`buildwright build`, `llb` and `check`: a Dockerfile build, its LLB, its checks.

A command turns its options into typed values and calls the API, imported when the command runs
(as is everything else a run needs but `--help` does not), so that help stays fast.
"""

# No `from __future__ import annotations` here: typer reads `build`'s signature (some fifty
# parameters) on every run, and string annotations cost it a compile and an eval each.
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from buildwright.cli import explain_cmd
from buildwright.cli.build_flags import dockerfile_arg, options_from_flags
from buildwright.cli.build_opts import (
    AddHostOpt,
    AllowOpt,
    AnnotationOpt,
    AttestOpt,
    BuildArgOpt,
    BuildContextArg,
    BuildContextOpt,
    CacheFromOpt,
    CacheToOpt,
    CallOpt,
    CgroupParentOpt,
    ContextArg,
    FileOpt,
    IidFileOpt,
    LabelOpt,
    LegacyCompressOpt,
    LegacyForceRmOpt,
    LegacyRmOpt,
    LoadOpt,
    MetadataFileOpt,
    NetworkOpt,
    NoCacheFilterOpt,
    NoCacheOpt,
    OutputOpt,
    PlatformsOpt,
    PrintOpt,
    ProgressOpt,
    ProvenanceOpt,
    PullOpt,
    PushOpt,
    QuietOpt,
    SbomOpt,
    SecretOpt,
    ShmSizeOpt,
    SSHOpt,
    TagOpt,
    TargetOpt,
    UlimitOpt,
)
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
from buildwright.cli.loading import loading_modules
from buildwright.cli.logsetup import LogFormat, configure_logging

if TYPE_CHECKING:
    from buildwright.cli.call import CallSpec

ExplainOpt = Annotated[
    bool,
    typer.Option(
        "--explain", help="After the build, name the cause of each step that ran instead of coming from the cache."
    ),
]
ExplainFormatOpt = Annotated[explain_cmd.ExplainFormat, typer.Option("--format", help="With --explain: text or json.")]


def build(
    context: BuildContextArg,
    file: FileOpt = None,
    tags: TagOpt = None,
    target: TargetOpt = None,
    build_args: BuildArgOpt = None,
    build_contexts: BuildContextOpt = None,
    platform: PlatformsOpt = None,
    labels: LabelOpt = None,
    outputs: OutputOpt = None,
    annotations: AnnotationOpt = None,
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
    secrets: SecretOpt = None,
    ssh: SSHOpt = None,
    allow: AllowOpt = None,
    network: NetworkOpt = "default",
    add_hosts: AddHostOpt = None,
    shm_size: ShmSizeOpt = None,
    ulimits: UlimitOpt = None,
    cgroup_parent: CgroupParentOpt = None,
    explain: ExplainOpt = False,
    format: ExplainFormatOpt = explain_cmd.ExplainFormat.TEXT,
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
    # Every parameter by the option it sets; the legacy ones are accepted for `docker build`
    # scripts and have no use in BuildKit.
    flags = dict(locals())
    configure_logging(debug=debug, log_format=log_format)
    requested = call if call is not None else print_
    if requested:
        from buildwright.cli.call import parse_call

        method = parse_call(requested)
        if method.name != "build":
            _run_call(method, flags)

    def work() -> None:
        # Commands import what they use when they run, so that --help and other commands stay fast.
        with loading_modules():
            from buildwright import api
            from buildwright.cli.farm_build import build_on_farm, farm_for, report
            from buildwright.cli.quiet import display_mode
            from buildwright.cli.stdin_context import build_inputs
            from buildwright.progress import make_renderer

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        display = display_mode(progress, quiet, sys.stderr, os.environ)
        with (
            build_inputs(context, file, sys.stdin.buffer) as (source, dockerfile),
            make_renderer(display.mode, sys.stderr, detailed_warnings=debug) as renderer,
        ):
            options, output = options_from_flags(flags, dockerfile)
            # A builder of several nodes spreads the build's platforms over them (the farm).
            farm = farm_for(addr, builder, source, os.environ)
            if farm is not None:
                tls_given = engine.tls() is not None
                farmed = build_on_farm(farm, source, options, output, tls_given=tls_given, on_event=renderer.handle)
            else:
                result = api.build(source, options, output, engine=engine, on_event=renderer.handle)
        if farm is not None:
            image_id = report(farmed, sys.stderr, table=display.mode != "quiet")
            if image_id and display.print_image_id:
                typer.echo(image_id)
            return
        for warning in result.warnings:
            typer.echo(f"WARNING: {warning}", err=True)
        # Nothing follows an output written to stdout (buildx prints no image id after the tar).
        to_stdout = any(_writes_stdout(spec) for spec in outputs or ())
        as_json = explain and format is explain_cmd.ExplainFormat.JSON
        if result.image_id and display.print_image_id and not to_stdout and not as_json:
            typer.echo(result.image_id)
        if result.explanation is not None:
            # Requested output goes to stdout, unless the build's own output is there; the JSON
            # carries the image id, so stdout stays one document.
            text = result.explanation.json(image_id=result.image_id or "") if as_json else result.explanation.text()
            typer.echo(text, nl=False, err=to_stdout)
        elif explain:
            typer.echo("WARNING: --explain: no record is kept of a remote context", err=True)

    raise typer.Exit(run_guarded(work, debug=debug))


def _run_call(method: "CallSpec", flags: dict[str, Any]) -> None:
    """`build --call=targets|check|outline`: evaluate the build another way instead; always exits."""
    from buildwright.cli.call import run_outline, run_targets

    context = Path(flags["context"])
    if method.name == "targets":
        if flags["quiet"]:
            sys.stdout.write("\n")  # buildx's quiet mode prints its (empty) image id line first
        raise typer.Exit(run_targets(context, dockerfile_arg(flags["file"]), method, debug=flags["debug"]))
    engine_flags = ("addr", "tlscacert", "tlscert", "tlskey", "tlsservername", "builder")
    if method.name == "check":
        check(
            context,
            file=flags["file"],
            target=flags["target"],
            build_arg=flags["build_args"],
            debug=flags["debug"],
            log_format=flags["log_format"],
            json_format=method.format == "json",
            **{name: flags[name] for name in engine_flags},
        )
    raise typer.Exit(
        run_outline(
            flags["context"],
            dockerfile_arg(flags["file"]),
            method,
            target=flags["target"],
            build_args=tuple(flags["build_args"] or ()),
            engine=engine_options(*(flags[name] for name in engine_flags)),
            debug=flags["debug"],
        )
    )


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
        with loading_modules():
            from buildwright import api

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        compiled = api.compile(
            context,
            dockerfile=dockerfile_arg(file),
            target=target,
            build_args=api.parse_build_args(build_arg or ()),
            no_cache=no_cache,
            engine=engine,
        )
        typer.echo(compiled.definition.to_json())

    raise typer.Exit(run_guarded(work, debug=debug))


def check(
    context: ContextArg,
    file: FileOpt = None,
    target: TargetOpt = None,
    build_arg: BuildArgOpt = None,
    platform: PlatformsOpt = None,
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
        with loading_modules():
            from buildwright import api

        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        result = api.check(
            context,
            dockerfile=dockerfile_arg(file),
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


def _writes_stdout(spec: str) -> bool:
    """Whether an `-o` value sends its result to stdout (`-`, or `dest=-`)."""
    return spec == "-" or any(field.strip() == "dest=-" for field in spec.split(","))
