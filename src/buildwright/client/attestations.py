"""Attestations (`--attest`, `--provenance`, `--sbom`) as buildx turns them into solve attributes.

Each `--attest` value is CSV with a `type` (`provenance`, `sbom`) and that type's options;
`--provenance VALUE` and `--sbom VALUE` are shorthands (`true`/`false`, or options such as
`mode=max`). A later value for a type replaces an earlier one; `disabled=true` (or `false` for a
shorthand) turns the type off. The engine writes the attestations itself when the solve carries
`attest:TYPE` attributes; a dockerd without the containerd image store cannot store them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import field

from buildwright import _specs
from buildwright._golang import parse_bool
from buildwright._values import valueclass
from buildwright.errors import BuildConfigError, UsageError

ATTEST_DOCS = "https://docs.docker.com/go/attestations/"
# What buildx asks for when no provenance option is given and the engine can store it.
DEFAULT_PROVENANCE = "mode=min,inline-only=true"
NO_DEFAULT_ENV = "BUILDX_NO_DEFAULT_ATTESTATIONS"


@valueclass
class Attestations:
    """The asked-for attestations by type: options text, or None where the type is turned off."""

    by_type: Mapping[str, str | None] = field(default_factory=dict)

    def requested(self) -> dict[str, str]:
        return {kind: value for kind, value in self.by_type.items() if value is not None}

    def frontend_attrs(self, *, default_provenance: bool) -> dict[str, str]:
        """`attest:TYPE` attributes, with buildx's minimal provenance when none was asked about."""
        attrs = {f"attest:{kind}": value for kind, value in self.requested().items()}
        if default_provenance and "provenance" not in self.by_type:
            attrs["attest:provenance"] = DEFAULT_PROVENANCE
        return attrs


def canonical(kind: str, value: str) -> str:
    """A shorthand's value as an `--attest` value (`--provenance=false` -> `type=provenance,disabled=true`)."""
    flag = parse_bool(value)
    if flag is not None:
        return f"type={kind},disabled={'false' if flag else 'true'}"
    return f"type={kind},{value}"


def parse_attestations(attest: Iterable[str] = (), *, provenance: str = "", sbom: str = "") -> Attestations:
    """`--attest` values, then the shorthands, as buildx combines them.

    Raises:
        BuildConfigError: a field without `=`, no `type`, a bad `disabled` value.
    """
    values = list(attest)
    if provenance:
        values.append(canonical("provenance", provenance))
    if sbom:
        values.append(canonical("sbom", sbom))
    by_type: dict[str, str | None] = {}
    for value in values:
        kind, disabled, options = _parse_one(value)
        # A later value for the same type replaces the earlier one, in its place.
        by_type[kind] = None if disabled else _csv([f"type={kind}", *options])
    return Attestations(by_type)


def _parse_one(value: str) -> tuple[str, bool, list[str]]:
    try:
        parsed = _specs.parse_attest_spec(value, empty_is_untyped=True)
    except _specs.SpecFieldsError as exc:
        raise UsageError(f"invalid --attest value {value!r}: {exc}") from exc
    except _specs.SpecError as exc:
        raise UsageError(str(exc)) from exc
    options = parsed.attrs
    return parsed.type, parsed.disabled, [f"{key}={options[key]}" for key in sorted(options)]


def _csv(items: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(items)
    return out.getvalue()


def default_provenance_wanted(env: Mapping[str, str]) -> bool:
    """Whether buildx's default provenance applies (`BUILDX_NO_DEFAULT_ATTESTATIONS` unset or false).

    Raises:
        BuildConfigError: the variable holds something that is not a boolean.
    """
    raw = env.get(NO_DEFAULT_ENV)
    if raw is None:
        return True
    flag = parse_bool(raw)
    if flag is None:
        raise BuildConfigError(f'invalid {NO_DEFAULT_ENV}: strconv.ParseBool: parsing "{raw}": invalid syntax')
    return not flag


def unsupported_message() -> str:
    return (
        "Attestation is not supported for the docker driver.\n"
        "Switch to a different driver, or turn on the containerd image store, and try again.\n"
        f"Learn more at {ATTEST_DOCS}"
    )
