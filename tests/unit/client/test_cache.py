"""Cache specs (`--cache-from`/`--cache-to`), the client's checks, and the local index bookkeeping."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest

from buildwright._pb import control_pb2
from buildwright.client.cache import (
    CACHE_IMPORTS_ATTR,
    SNAPSHOTTER_LABEL,
    CacheEntry,
    check_cache_export,
    inline_cache_from_build_args,
    parse_cache_specs,
    plan_cache,
    stores_attestations,
)
from buildwright.client.connection import EngineInfo
from buildwright.client.endpoint import parse_endpoint
from buildwright.client.ocilayout import find_tag, put_tag
from buildwright.client.solve import _refusal
from buildwright.errors import BuildConfigError, EngineError, OutputError

_DIGEST = "sha256:" + "ab" * 32
_MANIFEST = {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": _DIGEST,
    "size": 1231,
}


# -- parsing ---------------------------------------------------------------------------------------
def test_a_bare_reference_is_a_registry_cache() -> None:
    assert parse_cache_specs(["user/app:cache"]) == (CacheEntry("registry", {"ref": "user/app:cache"}),)


def test_comma_separated_references_are_several_registry_caches() -> None:
    assert parse_cache_specs(["a/b:1,c/d:2"]) == (
        CacheEntry("registry", {"ref": "a/b:1"}),
        CacheEntry("registry", {"ref": "c/d:2"}),
    )


def test_typed_specs_keep_their_attributes_and_lowercase_keys() -> None:
    (entry,) = parse_cache_specs(["type=local,DEST=/tmp/c,mode=max"])
    assert entry == CacheEntry("local", {"dest": "/tmp/c", "mode": "max"})
    assert str(entry) == "type=local,dest=/tmp/c,mode=max"
    assert str(CacheEntry("registry", {"ref": "x/y:z"})) == "x/y:z"


def test_quoted_fields_may_hold_commas() -> None:
    (entry,) = parse_cache_specs(['type=local,"dest=/tmp/a,b"'])
    assert entry.attrs == {"dest": "/tmp/a,b"}


def test_empty_specs_are_skipped_and_a_single_string_is_one_spec() -> None:
    assert parse_cache_specs(["", "type=inline"]) == (CacheEntry("inline"),)
    assert parse_cache_specs("type=inline") == (CacheEntry("inline"),)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mode=max", 'type required for "mode=max"'),
        ("type=local,dest", "invalid value dest"),
    ],
)
def test_bad_specs_are_refused_like_buildx(spec: str, message: str) -> None:
    with pytest.raises(BuildConfigError, match=message):
        parse_cache_specs([spec])


@pytest.mark.parametrize(("value", "wanted"), [("1", True), ("true", True), ("0", False), ("yes", False)])
def test_buildkit_inline_cache_build_arg(value: str, wanted: bool) -> None:
    got = inline_cache_from_build_args({"BUILDKIT_INLINE_CACHE": value})
    assert got == ((CacheEntry("inline"),) if wanted else ())
    assert inline_cache_from_build_args({}) == ()


# -- what the engine can export --------------------------------------------------------------------
def test_dockerd_without_containerd_store_exports_only_inline() -> None:
    registry = (CacheEntry("registry", {"ref": "r/x:c"}),)
    with pytest.raises(BuildConfigError, match="Cache export is not supported for the docker driver"):
        check_cache_export(registry, is_dockerd=True, worker_labels={})
    check_cache_export((CacheEntry("inline"),), is_dockerd=True, worker_labels={})
    check_cache_export(registry, is_dockerd=True, worker_labels={SNAPSHOTTER_LABEL: "overlayfs"})
    check_cache_export(registry, is_dockerd=False, worker_labels={})


# -- planning ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exports", "imports", "message"),
    [
        ([CacheEntry("local", {"mode": "max"})], [], "local cache exporter requires dest"),
        ([CacheEntry("registry", {"mode": "max"})], [], "registry cache exporter requires ref"),
        ([], [CacheEntry("local", {})], "local cache importer requires src"),
        ([], [CacheEntry("registry", {})], "registry cache importer requires ref"),
    ],
)
def test_required_attributes(exports: list[CacheEntry], imports: list[CacheEntry], message: str) -> None:
    with pytest.raises(BuildConfigError, match=message):
        plan_cache(exports, imports)


def test_local_export_makes_the_store_and_records_the_manifest_under_its_tag(tmp_path: Path) -> None:
    dest = tmp_path / "cache"
    plan = plan_cache([CacheEntry("local", {"dest": str(dest), "tag": "v1"})], [])
    assert (dest / "ingest").is_dir()
    assert set(plan.stores) == {f"local:{dest}"}
    plan.finish({"cache.manifest": json.dumps(_MANIFEST)})
    # The bytes buildx's client writes for the same descriptor.
    assert (dest / "index.json").read_text() == (
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":'
        '[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:' + "ab" * 32 + '",'
        '"size":1231,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}'
    )
    assert (dest / "oci-layout").read_text() == '{"imageLayoutVersion":"1.0.0"}'


def test_a_new_export_replaces_the_tag_and_keeps_other_tags(tmp_path: Path) -> None:
    put_tag(tmp_path, _MANIFEST, "latest")
    put_tag(tmp_path, {**_MANIFEST, "digest": "sha256:" + "cd" * 32}, "other")
    put_tag(tmp_path, {**_MANIFEST, "digest": "sha256:" + "ef" * 32}, "latest")
    manifests = json.loads((tmp_path / "index.json").read_text())["manifests"]
    assert [m["digest"][7:9] for m in manifests] == ["cd", "ef"]
    found = find_tag(tmp_path, "latest")
    assert found is not None and found["digest"] == "sha256:" + "ef" * 32


def test_local_import_asks_for_the_tagged_manifest(tmp_path: Path) -> None:
    put_tag(tmp_path, _MANIFEST, "latest")
    plan = plan_cache([], [CacheEntry("local", {"src": str(tmp_path)})])
    assert plan.imports == (CacheEntry("local", {"src": str(tmp_path), "digest": _DIGEST}),)
    assert set(plan.stores) == {f"local:{tmp_path}"}
    assert json.loads(plan.frontend_attrs()[CACHE_IMPORTS_ATTR]) == [
        {"Type": "local", "Attrs": {"digest": _DIGEST, "src": str(tmp_path)}}
    ]
    (entry,) = plan.gateway_imports()
    assert entry.Type == "local" and dict(entry.Attrs)["digest"] == _DIGEST


def test_local_import_without_an_index_is_skipped(tmp_path: Path) -> None:
    plan = plan_cache([], [CacheEntry("local", {"src": str(tmp_path / "missing")})])
    assert plan.imports == () and not plan.stores and plan.frontend_attrs() == {}
    assert not (tmp_path / "missing").exists()


def test_local_import_of_an_unknown_tag_is_an_error(tmp_path: Path) -> None:
    put_tag(tmp_path, _MANIFEST, "latest")
    with pytest.raises(BuildConfigError, match=r'"latest" tag or custom tag on index\.json'):
        plan_cache([], [CacheEntry("local", {"src": str(tmp_path), "tag": "nope"})])


def test_solve_request_carries_exports_and_imports() -> None:
    plan = plan_cache(
        [CacheEntry("registry", {"ref": "r/x:c", "mode": "max"}), CacheEntry("inline")],
        [CacheEntry("registry", {"ref": "r/x:c"})],
    )
    request = control_pb2.SolveRequest()
    plan.apply(request)
    assert [(e.Type, dict(e.Attrs)) for e in request.Cache.Exports] == [
        ("registry", {"ref": "r/x:c", "mode": "max"}),
        ("inline", {}),
    ]
    assert [(e.Type, dict(e.Attrs)) for e in request.Cache.Imports] == [("registry", {"ref": "r/x:c"})]


def test_finish_without_a_manifest_or_with_a_bad_one(tmp_path: Path) -> None:
    plan = plan_cache([CacheEntry("local", {"dest": str(tmp_path)})], [])
    plan.finish({})
    assert not (tmp_path / "index.json").exists()
    with pytest.raises(OutputError, match="unreadable cache manifest"):
        plan.finish({"cache.manifest": "{not json"})


# -- an engine that refuses the request ---------------------------------------------------------------
class _FailedSolve(grpc.RpcError):  # type: ignore[misc]
    """A Control.Solve future that already ended with the engine's error."""

    def __init__(self, details: str) -> None:
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self._details

    def result(self, timeout: float | None = None) -> None:
        raise self


def test_a_refused_request_reports_the_engines_reason() -> None:
    future = _FailedSolve('unknown cache exporter: "nosuch"')
    gone = EngineError("gateway ping on docker:///x failed: forwarding Ping: no such job abc")
    assert _refusal(gone, future) == 'unknown cache exporter: "nosuch"'
    # Any other frontend failure is its own error, not the engine's refusal.
    assert _refusal(EngineError("session tunnel failed: reset"), future) is None


class _ProbedOnly:
    """A connection with only what the probe learned: no stub to ask the engine anything more."""

    def __init__(self, labels: dict[str, str]) -> None:
        self.info = EngineInfo(parse_endpoint("docker://"), (), worker_labels=labels)


def test_attestation_support_comes_from_the_probe_labels() -> None:
    assert stores_attestations(_ProbedOnly({SNAPSHOTTER_LABEL: "overlayfs"}))  # type: ignore[arg-type]
    assert not stores_attestations(_ProbedOnly({}))  # type: ignore[arg-type]
