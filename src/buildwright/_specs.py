"""The `key=value,...` specs of cache entries, outputs, secrets and attestations, as buildx reads them.

The build command (client layer) and the bake-file reader both take these specs; this module is the
one reading of each into plain values. Errors are `SpecError`s whose text is what buildx prints for
a build; where bake prints something else (buildx has other wording there), the error is a
subclass that carries the parts so the bake reader can word it its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from buildwright._csvfields import CSVFieldError, csv_fields
from buildwright._golang import parse_bool
from buildwright._values import valueclass


class SpecError(ValueError):
    """A spec buildx refuses; the message says why."""


class SpecFieldsError(SpecError):
    """The spec is not one CSV record; the message is go-csvvalue's, which each caller frames."""


class MissingCacheTypeError(SpecError):
    """A typed cache spec without `type=`."""

    def __init__(self, spec: str) -> None:
        super().__init__(f'type required for "{spec}"')
        self.spec = spec


class DisabledValueError(SpecError):
    """An attestation's `disabled=` value that is not a Go boolean."""

    def __init__(self, item: str, value: str) -> None:
        super().__init__(f'invalid value {item}: strconv.ParseBool: parsing "{value}": invalid syntax')
        self.item = item
        self.value = value


@valueclass
class CacheFields:
    """One cache spec: the backend type and its attributes (keys lower-cased)."""

    type: str
    attrs: Mapping[str, str] = field(default_factory=dict)


@valueclass
class OutputFields:
    """One output spec: the exporter type, `dest` (None when not given) and the other attributes."""

    type: str
    dest: str | None = None
    attrs: Mapping[str, str] = field(default_factory=dict)


@valueclass
class SecretFields:
    """One secret spec; an empty string is a field not given."""

    id: str = ""
    src: str = ""
    env: str = ""


@valueclass
class AttestFields:
    """One attestation spec: its type, whether it is turned off, and its options (keys as written)."""

    type: str
    disabled: bool = False
    attrs: Mapping[str, str] = field(default_factory=dict)


def spec_fields(spec: str) -> list[str]:
    """The spec's CSV fields.

    Raises:
        SpecFieldsError: not one CSV record (an empty spec included).
    """
    try:
        return csv_fields(spec)
    except CSVFieldError as exc:
        raise SpecFieldsError(str(exc)) from None


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep:
        raise SpecError(f"invalid value {item}")
    return key, value


def parse_cache_spec(spec: str) -> CacheFields:
    """A cache spec: one bare reference (a registry cache) or `type=TYPE[,key=value...]`."""
    fields = spec_fields(spec)
    if len(fields) == 1 and "=" not in fields[0]:
        return CacheFields("registry", {"ref": fields[0]})
    kind = ""
    attrs: dict[str, str] = {}
    for item in fields:
        key, value = _pair(item)
        key = key.lower()
        if key == "type":
            kind = value
        else:
            attrs[key] = value
    if not kind:
        raise MissingCacheTypeError(spec)
    return CacheFields(kind, attrs)


def parse_output_spec(spec: str) -> OutputFields:
    """An output spec: a bare path (a local directory; `-` is a tar stream on stdout) or
    `type=TYPE[,dest=DEST][,key=value...]`."""
    fields = spec_fields(spec)
    if len(fields) == 1 and fields[0] == spec and not spec.startswith("type="):
        return OutputFields("tar" if spec == "-" else "local", spec)
    kind, dest = "", None
    attrs: dict[str, str] = {}
    for item in fields:
        key, value = _pair(item)
        key = key.strip().lower()
        if key == "type":
            kind = value
        elif key == "dest":
            dest = value
        else:
            attrs[key] = value
    if not kind:
        raise SpecError("type is required for output")
    return OutputFields(kind, dest, attrs)


def parse_secret_spec(spec: str) -> SecretFields:
    """A secret spec: `[type=file|env,]id=ID[,src|source=PATH][,env=VAR]`.

    With `type=env` and no `env=`, the source names the variable.
    """
    try:
        fields = csv_fields(spec)
    except CSVFieldError as exc:
        raise SpecError(f"failed to parse csv secret: {exc}") from None
    kind, ident, src, env = "", "", "", ""
    for item in fields:
        key, sep, value = item.partition("=")
        key = key.lower()
        if not sep:
            raise SpecError(f"invalid field '{item}' must be a key=value pair")
        if key == "type":
            if value not in ("file", "env"):
                raise SpecError(f'unsupported secret type "{value}"')
            kind = value
        elif key == "id":
            ident = value
        elif key in ("source", "src"):
            src = value
        elif key == "env":
            env = value
        else:
            raise SpecError(f"unexpected key '{key}' in '{item}'")
    if kind == "env" and not env:
        env, src = src, ""
    return SecretFields(ident, src, env)


def parse_attest_spec(spec: str, *, empty_is_untyped: bool = False) -> AttestFields:
    """An attestation spec: `type=TYPE[,disabled=BOOL][,key=value...]`.

    An empty spec is a CSV error, or with `empty_is_untyped` a spec without a type (the build
    command's reading).
    """
    fields = [] if empty_is_untyped and not spec else spec_fields(spec)
    kind, disabled = "", False
    attrs: dict[str, str] = {}
    for item in fields:
        key, value = _pair(item)
        name = key.strip().lower()
        if name == "type":
            kind = value
        elif name == "disabled":
            flag = parse_bool(value)
            if flag is None:
                raise DisabledValueError(item, value)
            disabled = flag
        else:
            attrs[key] = value
    if not kind:
        raise SpecError("attestation type not specified")
    return AttestFields(kind, disabled, attrs)
