"""Source ops: reference normalisation and attributes (upstream source.go, attr.go)."""

from __future__ import annotations

from typing import Any

import pytest

from buildwright import llb
from buildwright.errors import LLBError
from buildwright.llb import caps

from ._helpers import AMD64, last, parse_def


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("index.docker.io/user/app:v1", "docker.io/user/app:v1"),
        ("user/app", "docker.io/user/app:latest"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/team/app:dev", "localhost:5000/team/app:dev"),
        ("ghcr.io/o/r@sha256:" + "a" * 64, "ghcr.io/o/r@sha256:" + "a" * 64),
        ("alpine:3.19@sha256:" + "b" * 64, "docker.io/library/alpine:3.19@sha256:" + "b" * 64),
        ("Registry.Example.com/app", "Registry.Example.com/app:latest"),
    ],
)
def test_normalize_image_ref(ref: str, expected: str) -> None:
    assert llb.normalize_image_ref(ref) == expected


@pytest.mark.parametrize("ref", ["UPPER", "a" * 64, "busybox:", "bad//name", "x@sha256:abc"])
def test_invalid_image_ref(ref: str) -> None:
    with pytest.raises(LLBError):
        llb.normalize_image_ref(ref)


def _source(state: llb.State) -> tuple[Any, llb.Definition]:
    d = state.marshal(platform=AMD64, local_unique_id="uid")
    m, arr = parse_def(d)
    dgst, _ = last(arr)
    return m[dgst], d


def test_image_source_attrs_and_caps() -> None:
    op, d = _source(llb.image("alpine", resolve_mode=llb.ResolveMode.FORCE_PULL, record_type="internal"))
    assert op.source.identifier == "docker-image://docker.io/library/alpine:latest"
    assert dict(op.source.attrs) == {"image.resolvemode": "pull", "image.recordtype": "internal"}
    assert op.platform.OS == "linux" and op.platform.Architecture == "amd64"
    meta = d.metadata[d.digests[0]]
    assert meta.caps == frozenset({caps.SOURCE_IMAGE, caps.SOURCE_IMAGE_RESOLVE_MODE})


def test_image_default_resolve_mode_sets_no_attr() -> None:
    op, _ = _source(llb.image("alpine", resolve_mode=llb.ResolveMode.DEFAULT))
    assert dict(op.source.attrs) == {}
    op, d = _source(llb.image("alpine", resolve_mode=llb.ResolveMode.PREFER_LOCAL))
    assert dict(op.source.attrs) == {"image.resolvemode": "local"}
    assert d.metadata[d.digests[0]].caps == frozenset({caps.SOURCE_IMAGE})


def test_local_source_attrs() -> None:
    st = llb.local(
        "context",
        session_id="sess",
        shared_key_hint="context",
        include_patterns=["a", "b<c"],
        exclude_patterns=["*.tmp"],
        follow_paths=["Dockerfile"],
        differ=llb.DiffType.NONE,
    )
    op, d = _source(st)
    assert op.source.identifier == "local://context"
    assert not op.HasField("platform")  # local sources are not platform specific
    assert dict(op.source.attrs) == {
        "local.session": "sess",
        "local.sharedkeyhint": "context",
        "local.includepattern": '["a","b\\u003cc"]',
        "local.excludepatterns": '["*.tmp"]',
        "local.followpaths": '["Dockerfile"]',
        "local.differ": "none",
    }
    assert d.metadata[d.digests[0]].caps == frozenset(
        {
            caps.SOURCE_LOCAL,
            caps.SOURCE_LOCAL_SESSION_ID,
            caps.SOURCE_LOCAL_SHARED_KEY_HINT,
            caps.SOURCE_LOCAL_INCLUDE_PATTERNS,
            caps.SOURCE_LOCAL_EXCLUDE_PATTERNS,
            caps.SOURCE_LOCAL_FOLLOW_PATHS,
        }
    )


def test_local_without_session_gets_unique_id() -> None:
    op, d = _source(llb.local("ctx"))
    assert dict(op.source.attrs) == {"local.unique": "uid"}
    assert caps.SOURCE_LOCAL_UNIQUE in d.metadata[d.digests[0]].caps
    own = llb.local("ctx", local_unique_id="mine").marshal(platform=AMD64, local_unique_id="uid")
    _m, arr = parse_def(own)
    assert dict(arr[0].source.attrs) == {"local.unique": "mine"}
    with pytest.raises(LLBError):
        llb.local("ctx").marshal(platform=AMD64)


def test_http_source_attrs() -> None:
    op, d = _source(llb.http("https://example.com/f.tgz", checksum="sha256:" + "0" * 64, filename="f", perm=0o644))
    assert op.source.identifier == "https://example.com/f.tgz"
    assert dict(op.source.attrs) == {"http.checksum": "sha256:" + "0" * 64, "http.filename": "f", "http.perm": "0644"}
    assert not op.HasField("platform")
    assert d.metadata[d.digests[0]].caps == frozenset(
        {caps.SOURCE_HTTP, caps.SOURCE_HTTP_CHECKSUM, caps.SOURCE_HTTP_PERM}
    )


def test_image_platform_overrides_marshal_platform() -> None:
    op, _ = _source(llb.image("alpine", platform=llb.Platform("linux", "arm", "v7")))
    assert (op.platform.Architecture, op.platform.Variant) == ("arm", "v7")
