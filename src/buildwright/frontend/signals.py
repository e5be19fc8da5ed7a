"""STOPSIGNAL validation: the signal names and numbers the reference frontend accepts on Linux.

The reference checks the expanded value and keeps it as written (`sigterm` stays lower case):
a decimal integer other than 0 (a sign is allowed, the range is not checked), or a Linux signal
name, case-insensitive, with or without the `SIG` prefix (checked on the engine with buildx).
"""

from __future__ import annotations

import re

_NAMES = frozenset(
    {
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
        "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
        "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX",
        *(f"RTMIN+{n}" for n in range(1, 16)),
        *(f"RTMAX-{n}" for n in range(1, 15)),
    }
)  # fmt: skip

# Go's strconv.Atoi: an optional sign and decimal digits, within int64.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_INT64_MAX = 2**63 - 1


def is_valid_signal(value: str) -> bool:
    """True when the reference accepts `value` as a STOPSIGNAL."""
    if _INTEGER.fullmatch(value):
        number = int(value)
        if -_INT64_MAX - 1 <= number <= _INT64_MAX:
            return number != 0
    upper = value.upper()
    return upper.removeprefix("SIG") in _NAMES
