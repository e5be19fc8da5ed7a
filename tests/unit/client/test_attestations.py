"""--attest / --provenance / --sbom -> solve attributes, as buildx combines them."""

from __future__ import annotations

import pytest

from buildwright.client.attestations import (
    DEFAULT_PROVENANCE,
    canonical,
    default_provenance_wanted,
    parse_attestations,
)
from buildwright.errors import BuildConfigError


def test_shorthands_and_attest_values() -> None:
    assert canonical("provenance", "true") == "type=provenance,disabled=false"
    assert canonical("provenance", "false") == "type=provenance,disabled=true"
    assert canonical("sbom", "generator=img") == "type=sbom,generator=img"
    wanted = parse_attestations(["type=provenance,mode=max,builder-id=x"], sbom="true")
    assert wanted.frontend_attrs(default_provenance=True) == {
        "attest:provenance": "type=provenance,builder-id=x,mode=max",
        "attest:sbom": "type=sbom",
    }


def test_default_provenance_only_when_none_was_asked_about() -> None:
    assert parse_attestations().frontend_attrs(default_provenance=True) == {"attest:provenance": DEFAULT_PROVENANCE}
    assert parse_attestations().frontend_attrs(default_provenance=False) == {}
    off = parse_attestations(provenance="false")
    assert off.frontend_attrs(default_provenance=True) == {}
    # A later value for the same type wins.
    again = parse_attestations(["type=provenance,mode=max"], provenance="false")
    assert again.frontend_attrs(default_provenance=True) == {}


def test_no_default_variable() -> None:
    assert default_provenance_wanted({})
    assert not default_provenance_wanted({"BUILDX_NO_DEFAULT_ATTESTATIONS": "1"})
    assert default_provenance_wanted({"BUILDX_NO_DEFAULT_ATTESTATIONS": "false"})
    with pytest.raises(BuildConfigError, match="invalid BUILDX_NO_DEFAULT_ATTESTATIONS"):
        default_provenance_wanted({"BUILDX_NO_DEFAULT_ATTESTATIONS": "sometimes"})


@pytest.mark.parametrize(
    ("value", "message"),
    [("mode=max", "attestation type not specified"), ("type=sbom,oops", "invalid value oops")],
)
def test_bad_values(value: str, message: str) -> None:
    with pytest.raises(BuildConfigError, match=message):
        parse_attestations([value])
