"""Target merging, normalizing, --set handlers and the structured entries, as buildx's Target does."""

from __future__ import annotations

import pytest

from buildwright.bakefile.entries import (
    Attest,
    CacheEntry,
    EntryError,
    ExportEntry,
    Secret,
    SSHKey,
    dedupe_equal,
    parse_cache_entries,
)
from buildwright.bakefile.target import Override, TargetSpec, set_load, set_push


def test_entries_parse_as_buildx() -> None:
    assert CacheEntry.parse("user/app:cache").to_json() == {"ref": "user/app:cache", "type": "registry"}
    assert [c.to_json() for c in parse_cache_entries(["a:1,b:2"])] == [
        {"ref": "a:1", "type": "registry"},
        {"ref": "b:2", "type": "registry"},
    ]
    assert ExportEntry.parse("./out").to_json() == {"dest": "./out", "type": "local"}
    assert ExportEntry.parse("-").to_json() == {"dest": "-", "type": "tar"}
    assert ExportEntry.parse("type=image,name=x,push=true").to_json() == {"name": "x", "push": "true", "type": "image"}
    assert Secret.parse("type=env,id=a,src=VAR").to_json() == {"env": "VAR", "id": "a"}
    assert SSHKey.parse("default=a,b").to_json() == {"id": "default", "paths": ["a", "b"]}
    assert Attest.parse("type=sbom,disabled=true").to_json() == {"disabled": True, "type": "sbom"}
    with pytest.raises(EntryError, match="type is required"):
        ExportEntry.parse("name=x,push=true")
    with pytest.raises(EntryError, match="unsupported secret type"):
        Secret.parse("type=other,id=x")


def test_equal_entries_are_removed_with_buildx_swap_order() -> None:
    # buildx drops a later duplicate by swapping it with the last entry, so order can change.
    a, b, c = CacheEntry("a"), CacheEntry("b"), CacheEntry("c")
    assert dedupe_equal([a, b, a, c]) == [a, b, c]
    assert dedupe_equal([a, a, b, c]) == [a, c, b]


def test_merge_replaces_scalars_and_some_lists_and_combines_the_rest() -> None:
    base = TargetSpec("base", tags=["t1"], args={"A": "1", "B": "1"}, annotations=["x"], output=[ExportEntry("docker")])
    child = TargetSpec("child", tags=["t2"], args={"B": "2", "C": None}, annotations=["y"], context="ctx")
    base.merge(child)
    assert base.tags == ["t2"]
    assert base.args == {"A": "1", "B": "2"}
    assert base.annotations == ["x", "y"]
    assert base.output == [ExportEntry("docker")]
    assert base.context == "ctx"


def test_normalize_removes_duplicates_and_empties_and_host_network_entitles() -> None:
    spec = TargetSpec("t", tags=["a", "", "a", "b"], network="host", contexts={"x": ""})
    spec.normalize()
    assert spec.tags == ["a", "b"]
    assert spec.entitlements == ["network.host"]
    assert spec.contexts is None


def test_push_and_load_overrides() -> None:
    image = ExportEntry.parse("type=image,name=x")
    assert set_push([image], True) == [image.with_attr("push", "true")]
    assert set_push(None, True) == [ExportEntry.parse("type=image,push=true")]
    assert set_push([ExportEntry("registry"), ExportEntry("local", dest="d")], False) == [
        ExportEntry("local", dest="d")
    ]
    assert set_load(None, True) == [ExportEntry("docker")]
    assert set_load([ExportEntry("docker")], True) == [ExportEntry("docker")]
    assert set_load([ExportEntry("local", dest="d")], True) == [ExportEntry("local", dest="d")]


def test_overrides_set_append_and_refuse_unknown_keys() -> None:
    spec = TargetSpec("t", tags=["a"])
    spec.add_overrides({"tags": Override(values=["b"], append=True), "args.X": Override(value="1")})
    assert spec.tags == ["a", "b"]
    assert spec.args == {"X": "1"}
    with pytest.raises(EntryError, match="unknown key: nope"):
        spec.add_overrides({"nope": Override(value="1")})


def test_print_form_escapes_interpolation_markers() -> None:
    spec = TargetSpec("t", args={"A": "${x} %{y}"}, dockerfile_inline="${z}")
    data = spec.to_json()
    assert data["args"] == {"A": "$${x} %%{y}"}
    assert data["dockerfile-inline"] == "$${z}"
    assert spec.to_json(escape=False)["args"] == {"A": "${x} %{y}"}
