"""The warnings summary printed after the progress output, worded as buildx words it."""

from __future__ import annotations

from collections.abc import Sequence

from buildwright.client.events import BuildWarning


def warnings_summary(warnings: Sequence[BuildWarning], *, detailed: bool = False) -> list[str]:
    """The summary's lines (none without warnings): a blank line, the count, one ` - ` line each.

    `detailed` adds each warning's detail lines and link, as buildx does in debug mode.
    """
    if not warnings:
        return []
    count = "1 warning found" if len(warnings) == 1 else f"{len(warnings)} warnings found"
    lines = ["", f" {count}{'' if detailed else ' (use --debug to expand)'}:"]
    for warning in warnings:
        lines.append(f" - {warning.short}")
        if detailed:
            lines.extend(warning.detail)
            if warning.url:
                lines.append(f"More info: {warning.url}")
            lines.append("")
    return lines
