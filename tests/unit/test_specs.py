"""The shared reading of cache, output, secret and attestation specs (`buildwright._specs`)."""

from __future__ import annotations

import pytest

from buildwright import _specs
from buildwright._golang import parse_bool
from buildwright._specs import (
    AttestFields,
    CacheFields,
    DisabledValueError,
    MissingCacheTypeError,
    OutputFields,
    SecretFields,
    SpecError,
    SpecFieldsError,
)


def test_cache_bare_reference_is_a_registry_cache() -> None:
    assert _specs.parse_cache_spec("user/app:cache") == CacheFields("registry", {"ref": "user/app:cache"})


def test_cache_typed_spec_lowercases_keys_and_keeps_values() -> None:
    parsed = _specs.parse_cache_spec("TYPE=local,Dest=/tmp/Out,mode=max")
    assert parsed == CacheFields("local", {"dest": "/tmp/Out", "mode": "max"})


def test_cache_quoted_field_may_hold_commas() -> None:
    parsed = _specs.parse_cache_spec('type=registry,"ref=a,b"')
    assert parsed.attrs == {"ref": "a,b"}


def test_cache_field_without_equals_is_refused() -> None:
    with pytest.raises(SpecError, match=r"^invalid value ref$"):
        _specs.parse_cache_spec("type=registry,ref")


def test_cache_without_type_carries_the_spec() -> None:
    with pytest.raises(MissingCacheTypeError) as info:
        _specs.parse_cache_spec("ref=a,mode=max")
    assert info.value.spec == "ref=a,mode=max"
    assert str(info.value) == 'type required for "ref=a,mode=max"'


def test_bad_csv_is_a_fields_error_with_go_csvvalue_text() -> None:
    with pytest.raises(SpecFieldsError, match='bare " in non-quoted field'):
        _specs.parse_cache_spec('type=local,dest=a"b')
    with pytest.raises(SpecFieldsError, match=r"^EOF$"):
        _specs.parse_output_spec("")


def test_output_bare_path_and_stdout() -> None:
    assert _specs.parse_output_spec("out/dir") == OutputFields("local", "out/dir")
    assert _specs.parse_output_spec("-") == OutputFields("tar", "-")


def test_output_typed_spec_splits_dest_from_attrs() -> None:
    parsed = _specs.parse_output_spec("type=oci, Dest =x.tar,tar=false")
    assert parsed == OutputFields("oci", "x.tar", {"tar": "false"})
    assert _specs.parse_output_spec("type=image,push=true").dest is None


def test_output_single_type_field_is_not_a_path() -> None:
    assert _specs.parse_output_spec("type=cacheonly") == OutputFields("cacheonly")


def test_output_errors() -> None:
    with pytest.raises(SpecError, match=r"^type is required for output$"):
        _specs.parse_output_spec("dest=x,push=true")
    with pytest.raises(SpecError, match=r"^invalid value push$"):
        _specs.parse_output_spec("type=image,push")


def test_secret_fields_and_aliases() -> None:
    assert _specs.parse_secret_spec("id=a,src=f") == SecretFields("a", "f", "")
    assert _specs.parse_secret_spec("ID=a,Source=f,env=V") == SecretFields("a", "f", "V")


def test_secret_env_type_reads_source_as_variable() -> None:
    assert _specs.parse_secret_spec("type=env,id=a,src=VAR") == SecretFields("a", "", "VAR")
    assert _specs.parse_secret_spec("type=env,id=a,src=f,env=V") == SecretFields("a", "f", "V")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("id=a,src", "invalid field 'src' must be a key=value pair"),
        ("type=ssh,id=a", 'unsupported secret type "ssh"'),
        ("id=a,Mode=1", "unexpected key 'mode' in 'Mode=1'"),
        ('id="a', 'failed to parse csv secret: parse error on line 1, column 4: bare " in non-quoted field'),
    ],
)
def test_secret_errors(spec: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        _specs.parse_secret_spec(spec)
    assert str(info.value) == message
    assert not isinstance(info.value, SpecFieldsError)


def test_attest_options_keep_their_spelling() -> None:
    parsed = _specs.parse_attest_spec("type=sbom,Generator=img,disabled=false")
    assert parsed == AttestFields("sbom", False, {"Generator": "img"})
    assert _specs.parse_attest_spec("Type=provenance,DISABLED=T").disabled is True


def test_attest_bad_disabled_carries_item_and_value() -> None:
    with pytest.raises(DisabledValueError) as info:
        _specs.parse_attest_spec("type=sbom,disabled=yes")
    assert (info.value.item, info.value.value) == ("disabled=yes", "yes")
    assert str(info.value) == 'invalid value disabled=yes: strconv.ParseBool: parsing "yes": invalid syntax'


def test_attest_empty_spec_is_csv_error_unless_read_as_untyped() -> None:
    with pytest.raises(SpecFieldsError):
        _specs.parse_attest_spec("")
    with pytest.raises(SpecError, match=r"^attestation type not specified$"):
        _specs.parse_attest_spec("", empty_is_untyped=True)
    with pytest.raises(SpecError, match=r"^attestation type not specified$"):
        _specs.parse_attest_spec("mode=max")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", True), ("t", True), ("TRUE", True), ("True", True), ("0", False), ("F", False), ("false", False)],
)
def test_go_parse_bool_spellings(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["", "yes", "tRUE", " true", "2"])
def test_go_parse_bool_refuses_others(text: str) -> None:
    assert parse_bool(text) is None
