"""Target platforms of a build: `--platform a,b` parsed, and one compilation per platform.

Each platform gets its own compilation (its own TARGET* args, base images resolved for it), as
the reference frontend converts the Dockerfile once per target platform. Whether the result is a
map keyed by platform or today's single image is decided once, here: several platforms, or
`BUILDKIT_MULTI_PLATFORM=1`, make a map (frontend/dockerui config and build).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from buildwright._frozen import replace
from buildwright._golang import parse_bool
from buildwright._values import valueclass
from buildwright.dockerfile import Dockerfile
from buildwright.errors import BuildConfigError, UsageError
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.options import CompiledBuild, FrontendOptions
from buildwright.frontend.platform_names import platform_id
from buildwright.frontend.resolver import ImageResolver
from buildwright.frontend.stage_build import DispatchRules
from buildwright.llb.platform import Platform, default_platform

MULTI_PLATFORM_ARG = "BUILDKIT_MULTI_PLATFORM"
# The words Go's strconv.ParseBool takes, which the reference uses for BUILDKIT_MULTI_PLATFORM.


@valueclass
class PlatformBuild:
    """One platform's part of a multi-platform build."""

    platform: Platform
    compiled: CompiledBuild

    @property
    def id(self) -> str:
        """The key of this platform's ref and image config in the result (`linux/arm64`)."""
        return platform_id(self.platform)


@valueclass
class MultiPlatformBuild:
    """A build whose result is a map of platform -> image, exported as an index where supported."""

    builds: tuple[PlatformBuild, ...]


def parse_platforms(values: str | Iterable[str] | None) -> tuple[Platform, ...]:
    """`--platform` values: each a comma-separated list; `local` is this machine's platform.

    Duplicates (after normalisation, `linux/arm64/v8` is `linux/arm64`) are dropped, keeping the
    first, as buildx does.
    """
    if values is None:
        return ()
    items = [values] if isinstance(values, str) else list(values)
    found: list[Platform] = []
    for item in items:
        for word in item.split(","):
            text = word.strip()
            try:
                platform = default_platform() if text == "local" else Platform.parse(text)
            except BuildConfigError as exc:
                raise UsageError(str(exc)) from exc  # a malformed option value
            if platform not in found:
                found.append(platform)
    return tuple(found)


def multi_platform_requested(platforms: Sequence[Platform], build_args: Mapping[str, str]) -> bool:
    """Whether the result is a platform map: several platforms, or BUILDKIT_MULTI_PLATFORM=1.

    Raises:
        BuildConfigError: the build arg is no boolean, or is false while several platforms are asked.
    """
    several = len(platforms) > 1
    value = build_args.get(MULTI_PLATFORM_ARG, "")
    if not value:
        return several
    flag = parse_bool(value)
    if flag is True:
        return True
    if flag is None:
        raise BuildConfigError(f"invalid boolean value for multi-platform: {value}")
    if several:
        raise BuildConfigError("conflicting config: returning multiple target platforms is not allowed")
    return False


def compile_platforms(
    dockerfile: Dockerfile,
    options: FrontendOptions,
    platforms: Sequence[Platform],
    resolver: ImageResolver,
    *,
    rules: DispatchRules | None = None,
) -> MultiPlatformBuild:
    """Compile `dockerfile` once per platform (no platforms: the engine's build platform).

    Every compilation is marked multi-platform, so its steps and base image resolutions name
    their platform; the options' own `target_platform` is replaced per platform. The build
    checks (`rules`) run with the first platform's compilation only, as the reference reports them once.
    """
    if not platforms:
        # BUILDKIT_MULTI_PLATFORM=1 without --platform: one entry, keyed by the build platform, and
        # compiled as a build without a platform (base images may still pick theirs).
        single = compile_dockerfile(dockerfile, replace(options, multi_platform=True), resolver, rules=rules)
        return MultiPlatformBuild((PlatformBuild(options.build_platforms[0], single),))
    builds = tuple(
        PlatformBuild(
            platform,
            compile_dockerfile(
                dockerfile,
                replace(options, target_platform=platform, multi_platform=True),
                resolver,
                rules=rules if position == 0 else None,
            ),
        )
        for position, platform in enumerate(platforms)
    )
    return MultiPlatformBuild(builds)
