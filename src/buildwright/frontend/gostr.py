"""Text the reference writes with Go's fmt verbs (history entries, progress names), reproduced exactly."""

from __future__ import annotations

from collections.abc import Sequence

from buildwright import _golang

go_quote = _golang.quote


def go_quoted_list(items: Sequence[str]) -> str:
    """fmt's `%q` of a []string: `["a" "b"]`."""
    return "[" + " ".join(go_quote(item) for item in items) + "]"


def go_list(items: Sequence[str]) -> str:
    """fmt's `%v` of a []string: `[a b]`."""
    return "[" + " ".join(items) + "]"


def go_duration(nanoseconds: int) -> str:
    """Go's time.Duration.String(): `1m30s`, `100ms`, `0s`."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    value = abs(nanoseconds)
    if value < 1_000:
        return f"{sign}{value}ns"
    if value < 1_000_000:
        return f"{sign}{_fraction(value, 1_000)}µs"
    if value < 1_000_000_000:
        return f"{sign}{_fraction(value, 1_000_000)}ms"
    hours, rest = divmod(value, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _fraction(rest, 1_000_000_000)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def _fraction(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    if not rest:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{rest:0{digits}d}".rstrip("0")
