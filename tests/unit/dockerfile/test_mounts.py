"""`RUN --mount` parsing: types, keys, defaults and errors (dispatch-time pass)."""

from __future__ import annotations

import pytest

from buildwright._csvfields import csv_fields
from buildwright._units import ram_in_bytes
from buildwright.dockerfile.mounts import MountError, MountSpec, parse_mount


def full(value: str) -> MountSpec:
    return parse_mount(value, lambda word: word)


def test_defaults_per_type() -> None:
    assert full("target=/x") == MountSpec(type="bind", target="/x", readonly=True)
    assert full("type=cache,target=/c").readonly is False
    assert full("type=tmpfs,target=/t,size=64m").size_limit == 64 << 20
    assert full("type=secret,id=s").readonly is True
    assert full("type=bind,target=/x,rw").readonly is False
    assert full("type=bind,target=/x,readwrite=false").readonly is True


def test_all_cache_keys() -> None:
    spec = full("type=cache,id=i,target=/c,sharing=Locked,from=s,source=/p,mode=0755,uid=1,gid=2,ro")
    assert (spec.cache_id, spec.cache_sharing, spec.from_stage, spec.source) == ("i", "locked", "s", "/p")
    assert (spec.mode, spec.uid, spec.gid, spec.readonly) == (0o755, 1, 2, True)


def test_secret_and_ssh() -> None:
    spec = full("type=secret,src=tok,env=TOKEN,required")
    assert (spec.source, spec.env, spec.required) == ("tok", "TOKEN", True)
    assert full("type=ssh,required=false").required is False


def test_parse_time_pass_reads_only_from() -> None:
    assert parse_mount("type=cache,from=stage,bogus") == MountSpec(from_stage="stage", readonly=True)
    assert parse_mount("from=a$").from_stage == "a$"


def test_expander_is_applied_to_values() -> None:
    spec = parse_mount("type=cache,target=$T", lambda word: word.replace("$T", "/tgt"))
    assert spec.target == "/tgt"


ERRORS = [
    ("", "failed to parse csv mounts: EOF"),
    ("type=foo", 'unsupported mount type "foo"'),
    ("type=cahce", 'unsupported mount type "cahce" (did you mean cache?)'),
    ("type=cache,sharing=nope", 'unsupported sharing value "nope"'),
    ("required,type=secret", "unexpected key 'required' for mount type 'bind'"),
    ("type=bind,required=true", "unexpected key 'required' for mount type 'bind'"),
    ("type=cache,size=1", "unexpected key 'size' for mount type 'cache'"),
    ("type=tmpfs,size=big", "invalid value for size: big"),
    ("ro=maybe", "invalid value for ro: maybe"),
    ("rw=maybe", "invalid value for rw: maybe"),
    ("type=secret,required=x", "invalid value for required: x"),
    ("type=cache,mode=9", "invalid value 9 for mode"),
    ("type=cache,uid=-1", "invalid value -1 for uid"),
    ("type=cache,gid=x", "invalid value x for gid"),
    ("bogus", "invalid field 'bogus' must be a key=value pair"),
    ("targt=/x", "unexpected key 'targt' in 'targt=/x' (did you mean target?)"),
    ("type=bind,mode=0700", 'mode not allowed for "bind" type mounts'),
    ("type=tmpfs,uid=1", 'uid not allowed for "tmpfs" type mounts'),
    ("gid=1", 'gid not allowed for "bind" type mounts'),
    ("type=secret,id=a,from=b", "secret mount should not have a from"),
    ("type=secret,id=a,sharing=shared", "secret mount should not define sharing"),
    ("type=secret", "invalid secret mount. one of source, target required"),
    ("type=secret,id=a,source=b", "both source and id can't be set"),
    ("type=bind,sharing=shared", "invalid cache sharing set for bind mount"),
    ('"a"b', 'failed to parse csv mounts: parse error on line 1, column 3: extraneous or missing " in quoted-field'),
    ('"ab', 'failed to parse csv mounts: parse error on line 1, column 2: extraneous or missing " in quoted-field'),
]


@pytest.mark.parametrize(("value", "message"), ERRORS)
def test_errors(value: str, message: str) -> None:
    with pytest.raises(MountError) as info:
        full(value)
    assert str(info.value) == message


def test_csv_quotes() -> None:
    assert csv_fields('a,"b,c","d""e",') == ["a", "b,c", 'd"e', ""]


@pytest.mark.parametrize(
    ("size", "expected"),
    [("64m", 64 << 20), ("1g", 1 << 30), ("512KiB", 512 << 10), ("10 MB", 10 << 20), ("100", 100), ("1.5k", 1536)],
)
def test_ram_in_bytes(size: str, expected: int) -> None:
    assert ram_in_bytes(size) == expected


@pytest.mark.parametrize("size", ["", "m", "-1", "1x", "1kbb", "1bb"])
def test_ram_in_bytes_invalid(size: str) -> None:
    assert ram_in_bytes(size) is None
