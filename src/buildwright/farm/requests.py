"""What the farm is asked to build: named builds, and the target x platform legs they split into.

A `NamedBuild` is a name plus the keyword arguments `buildwright.build()` takes; a bake file
resolves to a list of them. Each platform of a build is one leg, placed on a node of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field, fields
from types import MappingProxyType
from typing import Any

from buildwright._values import valueclass
from buildwright.errors import BuildConfigError
from buildwright.frontend.platforms import parse_platforms
from buildwright.options import BuildOptions, OutputOptions

# The options a leg replaces: its own platform, and where its results go when it is one part of a
# target split over several nodes.
_PLATFORM_KEY = "platform"


@valueclass
class NamedBuild:
    """One build to run on the farm: `options` are `buildwright.build()`'s keyword arguments,
    `context` included (`{"context": ".", "target": "app", "platform": "linux/amd64,linux/arm64"}`)."""

    name: str
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@valueclass
class Leg:
    """One platform of one named build; `platform` is None when the build names none (the node's own)."""

    target: str
    platform: str | None

    @property
    def key(self) -> str:
        """How placement records name this leg (`app@linux/arm64`)."""
        return f"{self.target}@{self.platform or 'default'}"

    def __str__(self) -> str:
        return f"{self.target} ({self.platform})" if self.platform else self.target


def _build_options() -> frozenset[str]:
    """The keywords `buildwright.build()` takes (the fields of its two option values), and `context`."""
    return frozenset(f.name for value in (BuildOptions, OutputOptions) for f in fields(value)) | {"context"}


def build_platforms(build: NamedBuild) -> tuple[str, ...]:
    """The platforms a named build asks for, normalised (`linux/arm64/v8` is `linux/arm64`)."""
    return tuple(str(p) for p in parse_platforms(build.options.get(_PLATFORM_KEY)))


def legs_of(builds: Sequence[NamedBuild]) -> tuple[Leg, ...]:
    """Every leg, in the order of the builds and of their platforms.

    Raises:
        BuildConfigError: two builds share a name, or a build has no context.
    """
    seen: set[str] = set()
    legs: list[Leg] = []
    for build in builds:
        if not build.name:
            raise BuildConfigError("every farm build needs a name")
        if build.name in seen:
            raise BuildConfigError(f"two farm builds are named {build.name!r}")
        seen.add(build.name)
        if "context" not in build.options:
            raise BuildConfigError(f"farm build {build.name!r} has no context")
        unknown = sorted(set(build.options) - _build_options())
        if unknown:
            raise BuildConfigError(f"farm build {build.name!r}: unknown build option(s) {', '.join(unknown)}")
        platforms = build_platforms(build)
        legs.extend(Leg(build.name, p) for p in platforms or (None,))
    return tuple(legs)


def leg_options(build: NamedBuild, platforms: Sequence[str | None]) -> dict[str, Any]:
    """`build.options` for a job running `platforms` of it (all of them, or the legs one node got)."""
    options = {k: v for k, v in build.options.items() if k != _PLATFORM_KEY}
    named = [p for p in platforms if p is not None]
    if named:
        options[_PLATFORM_KEY] = tuple(named)
    return options
