"""`build --builder`: which builds go through the farm (several nodes) and which keep one engine."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from buildwright.cli.farm_build import farm_for
from buildwright.client.builders import Builder, Node, Store, save_store
from buildwright.errors import BuildConfigError
from buildwright.farm.nodes import farm_builder


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "DOCKER_CONFIG": str(tmp_path / "docker"), **extra}
    two = Builder("two", (Node("a", "unix:///a.sock"), Node("b", "tcp://127.0.0.1:1")))
    one = Builder("one", (Node("a", "unix:///a.sock"),))
    save_store(Store((two, one), current="two"), env)
    return env


def test_a_builder_of_several_nodes_is_a_farm(tmp_path: Path) -> None:
    env = _env(tmp_path)
    found = farm_for(None, "two", ".", env)
    assert found is not None and [n.name for n in found.nodes] == ["a", "b"]
    assert farm_for(None, None, Path("."), {**env, "BUILDWRIGHT_BUILDER": "two"}) is not None
    assert farm_for(None, None, ".", env) is not None  # `builder use` chose it


def test_one_node_an_address_or_a_context_on_stdin_keep_one_engine(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert farm_for(None, "one", ".", env) is None
    assert farm_for("unix:///x.sock", None, ".", env) is None
    assert farm_for(None, "two", io.BytesIO(b""), env) is None
    assert farm_for(None, None, ".", {**env, "BUILDKIT_HOST": "unix:///x.sock"}) is None


def test_the_farm_api_picks_its_builder_by_the_same_rule(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert farm_builder("one", env).name == "one"
    assert farm_builder(None, {**env, "BUILDWRIGHT_BUILDER": "one"}).name == "one"
    assert farm_builder(None, env).name == "two"
    with pytest.raises(BuildConfigError, match="no builder for the farm"):
        farm_builder(None, {**env, "BUILDKIT_HOST": "unix:///x.sock"})
    with pytest.raises(BuildConfigError, match="nope"):
        farm_builder("nope", env)


def test_the_build_is_named_by_its_target_else_its_folder(tmp_path: Path) -> None:
    from buildwright.cli.farm_build import build_name

    (tmp_path / "app").mkdir()
    assert build_name(tmp_path / "app", "prod") == "prod"
    assert build_name(str(tmp_path / "app"), None) == "app"
    assert build_name("https://github.com/x/y.git#main", None) == "build"
