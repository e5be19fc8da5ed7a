"""Build arguments in global scope: the platform args and the ARGs declared before the first FROM."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from buildwright import llb
from buildwright.dockerfile import ArgInstruction, ShellLex
from buildwright.errors import BuildConfigError, DockerfileError
from buildwright.llb.platform import Platform

_GO_INT = re.compile(r"[+-]?[0-9]+")
_PROXY_ARGS = frozenset({"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"})


def default_args(
    build_platform: Platform, target_platform: Platform, overrides: Mapping[str, str], target: str
) -> dict[str, str]:
    """The predefined platform args (overridable by --build-arg of the same name) and TARGETSTAGE."""
    values = {
        "BUILDPLATFORM": _format(build_platform),
        "BUILDOS": build_platform.os,
        "BUILDOSVERSION": build_platform.os_version,
        "BUILDARCH": build_platform.architecture,
        "BUILDVARIANT": build_platform.variant,
        "TARGETPLATFORM": _format(target_platform, with_os_version=True),
        "TARGETOS": target_platform.os,
        "TARGETOSVERSION": target_platform.os_version,
        "TARGETARCH": target_platform.architecture,
        "TARGETVARIANT": target_platform.variant,
        "TARGETSTAGE": target or "default",
    }
    return {key: overrides.get(key, value) for key, value in values.items()}


def meta_args(
    defaults: Mapping[str, str],
    declarations: Sequence[ArgInstruction],
    build_args: Mapping[str, str],
    lex: ShellLex,
) -> dict[str, str]:
    """Global args: a --build-arg value as given (not expanded), else the default expanded so far."""
    args = dict(defaults)
    for declaration in declarations:
        for arg in declaration.args:
            if arg.key in build_args:
                value: str | None = build_args[arg.key]
            elif arg.value is not None:
                try:
                    value = lex.process_word(arg.value, args)
                except DockerfileError as exc:
                    exc.attach(declaration.location)
                    raise
            else:
                value = None
            if value is not None:
                args.pop(arg.key, None)
                args[arg.key] = value
    return args


def proxy_env(build_args: Mapping[str, str]) -> llb.ProxyEnv | None:
    """The proxy build args (any case) every RUN gets outside its cache key, declared as ARG or not."""
    values: dict[str, str] = {}
    # Sorted, so that when two spellings of one name are given the choice is stable.
    for key, value in sorted(build_args.items()):
        name = key.lower()
        if name in _PROXY_ARGS:
            values[name] = value
    return llb.ProxyEnv(**values) if values else None


def source_date_epoch(build_args: Mapping[str, str]) -> datetime | None:
    """The SOURCE_DATE_EPOCH build arg as a UTC time; an empty or absent value means none.

    A bad value is rejected in the engine's words (the engine checks it before any frontend runs).
    """
    value = build_args.get("SOURCE_DATE_EPOCH", "")
    if not value:
        return None
    if not _GO_INT.fullmatch(value) or not -(2**63) <= int(value) < 2**63:
        raise BuildConfigError(f'invalid source-date-epoch: strconv.ParseInt: parsing "{value}": invalid syntax')
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise BuildConfigError(f'invalid source-date-epoch: parsing "{value}": out of range') from None


def _format(platform: Platform, *, with_os_version: bool = False) -> str:
    text = str(platform)
    if with_os_version and platform.os_version:
        text += f"({platform.os_version})"
    return text
