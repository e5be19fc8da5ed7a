"""read_bake end to end on files in a temporary folder: discovery, variables and their environment,
inherits, matrix, groups, links, overrides, and errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildwright.bakefile import list_targets, list_variables, read_bake
from buildwright.errors import BakeFileError, BuildConfigError
from tests.unit.bakefile.helpers import bake


def test_default_discovery_reads_every_default_file_in_buildx_order(tmp_path: Path) -> None:
    files = {
        "docker-bake.hcl": 'target "app" {\n  tags = ["from-hcl"]\n  args = { A = "hcl" }\n}\n',
        "docker-bake.json": '{"target": {"app": {"args": {"A": "json", "B": "json"}}}}',
        "docker-bake.override.hcl": 'target "app" {\n  args = { B = "override" }\n}\n',
        "compose.yaml": "services:\n  app:\n    build: .\n",
    }
    definition = bake(tmp_path, files, ["app"])
    assert definition.targets["app"]["args"] == {"A": "hcl", "B": "override"}
    assert definition.targets["app"]["tags"] == ("from-hcl",)
    assert definition.requested == ("app",)


def test_explicit_files_replace_discovery_and_a_missing_one_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "docker-bake.hcl").write_text('target "default" {}\n')
    (tmp_path / "other.hcl").write_text('target "other" {}\n')
    assert set(read_bake(["other.hcl"], ["other"], cwd=tmp_path, env={}).targets) == {"other"}
    with pytest.raises(BakeFileError, match=r"missing\.hcl"):
        read_bake(["missing.hcl"], [], cwd=tmp_path, env={})
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BakeFileError, match="couldn't find a bake definition"):
        read_bake([], [], cwd=empty, env={})


def test_variables_take_typed_environment_overrides(tmp_path: Path) -> None:
    source = """
variable "TAG" { default = "latest" }
variable "N" { default = 1 }
variable "ON" { default = false }
variable "LIST" {
  type = list(string)
  default = []
}
variable "OBJ" {
  type = object({ a = number })
  default = { a = 1 }
}
target "default" {
  tags = [for t in LIST : "${t}:${TAG}"]
  args = { N = N + 1, ON = ON, A = OBJ.a }
}
"""
    env = {"TAG": "v2", "N": "41", "ON": "true", "LIST": "a,b", "OBJ_JSON": '{"a": 7}'}
    target = bake(tmp_path, {"docker-bake.hcl": source}, env=env).targets["default"]
    assert target["tags"] == ("a:v2", "b:v2")
    assert target["args"] == {"A": "7", "N": "42", "ON": "true"}


def test_inherits_merge_lists_and_maps_as_buildx(tmp_path: Path) -> None:
    source = """
target "base" {
  args = { A = "1", B = "1" }
  tags = ["base"]
  cache-from = ["type=gha"]
  annotations = ["a=1"]
}
target "app" {
  inherits = ["base"]
  args = { B = "2" }
  tags = ["app"]
  cache-from = ["type=registry,ref=x"]
  annotations = ["b=2"]
}
"""
    target = bake(tmp_path, {"docker-bake.hcl": source}, ["app"]).targets["app"]
    assert target["args"] == {"A": "1", "B": "2"}
    assert target["tags"] == ("app",)
    assert target["cache-from"] == ({"type": "gha"}, {"ref": "x", "type": "registry"})
    assert target["annotations"] == ("a=1", "b=2")
    assert "inherits" not in target


def test_matrix_names_groups_and_the_default_group(tmp_path: Path) -> None:
    source = """
target "svc" {
  name = "svc-${n}"
  matrix = { n = ["a", "b"] }
  args = { N = n }
}
group "all" { targets = ["svc", "missing-is-fine-until-built"] }
"""
    definition = bake(tmp_path, {"docker-bake.hcl": source}, ["svc"])
    assert definition.groups == {"default": ("svc",), "svc": ("svc-a", "svc-b")}
    assert definition.requested == ("svc-a", "svc-b")
    assert definition.targets["svc-b"]["args"] == {"N": "b"}


def test_linked_targets_are_resolved_as_cache_only(tmp_path: Path) -> None:
    source = 'target "base" {}\ntarget "app" {\n  contexts = { base = "target:base" }\n}\n'
    definition = bake(tmp_path, {"docker-bake.hcl": source}, ["app"])
    assert definition.requested == ("app", "base")
    assert definition.targets["base"]["output"] == ({"type": "cacheonly"},)


def test_overrides_use_patterns_append_and_env(tmp_path: Path) -> None:
    source = 'target "a" { tags = ["a"] }\ntarget "b" { tags = ["b"] }\n'
    definition = bake(
        tmp_path,
        {"docker-bake.hcl": source},
        ["a", "b"],
        overrides=["*.platform=linux/arm64", "a.tags+=a2", "b.args.X", "b.push=true"],
        env={"X": "from-env"},
    )
    assert definition.targets["a"]["platforms"] == ("linux/arm64",)
    assert definition.targets["a"]["tags"] == ("a", "a2")
    assert definition.targets["b"]["args"] == {"X": "from-env"}
    assert definition.targets["b"]["output"] == ({"push": "true", "type": "image"},)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("nokey", "invalid override key nokey"),
        ("a.tags", "invalid override a.tags, expected target.name=value"),
        ("zz.tags=x", "could not find any target matching 'zz'"),
        ("a.bogus=1", "unknown key: bogus"),
        ("a.no-cache=maybe", "invalid value maybe for boolean key no-cache"),
        ("a.args=1", "args requires name"),
    ],
)
def test_bad_overrides_are_errors(tmp_path: Path, override: str, message: str) -> None:
    with pytest.raises(BakeFileError, match=message):
        bake(tmp_path, {"docker-bake.hcl": 'target "a" {}\n'}, ["a"], overrides=[override])


@pytest.mark.parametrize(
    ("source", "where", "what"),
    [
        ('target "a" {\n  tags = [NOPE]\n}\n', "docker-bake.hcl:2:11", 'no variable named "NOPE"'),
        ('target "a" {\n  args = { X = nope(1) }\n}\n', "docker-bake.hcl:2:16", 'no function named "nope"'),
        ('target "a" {\n  tags = "x"\n}\n', "docker-bake.hcl:2:3", "list of string required"),
        ('target "a" {\n  name = "b"\n}\n', "docker-bake.hcl:1:8", "name requires matrix"),
        ('target "a.b" {}\n', "docker-bake.hcl:1:8", "only"),
        ('variable "V" {\n  type = strin\n}\ntarget "a" {}\n', "docker-bake.hcl:2:10", "not a valid type"),
        ('function "f" {\n  params = [x]\n  result = f(x)\n}\ntarget "a" {}\n', "docker-bake.hcl:3:12", "cycle"),
    ],
)
def test_file_errors_name_the_file_and_line(tmp_path: Path, source: str, where: str, what: str) -> None:
    with pytest.raises(BakeFileError) as caught:
        bake(tmp_path, {"docker-bake.hcl": source}, ["a"])
    assert str(caught.value).startswith(where + ": "), str(caught.value)
    assert what in str(caught.value)
    assert isinstance(caught.value, BuildConfigError)


def test_an_unknown_target_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BakeFileError, match="failed to find target nope"):
        bake(tmp_path, {"docker-bake.hcl": 'target "a" {}\n'}, ["nope"])


def test_print_json_is_go_indented_json_with_html_escapes(tmp_path: Path) -> None:
    source = 'target "default" {\n  args = { X = "<&>${"$"}{y}" }\n}\n'
    text = bake(tmp_path, {"docker-bake.hcl": source}).print_json()
    assert '"X": "\\u003c\\u0026\\u003e$${y}"' in text
    assert text.endswith("}\n")
    assert json.loads(text)["group"] == {"default": {"targets": ["default"]}}


def test_source_date_epoch_becomes_an_argument(tmp_path: Path) -> None:
    definition = bake(tmp_path, {"docker-bake.hcl": 'target "default" {}\n'}, env={"SOURCE_DATE_EPOCH": "5"})
    assert definition.targets["default"]["args"] == {"SOURCE_DATE_EPOCH": "5"}


def test_listings(tmp_path: Path) -> None:
    source = """
variable "TAG" {
  description = "the tag"
  default = "x"
}
group "default" { targets = ["b", "a"] }
target "a" { description = "first" }
target "b" {}
target "_private" {}
"""
    (tmp_path / "docker-bake.hcl").write_text(source)
    assert list_targets([], cwd=tmp_path, env={}) == "TARGET\tDESCRIPTION\na\tfirst\nb\t\ndefault\ta, b\n"
    assert list_variables([], cwd=tmp_path, env={}) == "VARIABLE\tTYPE\tVALUE\tDESCRIPTION\nTAG\t\t\tx\tthe tag\n"
    assert json.loads(list_targets([], cwd=tmp_path, env={}, format="json"))[2] == {
        "name": "default",
        "description": "a, b",
        "group": True,
    }


def test_too_deep_nesting_is_a_bake_file_error(tmp_path: Path) -> None:
    deep = 'target "default" {\n  args = { A = ' + "(" * 5000 + "1" + ")" * 5000 + " }\n}\n"
    with pytest.raises(BakeFileError, match="nested too deeply"):
        bake(tmp_path, {"docker-bake.hcl": deep})


def test_a_file_named_dash_is_standard_input(tmp_path: Path) -> None:
    data = b'{"target": {"default": {"tags": ["from-stdin"]}}}'
    definition = read_bake(["-"], [], cwd=tmp_path, env={}, stdin=data)
    assert definition.targets["default"]["tags"] == ("from-stdin",)
    with pytest.raises(BakeFileError, match="no standard input"):
        read_bake(["-"], [], cwd=tmp_path, env={})


def test_unknown_names_get_hcl_suggestions(tmp_path: Path) -> None:
    source = 'variable "NOPE" {}\ntarget "default" {\n  tags = [NOPES]\n  args = { A = uper("x") }\n}\n'
    with pytest.raises(BakeFileError, match=r'no variable named "NOPES"\. Did you mean "NOPE"'):
        bake(tmp_path, {"docker-bake.hcl": source})
    fixed = source.replace("NOPES", "NOPE")
    with pytest.raises(BakeFileError, match=r'no function named "uper"\. Did you mean "upper"'):
        bake(tmp_path, {"docker-bake.hcl": fixed})
