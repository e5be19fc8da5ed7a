"""Byte sizes as docker's flags and Dockerfile options take them (docker/go-units `RAMInBytes`).

One grammar for `RUN --mount=type=tmpfs,size=`, `--shm-size` and the cache commands' space limits;
each caller words its own error.
"""

from __future__ import annotations

import re

INT64_MAX = (1 << 63) - 1

_GO_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_BINARY_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def ram_in_bytes(size: str) -> int | None:
    """docker/go-units `RAMInBytes` (binary units: `64m`, `1g`, `512KiB`); None when invalid."""
    sep = max(size.rfind(c) for c in "01234567890. ")
    if sep == -1:
        return None
    if size[sep] != " ":
        number, suffix = size[: sep + 1], size[sep + 1 :]
    else:
        number, suffix = size[:sep], size[sep + 1 :]
    if _GO_FLOAT.fullmatch(number) is None:
        return None
    value = float(number)
    if value < 0:
        return None
    if suffix:
        suffix = suffix.lower()
        if len(suffix) > 3:
            return None
        if suffix[0] == "b":
            return None if len(suffix) > 1 else int(value)
        if suffix[0] not in _BINARY_UNITS:
            return None
        if (len(suffix) == 2 and suffix[1] != "b") or (len(suffix) == 3 and suffix[1:] != "ib"):
            return None
        value *= _BINARY_UNITS[suffix[0]]
    return int(value)
