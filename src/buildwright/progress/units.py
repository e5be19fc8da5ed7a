"""Numbers as the BuildKit progress UI prints them: byte sizes, durations and log offsets."""

from __future__ import annotations

from datetime import datetime

_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def format_bytes(size: int) -> str:
    """A size the way `%.2f` formats `units.Bytes` (tonistiigi/units): decimal units, whole bytes below 1kB.

    `433` -> `433B`, `2_300_000` -> `2.30MB`.
    """
    if size < 1000:
        return f"{size}B"
    value = float(size)
    index = 0
    while value >= 1000 and index < len(_DECIMAL_UNITS) - 1:
        value /= 1000
        index += 1
    return f"{value:.2f}{_DECIMAL_UNITS[index]}"


def seconds_between(start: datetime | None, end: datetime | None) -> float:
    """`end - start` in seconds, 0 when either is unknown (never negative)."""
    if start is None or end is None:
        return 0.0
    return max(0.0, (end - start).total_seconds())


def format_log_offset(seconds: float) -> str:
    """A log line's offset from its step's start: 3 decimals below 10s, 2 below 100s, then 1."""
    if seconds < 10:
        return f"{seconds:.3f}"
    if seconds < 100:
        return f"{seconds:.2f}"
    return f"{seconds:.1f}"
