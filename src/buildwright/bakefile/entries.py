"""The structured list fields of a bake target: cache entries, outputs, secrets, ssh keys, attestations.

Each is read from a `key=value,...` string (as on the command line) or from a map, kept as a frozen
value, and written as `--print` shows it (buildx's JSON forms: caches, outputs and attestations are one
flat object with `type`; secrets and ssh keys are objects of their named fields).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from buildwright import _specs
from buildwright._golang import parse_bool
from buildwright._values import valueclass

P = TypeVar("P")  # what a shared spec parser returns


class EntryError(ValueError):
    """A value of a structured field that buildx refuses; the message says why."""


def _entry_error(exc: _specs.SpecError) -> EntryError:
    # bake's wording where it differs from the build command's (buildx's bake has its own text).
    if isinstance(exc, _specs.MissingCacheTypeError):
        return EntryError(f'type required form> "{exc.spec}"')
    if isinstance(exc, _specs.DisabledValueError):
        return EntryError(f"invalid value {exc.item}")
    return EntryError(str(exc))


def _read(parse: Callable[[str], P], text: str) -> P:
    """One spec read by the shared parser, its error worded as bake words it."""
    try:
        return parse(text)
    except _specs.SpecError as exc:
        raise _entry_error(exc) from None


def _fields(text: str) -> list[str]:
    return _read(_specs.spec_fields, text)


def _frozen(attrs: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(attrs))


@valueclass
class CacheEntry:
    """One `cache-from`/`cache-to` entry."""

    type: str
    attrs: Mapping[str, str] = field(default_factory=lambda: _frozen({}))

    @classmethod
    def parse(cls, text: str) -> CacheEntry:
        parsed = _read(_specs.parse_cache_spec, text)
        return cls(parsed.type, _frozen(parsed.attrs))

    @classmethod
    def from_map(cls, values: Mapping[str, str]) -> CacheEntry:
        attrs = {k: v for k, v in values.items() if k != "type"}
        kind = values.get("type", "")
        if not kind:
            raise EntryError("type required form> " + _go_map_text(values))
        return cls(kind, _frozen(attrs))

    def to_json(self) -> dict[str, Any]:
        return _sorted({**self.attrs, "type": self.type})


def parse_cache_entries(values: Sequence[str]) -> list[CacheEntry]:
    """A list of cache strings: one without `=` may hold several comma-separated registry refs."""
    out: list[CacheEntry] = []
    for text in values:
        if not text:
            continue
        if "=" not in text:
            out.extend(CacheEntry.parse(item) for item in _fields(text))
        else:
            out.append(CacheEntry.parse(text))
    return out


@valueclass
class ExportEntry:
    """One `output` entry."""

    type: str
    attrs: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    dest: str = ""

    @classmethod
    def parse(cls, text: str) -> ExportEntry:
        parsed = _read(_specs.parse_output_spec, text)
        return cls(parsed.type, _frozen(parsed.attrs), parsed.dest or "")

    @classmethod
    def from_map(cls, values: Mapping[str, str]) -> ExportEntry:
        attrs = {k: v for k, v in values.items() if k not in ("type", "dest")}
        kind = values.get("type", "")
        if not kind:
            raise EntryError("type is required for output")
        return cls(kind, _frozen(attrs), values.get("dest", ""))

    def with_attr(self, key: str, value: str) -> ExportEntry:
        return ExportEntry(self.type, _frozen({**self.attrs, key: value}), self.dest)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {**self.attrs, "type": self.type}
        if self.dest:
            data["dest"] = self.dest
        return _sorted(data)


@valueclass
class Secret:
    """One `secret` entry."""

    id: str = ""
    src: str = ""
    env: str = ""

    @classmethod
    def parse(cls, text: str) -> Secret:
        parsed = _read(_specs.parse_secret_spec, text)
        return cls(parsed.id, parsed.src, parsed.env)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in (("id", self.id), ("src", self.src), ("env", self.env)) if v}


@valueclass
class SSHKey:
    """One `ssh` entry: an agent or key id and its paths."""

    id: str = ""
    paths: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, text: str) -> SSHKey:
        ident, sep, paths = text.partition("=")
        return cls(ident, tuple(paths.split(",")) if sep else None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.id:
            data["id"] = self.id
        if self.paths:
            data["paths"] = list(self.paths)
        return data


@valueclass
class Attest:
    """One `attest` entry."""

    type: str
    disabled: bool = False
    attrs: Mapping[str, str] = field(default_factory=lambda: _frozen({}))

    @classmethod
    def parse(cls, text: str) -> Attest:
        parsed = _read(_specs.parse_attest_spec, text)
        return cls(parsed.type, parsed.disabled, _frozen(parsed.attrs))

    @classmethod
    def from_map(cls, values: Mapping[str, str]) -> Attest:
        kind, disabled = "", False
        attrs: dict[str, str] = {}
        for key, value in sorted(values.items()):
            if key == "type":
                kind = value
            elif key == "disabled":
                disabled = parse_go_bool(value, f'strconv.ParseBool: parsing "{value}": invalid syntax')
            else:
                attrs[key] = value
        return cls(kind, disabled, _frozen(attrs))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {**self.attrs, "type": self.type}
        if self.disabled:
            data["disabled"] = True
        return _sorted(data)


def parse_go_bool(text: str, message: str) -> bool:
    """Go's strconv.ParseBool; `message` is the error for a value it refuses."""
    flag = parse_bool(text)
    if flag is None:
        raise EntryError(message)
    return flag


def _sorted(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in sorted(data)}


def _go_map_text(values: Mapping[str, str]) -> str:
    inner = ",".join(f'"{k}":"{v}"' for k, v in sorted(values.items()))
    return '"{' + inner + '}"'


class _Keyed(Protocol):
    @property
    def id(self) -> str: ...


class _Typed(Protocol):
    @property
    def type(self) -> str: ...


K = TypeVar("K", bound=_Keyed)
T = TypeVar("T", bound=_Typed)
E = TypeVar("E")


def dedupe_equal(entries: list[E]) -> list[E]:
    """buildx's removal of equal entries: from the end backwards, a later equal entry is swapped with
    the last one and dropped, so the order after a removal is not the input order."""
    items = list(entries)
    i = len(items) - 2
    while i >= 0:
        elem = items[i]
        for j in range(i + 1, len(items)):
            if elem == items[j]:
                items[j], items[-1] = items[-1], items[j]
                items.pop()
                break
        i -= 1
    return items


def _dedupe_by_key(entries: list[E], key: Callable[[E], str]) -> list[E]:
    """A later entry with the same key replaces the earlier one in its place."""
    out: list[E] = []
    index: dict[str, int] = {}
    for entry in entries:
        name = key(entry)
        if name in index:
            out[index[name]] = entry
        else:
            index[name] = len(out)
            out.append(entry)
    return out


def dedupe_by_id(entries: list[K]) -> list[K]:
    """Secrets and ssh keys: a later entry with the same id replaces the earlier one in its place."""
    return _dedupe_by_key(entries, lambda entry: entry.id)


def dedupe_by_type(entries: list[T]) -> list[T]:
    """Attestations: a later entry of the same type replaces the earlier one in its place."""
    return _dedupe_by_key(entries, lambda entry: entry.type)
