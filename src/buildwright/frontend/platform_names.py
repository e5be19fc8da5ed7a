"""How platforms are written in a multi-platform build: result keys and progress prefixes.

A multi-platform result keys each platform's ref and image config by the platform's full name
(containerd `platforms.FormatAll`: `linux/amd64/v2`, plus `(os.version)` when there is one), and
the reference frontend starts every step name with that name, adding `->arch` when the stage runs
on another platform than the one its TARGET* args name (a cross-compiling stage).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from buildwright.errors import BuildConfigError
from buildwright.llb.platform import Platform

_TARGET_KEYS = ("TARGETOS", "TARGETARCH", "TARGETVARIANT")


def platform_id(platform: Platform) -> str:
    """The platform's full name, as result maps and progress prefixes key it."""
    text = str(platform.normalized())
    return f"{text}({platform.os_version})" if platform.os_version else text


def step_prefix(platform: Platform, env: Mapping[str, str]) -> str:
    """`linux/amd64` for a step of a stage on `platform`, `linux/amd64->arm64` when its env's
    TARGET* args name another architecture (frontend/dockerfile2llb `prefixCommand`)."""
    return platform_id(platform) + _cross_suffix(platform, _target_from_env(env))


def _target_from_env(env: Mapping[str, str]) -> Platform | None:
    # The first parseable TARGETPLATFORM wins; otherwise the TARGETOS/ARCH/VARIANT seen before it.
    os_name = architecture = variant = ""
    seen = False
    for key, value in env.items():
        if key == "TARGETPLATFORM":
            try:
                return Platform.parse(value)
            except BuildConfigError:
                continue
        if key in _TARGET_KEYS:
            seen = True
            if key == "TARGETOS":
                os_name = value
            elif key == "TARGETARCH":
                architecture = value
            else:
                variant = value
    return Platform(os_name, architecture, variant) if seen else None


def _cross_suffix(base: Platform, target: Platform | None) -> str:
    if target is None:
        return ""
    target = Platform(target.os or base.os, target.architecture or base.architecture, target.variant)
    with contextlib.suppress(BuildConfigError):  # odd TARGET* values are shown as they are
        target = target.normalized()
    if target.os == base.os and target.architecture != base.architecture:
        return "->" + target.architecture + (f"/{target.variant}" if target.variant else "")
    if target.os != base.os:
        return "->" + platform_id(target)
    return ""
