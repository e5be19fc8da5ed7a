"""Each caller of `buildwright._specs` words its errors as before: bake as buildx's bake, the build
command as buildx's build (the texts differ on purpose)."""

from __future__ import annotations

import pytest

from buildwright.bakefile.entries import Attest, CacheEntry, EntryError, ExportEntry, Secret
from buildwright.client.attestations import parse_attestations
from buildwright.client.cache import parse_cache_specs
from buildwright.client.outputs import parse_output
from buildwright.client.session.secrets import parse_secret_spec
from buildwright.errors import UsageError

_BAD_CSV = 'parse error on line 1, column 9: bare " in non-quoted field'


def _bake_message(parse: object, text: str) -> str:
    assert callable(parse)
    with pytest.raises(EntryError) as info:
        parse(text)
    return str(info.value)


def _build_message(parse: object, text: str) -> str:
    assert callable(parse)
    with pytest.raises(UsageError) as info:
        parse(text)
    return str(info.value)


def test_cache_without_type() -> None:
    assert _bake_message(CacheEntry.parse, "ref=a") == 'type required form> "ref=a"'
    assert _build_message(parse_cache_specs, "ref=a") == 'type required for "ref=a"'


def test_attest_bad_disabled() -> None:
    assert _bake_message(Attest.parse, "type=sbom,disabled=x") == "invalid value disabled=x"
    assert _build_message(lambda v: parse_attestations([v]), "type=sbom,disabled=x") == (
        'invalid value disabled=x: strconv.ParseBool: parsing "x": invalid syntax'
    )


def test_bad_csv_is_framed_by_the_build_command_only() -> None:
    text = 'type=a,b"c'
    assert _bake_message(CacheEntry.parse, text) == _BAD_CSV
    assert _build_message(parse_cache_specs, text) == f"invalid cache spec {text!r}: {_BAD_CSV}"
    assert _bake_message(ExportEntry.parse, text) == _BAD_CSV
    assert _build_message(parse_output, text) == f"invalid output {text!r}: {_BAD_CSV}"
    assert _bake_message(Attest.parse, text) == _BAD_CSV
    assert _build_message(lambda v: parse_attestations([v]), text) == f"invalid --attest value {text!r}: {_BAD_CSV}"
    assert _bake_message(Secret.parse, text) == f"failed to parse csv secret: {_BAD_CSV}"
    assert _build_message(parse_secret_spec, text) == f"failed to parse csv secret: {_BAD_CSV}"


def test_empty_attest() -> None:
    assert _bake_message(Attest.parse, "") == "EOF"
    assert _build_message(lambda v: parse_attestations([v]), "") == "attestation type not specified"


def test_output_dest_absent_or_empty() -> None:
    assert parse_output("type=image").dest is None
    assert parse_output("type=local,dest=").dest == ""
    assert ExportEntry.parse("type=image").dest == ""
