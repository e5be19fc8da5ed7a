"""`buildwright explain`: which steps a build would run and why, without building it.

Exit code 0 when every step would come from the cache, 1 when something would rebuild (or on an
error), so CI can ask "is this a no-op?".
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
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
from buildwright.cli.logsetup import LogFormat, configure_logging


class ExplainFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


# The build flags that shape RUN steps change what would be built; the secrets and agents a build
# would be given do not (their values are no part of any step) and are accepted so that a build's
# command line can be explained as it is.
_RUN_PANEL = "As the build would run"
NetworkOpt = Annotated[
    str, typer.Option("--network", help="RUN networking mode (default, none, host).", rich_help_panel=_RUN_PANEL)
]
AddHostOpt = Annotated[
    list[str] | None, typer.Option("--add-host", help="Host-to-IP mapping (host:ip).", rich_help_panel=_RUN_PANEL)
]
ShmSizeOpt = Annotated[
    str | None, typer.Option("--shm-size", help="RUN shared memory size.", rich_help_panel=_RUN_PANEL)
]
UlimitOpt = Annotated[
    list[str] | None, typer.Option("--ulimit", help="RUN ulimits (nofile=1024:2048).", rich_help_panel=_RUN_PANEL)
]
CgroupParentOpt = Annotated[
    str | None, typer.Option("--cgroup-parent", help="RUN parent cgroup.", rich_help_panel=_RUN_PANEL)
]
SecretOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--secret", help="Accepted as build takes it; secrets never change a step.", rich_help_panel=_RUN_PANEL
    ),
]
SSHOpt = Annotated[
    list[str] | None,
    typer.Option("--ssh", help="Accepted as build takes it; agents never change a step.", rich_help_panel=_RUN_PANEL),
]

FormatOpt = Annotated[
    ExplainFormat,
    typer.Option("--format", help="text (one line per step with its cause) or json."),
]


def explain(
    context: Annotated[Path, typer.Argument(help="Build context directory.", show_default=False)],
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Name of the Dockerfile (default: PATH/Dockerfile).")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="Set the target build stage to build.")] = None,
    build_arg: Annotated[
        list[str] | None, typer.Option("--build-arg", help="Set build-time variables (KEY=VALUE).")
    ] = None,
    build_context: Annotated[
        list[str] | None,
        typer.Option("--build-context", help="Additional build contexts (name=dir or name=docker-image://ref)."),
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform", help="Set the target platform (os/arch\\[/variant]).", envvar="DOCKER_DEFAULT_PLATFORM"
        ),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="As the build would run with --no-cache.")] = False,
    no_cache_filter: Annotated[
        list[str] | None, typer.Option("--no-cache-filter", help="As the build would run with these stages uncached.")
    ] = None,
    pull: Annotated[bool, typer.Option("--pull", help="Resolve base images from their registries.")] = False,
    network: NetworkOpt = "default",
    add_host: AddHostOpt = None,
    shm_size: ShmSizeOpt = None,
    ulimit: UlimitOpt = None,
    cgroup_parent: CgroupParentOpt = None,
    secret: SecretOpt = None,
    ssh: SSHOpt = None,
    format: FormatOpt = ExplainFormat.TEXT,
    addr: AddrOpt = None,
    tlscacert: TlsCaOpt = None,
    tlscert: TlsCertOpt = None,
    tlskey: TlsKeyOpt = None,
    tlsservername: TlsServerNameOpt = None,
    builder: BuilderOpt = None,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = LogFormat.TEXT,
) -> None:
    """Predict which steps a build would run and why, without building (exit 1 when any would).

    The Dockerfile is compiled, compared with the record of the last build of the same context,
    Dockerfile, target and platform, and with the engine's cache records.
    """
    configure_logging(debug=debug, log_format=log_format)
    del secret, ssh  # see SecretOpt
    status = 0

    def work() -> None:
        nonlocal status
        from buildwright import api  # imported when run, so that --help stays fast

        result = api.explain(
            context,
            dockerfile=file,
            target=target,
            build_args=api.parse_build_args(build_arg or ()),
            build_contexts=api.parse_key_values(build_context or (), what="context"),
            platform=platform,
            no_cache=no_cache,
            no_cache_filter=tuple(no_cache_filter or ()),
            pull=pull,
            network=network,
            add_hosts=tuple(add_host or ()),
            shm_size=shm_size,
            ulimits=tuple(ulimit or ()),
            cgroup_parent=cgroup_parent,
            engine=engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder),
        )
        sys.stdout.write(result.json() if format is ExplainFormat.JSON else result.text())
        sys.stdout.flush()
        status = result.exit_code

    raise typer.Exit(run_guarded(work, debug=debug) or status)
