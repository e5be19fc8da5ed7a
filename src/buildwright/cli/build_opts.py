"""The options of `build` and the commands that share them, each declared once.

Each alias is a typer annotation; its parameter name in a command is the option field it sets
(see cli/build_flags.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buildwright.cli.engine_opts import PROGRESS_PANEL

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
