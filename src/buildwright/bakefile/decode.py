"""Evaluated attribute values of a `target`/`group` block become the fields of a target or group.

The values are the evaluator's (str, int/float numbers, bool, None, tuples, dicts); each field takes
them as buildx's Go struct field does: a string field takes numbers and bools in their string form,
a list of entries takes `key=value,...` strings or maps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from buildwright._values import valueclass
from buildwright.bakefile.entries import (
    Attest,
    CacheEntry,
    EntryError,
    ExportEntry,
    Secret,
    SSHKey,
    parse_cache_entries,
)
from buildwright.bakefile.errors import BakeFileError, Where
from buildwright.bakefile.target import TargetSpec
from buildwright.bakefile.values import ConversionError, to_string

_E = TypeVar("_E")


@valueclass
class GroupSpec:
    """A group as read: its name, description and member names (targets or groups)."""

    name: str
    description: str
    targets: tuple[str, ...] | None


# Attribute name -> the TargetSpec field and the kind of value it takes.
_STRING_FIELDS = {
    "context": "context",
    "dockerfile": "dockerfile",
    "dockerfile-inline": "dockerfile_inline",
    "target": "target",
    "network": "network",
    "shm-size": "shm_size",
    "call": "call",
}
_LIST_FIELDS = {
    "inherits": "inherits",
    "annotations": "annotations",
    "tags": "tags",
    "platforms": "platforms",
    "no-cache-filter": "no_cache_filter",
    "ulimits": "ulimits",
    "entitlements": "entitlements",
}
_NULLABLE_MAP_FIELDS = {"args": "args", "labels": "labels", "extra-hosts": "extra_hosts"}
_BOOL_FIELDS = {"pull": "pull", "no-cache": "no_cache"}

TARGET_ATTRIBUTES = frozenset(
    {
        "description",
        "contexts",
        "attest",
        "cache-from",
        "cache-to",
        "secret",
        "ssh",
        "output",
        *_STRING_FIELDS,
        *_LIST_FIELDS,
        *_NULLABLE_MAP_FIELDS,
        *_BOOL_FIELDS,
    }
)
GROUP_ATTRIBUTES = frozenset({"description", "targets"})


def decode_target(spec: TargetSpec, name: str, value: Any, where: Where) -> None:
    """Set the field of `spec` that attribute `name` names from its evaluated `value`."""
    try:
        _decode_target_field(spec, name, value)
    except (ConversionError, EntryError) as exc:
        raise BakeFileError(f'Unsuitable value for attribute "{name}": {exc}', where) from None


def _decode_target_field(spec: TargetSpec, name: str, value: Any) -> None:
    if name == "description":
        spec.description = "" if value is None else as_string(value)
    elif name in _STRING_FIELDS:
        setattr(spec, _STRING_FIELDS[name], None if value is None else as_string(value))
    elif name in _LIST_FIELDS:
        items = as_string_list(value)
        if name == "inherits":
            spec.inherits = items or []
        else:
            setattr(spec, _LIST_FIELDS[name], items)
    elif name in _NULLABLE_MAP_FIELDS:
        setattr(spec, _NULLABLE_MAP_FIELDS[name], as_string_map(value, nulls=True))
    elif name == "contexts":
        contexts = as_string_map(value, nulls=False)
        spec.contexts = None if contexts is None else {k: v or "" for k, v in contexts.items()}
    elif name in _BOOL_FIELDS:
        setattr(spec, _BOOL_FIELDS[name], as_bool(value))
    elif name in ("cache-from", "cache-to"):
        entries = _entries(value, _cache_entries)
        setattr(spec, "cache_from" if name == "cache-from" else "cache_to", entries)
    elif name == "output":
        spec.output = _entries(value, lambda v: [_one(v, ExportEntry.parse, ExportEntry.from_map)])
    elif name == "attest":
        spec.attest = _entries(value, lambda v: [_one(v, Attest.parse, Attest.from_map)])
    elif name == "secret":
        spec.secret = _entries(value, lambda v: [_one(v, Secret.parse, _secret_from_map)])
    elif name == "ssh":
        spec.ssh = _entries(value, lambda v: [_ssh(v)])
    else:
        raise ConversionError(f'An argument named "{name}" is not expected here.')


def decode_group(name: str, values: Mapping[str, tuple[Any, Where]]) -> GroupSpec:
    description = ""
    targets: tuple[str, ...] | None = None
    for key, (value, where) in values.items():
        try:
            if key == "description":
                description = "" if value is None else as_string(value)
            elif key == "targets":
                items = as_string_list(value)
                targets = None if items is None else tuple(items)
            else:
                raise ConversionError(f'An argument named "{key}" is not expected here.')
        except ConversionError as exc:
            raise BakeFileError(f'Unsuitable value for attribute "{key}": {exc}', where) from None
    return GroupSpec(name, description, targets)


def as_string(value: Any) -> str:
    text = to_string(value)
    if text is None:
        raise ConversionError("string required, but got null")
    return text


def as_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise ConversionError("bool required")


def as_string_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, tuple):
        raise ConversionError("list of string required")
    out = []
    for item in value:
        if item is None:
            raise ConversionError("null value is not allowed in a list of strings")
        out.append(as_string(item))
    return out


def as_string_map(value: Any, *, nulls: bool) -> dict[str, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConversionError("map of string required")
    out: dict[str, str | None] = {}
    for key in sorted(value):
        item = value[key]
        if item is None and not nulls:
            raise ConversionError(f'null value for "{key}" is not allowed')
        out[key] = None if item is None else as_string(item)
    return out


def _entries(value: Any, parse: Callable[[Any], list[_E]]) -> list[_E] | None:
    if value is None:
        return None
    if not isinstance(value, tuple):
        raise ConversionError("list of objects or strings required")
    out: list[_E] = []
    for item in value:
        if item == "":
            continue
        out.extend(parse(item))
    return out


def _one(value: Any, parse: Callable[[str], _E], from_map: Callable[[Mapping[str, str]], _E]) -> _E:
    if isinstance(value, str):
        return parse(value)
    if isinstance(value, dict):
        return from_map({k: as_string(v) for k, v in value.items() if v is not None})
    raise ConversionError("string or object required")


def _cache_entries(value: Any) -> list[CacheEntry]:
    if isinstance(value, str):
        return parse_cache_entries([value])
    return [_one(value, CacheEntry.parse, CacheEntry.from_map)]


def _secret_from_map(values: Mapping[str, str]) -> Secret:
    unknown = set(values) - {"id", "src", "env"}
    if unknown:
        raise ConversionError(f'unsupported attribute "{min(unknown)}"')
    return Secret(values.get("id", ""), values.get("src", ""), values.get("env", ""))


def _ssh(value: Any) -> SSHKey:
    if isinstance(value, str):
        return SSHKey.parse(value)
    if not isinstance(value, dict):
        raise ConversionError("string or object required")
    unknown = set(value) - {"id", "paths"}
    if unknown:
        raise ConversionError(f'unsupported attribute "{min(unknown)}"')
    ident = value.get("id")
    paths = as_string_list(value.get("paths"))
    return SSHKey("" if ident is None else as_string(ident), tuple(paths) if paths else None)
