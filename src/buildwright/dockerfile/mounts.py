"""`RUN --mount=...` values: CSV `key=value` fields parsed into a MountSpec.

Parsing happens twice, as in the reference: at parse time without an expander (only `from`
is read, and a `$` inside it is rejected), and at dispatch with the stage's expander, when
every value is expanded and checked in order (so `type=` must come before type-specific keys).
"""

from __future__ import annotations

from collections.abc import Callable

from buildwright import _golang
from buildwright._csvfields import CSVFieldError, csv_fields
from buildwright._units import ram_in_bytes
from buildwright._values import valueclass

BIND = "bind"
CACHE = "cache"
TMPFS = "tmpfs"
SECRET = "secret"
SSH = "ssh"
MOUNT_TYPES = (BIND, CACHE, TMPFS, SECRET, SSH)
SHARING_MODES = ("shared", "private", "locked")
_ALL_KEYS = (
    "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode",
    "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env",
)  # fmt: skip


class MountError(ValueError):
    """An invalid `--mount` value; the message is the reference's."""


@valueclass
class MountSpec:
    """One parsed `--mount`.

    `readonly` already has the per-type default applied (cache/tmpfs read-write, others
    read-only); `cache_sharing` is "" when not given; `env` is None unless `env=` was given.
    """

    type: str = BIND
    from_stage: str = ""
    source: str = ""
    target: str = ""
    readonly: bool = False
    size_limit: int = 0
    cache_id: str = ""
    cache_sharing: str = ""
    required: bool = False
    env: str | None = None
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None


def parse_mount(value: str, expander: Callable[[str], str] | None = None) -> MountSpec:
    """Parse one `--mount` value; without `expander` only `from` is read (parse-time check)."""
    try:
        fields = csv_fields(value)
    except CSVFieldError as exc:
        raise MountError(f"failed to parse csv mounts: {exc}") from exc
    m: dict[str, object] = {"type": BIND}
    readonly = False
    ro_auto = True
    for item in fields:
        key, has_value, val = item.partition("=")
        key = key.lower()
        mount_type = str(m["type"])
        if not has_value:
            if expander is None:
                continue
            if key in ("readonly", "ro"):
                readonly, ro_auto = True, False
                continue
            if key in ("readwrite", "rw"):
                readonly, ro_auto = False, False
                continue
            if key == "required":
                if mount_type in (SECRET, SSH):
                    m["required"] = True
                    continue
                raise MountError(f"unexpected key '{key}' for mount type '{mount_type}'")
            raise MountError(f"invalid field '{item}' must be a key=value pair")
        if expander is not None:
            val = expander(val)
        elif key == "from":
            index = val.find("$")
            if index != -1 and index != len(val) - 1:
                raise MountError(f"'{key}' doesn't support variable expansion, define alias stage instead")
        else:
            continue
        if key == "type":
            lowered = val.lower()
            if lowered not in MOUNT_TYPES:
                raise MountError(
                    _golang.with_suggestion(
                        f"unsupported mount type {_golang.quote(val)}", val, MOUNT_TYPES, case_sensitive=True
                    )
                )
            m["type"] = lowered
        elif key == "from":
            m["from_stage"] = val
        elif key in ("source", "src"):
            m["source"] = val
        elif key in ("target", "dst", "destination"):
            m["target"] = val
        elif key in ("readonly", "ro"):
            readonly, ro_auto = _parse_bool(key, val), False
        elif key in ("readwrite", "rw"):
            readonly, ro_auto = not _parse_bool(key, val), False
        elif key == "required":
            if mount_type not in (SECRET, SSH):
                raise MountError(f"unexpected key '{key}' for mount type '{mount_type}'")
            m["required"] = _parse_bool(key, val)
        elif key == "size":
            if mount_type != TMPFS:
                raise MountError(f"unexpected key '{key}' for mount type '{mount_type}'")
            size = ram_in_bytes(val)
            if size is None:
                raise MountError(f"invalid value for {key}: {val}")
            m["size_limit"] = size
        elif key == "id":
            m["cache_id"] = val
        elif key == "sharing":
            lowered = val.lower()
            if lowered not in SHARING_MODES:
                raise MountError(
                    _golang.with_suggestion(
                        f"unsupported sharing value {_golang.quote(val)}", val, SHARING_MODES, case_sensitive=True
                    )
                )
            m["cache_sharing"] = lowered
        elif key in ("mode", "uid", "gid"):
            number = _parse_uint32(val, 8 if key == "mode" else 10)
            if number is None:
                raise MountError(f"invalid value {val} for {key}")
            m[key] = number
        elif key == "env":
            m["env"] = val
        else:
            raise MountError(
                _golang.with_suggestion(f"unexpected key '{key}' in '{item}'", key, _ALL_KEYS, case_sensitive=True)
            )
    mount_type = str(m["type"])
    if mount_type not in (SECRET, SSH, CACHE):
        for key in ("mode", "uid", "gid"):
            if key in m:
                raise MountError(f"{key} not allowed for {_golang.quote(mount_type)} type mounts")
    if ro_auto:
        readonly = mount_type not in (CACHE, TMPFS)
    spec = MountSpec(readonly=readonly, **m)  # type: ignore[arg-type]
    if spec.type == SECRET:
        if spec.from_stage:
            raise MountError("secret mount should not have a from")
        if spec.cache_sharing:
            raise MountError("secret mount should not define sharing")
        if not spec.source and not spec.target and not spec.cache_id:
            raise MountError("invalid secret mount. one of source, target required")
        if spec.source and spec.cache_id:
            raise MountError("both source and id can't be set")
    if spec.cache_sharing and spec.type != CACHE:
        raise MountError(f"invalid cache sharing set for {spec.type} mount")
    return spec


def _parse_bool(key: str, value: str) -> bool:
    flag = _golang.parse_bool(value)
    if flag is None:
        raise MountError(f"invalid value for {key}: {value}")
    return flag


def _parse_uint32(value: str, base: int) -> int | None:
    digits = "01234567" if base == 8 else "0123456789"
    if not value or any(c not in digits for c in value):
        return None
    number = int(value, base)
    return number if number <= 0xFFFFFFFF else None
