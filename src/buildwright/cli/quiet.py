"""`-q/--quiet` and `--progress`: which renderer a build gets, and whether the image id is printed.

buildx's rules: `--progress quiet` is the same as `-q` (no progress, the image id on stdout at the
end), `--progress none` shows nothing at all, and `-q` goes with no other explicit mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from buildwright._values import valueclass
from buildwright.errors import UsageError


@valueclass
class DisplayMode:
    """The concrete progress mode, and whether the image id goes to stdout after a build."""

    mode: str
    print_image_id: bool


def display_mode(progress: str, quiet: bool, out: TextIO, env: Mapping[str, str]) -> DisplayMode:
    """Resolve `--progress` (with BUILDKIT_PROGRESS for `auto`) together with `-q`.

    Raises:
        UsageError: `-q` with a mode other than auto/quiet/none, or a bad mode.
    """
    quiet = quiet or progress == "quiet"
    if quiet:
        if progress not in ("auto", "quiet", "none"):
            raise UsageError(f"progress={progress} and quiet cannot be used together")
        return DisplayMode("quiet", print_image_id=True)
    if progress == "none" or (progress == "auto" and env.get("BUILDKIT_PROGRESS") == "none"):
        return DisplayMode("quiet", print_image_id=False)
    from buildwright.progress import resolve_mode  # rich: only for a build that shows progress

    return DisplayMode(resolve_mode(progress, out, env), print_image_id=False)
