"""Go duration strings (`30s`, `1m30s`, `1.5h`) as used by HEALTHCHECK options."""

from __future__ import annotations

from buildwright import _golang

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX = (1 << 63) - 1


class DurationError(ValueError):
    """An invalid duration; the message is Go's `time.ParseDuration` text."""


def parse_duration(text: str) -> int:
    """Parse a Go duration string into nanoseconds."""
    original = text
    quoted = _golang.quote(original)
    negative = False
    if text[:1] in ("-", "+"):
        negative = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if text == "":
        raise DurationError(f"time: invalid duration {quoted}")
    total = 0
    while text:
        i = 0
        while i < len(text) and text[i].isascii() and text[i].isdigit():
            i += 1
        whole = text[:i]
        text = text[i:]
        frac = ""
        if text.startswith("."):
            text = text[1:]
            j = 0
            while j < len(text) and text[j].isascii() and text[j].isdigit():
                j += 1
            frac = text[:j]
            text = text[j:]
        if whole == "" and frac == "":
            raise DurationError(f"time: invalid duration {quoted}")
        k = 0
        while k < len(text) and text[k] != "." and not (text[k].isascii() and text[k].isdigit()):
            k += 1
        if k == 0:
            raise DurationError(f"time: missing unit in duration {quoted}")
        unit = text[:k]
        text = text[k:]
        if unit not in _UNITS:
            raise DurationError(f"time: unknown unit {_golang.quote(unit)} in duration {quoted}")
        scale = _UNITS[unit]
        value = int(whole or "0") * scale
        if frac:
            value += int(int(frac) * scale / (10 ** len(frac)))
        total += value
        if total > _MAX:
            raise DurationError(f"time: invalid duration {quoted}")
    result = int(total)
    return -result if negative else result


def format_duration(nanos: int) -> str:
    """Go's `time.Duration.String()` (`1m30s`, `100ms`, `0s`)."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    n = abs(nanos)
    if n < 1_000_000_000:
        for unit, scale in (("ms", 1_000_000), ("\u00b5s", 1_000), ("ns", 1)):
            if n >= scale:
                return sign + _fraction(n, scale) + unit
    hours, rest = divmod(n, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _fraction(rest, 1_000_000_000) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _fraction(value: int, scale: int) -> str:
    whole, frac = divmod(value, scale)
    if frac == 0:
        return str(whole)
    digits = str(frac).rjust(len(str(scale)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"
