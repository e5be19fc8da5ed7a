"""`buildwright explain`: which steps a build would run and why, without building it.

Exit code 0 when every step would come from the cache, 1 when something would rebuild (or on an
error), so CI can ask "is this a no-op?". It takes the build flags that shape the steps, named
as `build`'s (so they reach the same option fields), and accepts `--secret`/`--ssh`, which never
change a step, so that a build's command line can be explained as it is.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from buildwright.cli.build_opts import (
    AddHostOpt,
    BuildArgOpt,
    BuildContextOpt,
    CgroupParentOpt,
    FileOpt,
    NetworkOpt,
    NoCacheFilterOpt,
    NoCacheOpt,
    PlatformsOpt,
    PullOpt,
    SecretOpt,
    ShmSizeOpt,
    SSHOpt,
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
from buildwright.cli.logsetup import LogFormat, configure_logging


class ExplainFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


FormatOpt = Annotated[
    ExplainFormat,
    typer.Option("--format", help="text (one line per step with its cause) or json."),
]


def explain(
    context: Annotated[Path, typer.Argument(help="Build context directory.", show_default=False)],
    file: FileOpt = None,
    target: TargetOpt = None,
    build_args: BuildArgOpt = None,
    build_contexts: BuildContextOpt = None,
    platform: PlatformsOpt = None,
    no_cache: NoCacheOpt = False,
    no_cache_filter: NoCacheFilterOpt = None,
    pull: PullOpt = False,
    network: NetworkOpt = "default",
    add_hosts: AddHostOpt = None,
    shm_size: ShmSizeOpt = None,
    ulimits: UlimitOpt = None,
    cgroup_parent: CgroupParentOpt = None,
    secrets: SecretOpt = None,
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
    # Every parameter by the option it sets; secrets and agents are read only by a build (they
    # never change a step), so they are accepted as build takes them and left out.
    flags = {name: value for name, value in locals().items() if name not in ("secrets", "ssh")}
    configure_logging(debug=debug, log_format=log_format)
    status = 0

    def work() -> None:
        nonlocal status
        from buildwright import explain_build  # imported when run, so that --help stays fast
        from buildwright.cli.build_flags import dockerfile_arg, options_from_flags

        options, _ = options_from_flags(flags, dockerfile_arg(file))
        engine = engine_options(addr, tlscacert, tlscert, tlskey, tlsservername, builder)
        result = explain_build.explain(context, options, engine=engine)
        sys.stdout.write(result.json() if format is ExplainFormat.JSON else result.text())
        sys.stdout.flush()
        status = result.exit_code

    del secrets, ssh  # accepted, see the module docstring
    raise typer.Exit(run_guarded(work, debug=debug) or status)
