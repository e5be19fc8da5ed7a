"""A printed bake target (buildx `--print`'s shape) as a farm build: every key that buildx's
`toBuildOpt` maps, paths taken from the working folder, and unknown keys refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildwright.bakerun import bake_overrides
from buildwright.bakerun.links import closure, waves
from buildwright.bakerun.runner import BakePlan, bake_builder, render_plan
from buildwright.bakerun.targets import BakeTarget, csv_record, target_options
from buildwright.client.outputs import OutputSpec
from buildwright.client.session.secrets import SecretSource
from buildwright.client.session.ssh import SSHAgentSpec
from buildwright.errors import BuildConfigError
from buildwright.farm import LOAD, Leg, NamedBuild, Placement
from buildwright.farm.requests import legs_of

CWD = Path("/work/proj")


def test_every_build_key_becomes_its_build_option() -> None:
    printed = {
        "context": "app",
        "dockerfile": "Dockerfile.prod",
        "args": {"A": "1", "GONE": None},
        "labels": {"l": "v"},
        "tags": ["r/app:1"],
        "target": "prod",
        "platforms": ["linux/amd64", "linux/arm64"],
        "contexts": {"src": "./src", "img": "docker-image://busybox", "base": "target:base"},
        "cache-from": [{"type": "registry", "ref": "r/cache"}],
        "cache-to": [{"type": "local", "dest": "/tmp/c", "mode": "max"}],
        "output": [{"type": "local", "dest": "out"}, {"type": "image", "push": "true", "name": "r/app:1"}],
        "secret": [{"id": "tok", "src": "tok.txt"}, {"id": "e", "env": "E"}],
        "ssh": [{"id": "default"}, {"id": "k", "paths": ["key"]}],
        "pull": True,
        "no-cache": True,
        "no-cache-filter": ["build"],
        "network": "host",
        "attest": [{"type": "provenance", "mode": "max"}, {"type": "sbom", "disabled": "true"}],
        "annotations": ["index:a=b"],
        "shm-size": "128m",
        "ulimits": ["nofile=1024:2048"],
        "extra-hosts": {"db": "10.0.0.2"},
        "entitlements": ["network.host"],
        "call": "build",
        "description": "the app",
    }
    target = target_options("app", printed, CWD)
    assert target.links == {"base": "base"}
    assert dict(target.options) == {
        "context": "/work/proj/app",
        "dockerfile": "/work/proj/app/Dockerfile.prod",
        "build_args": {"A": "1"},
        "labels": {"l": "v"},
        "tags": ("r/app:1",),
        "target": "prod",
        "platform": ("linux/amd64", "linux/arm64"),
        "build_contexts": {"src": "/work/proj/src", "img": "docker-image://busybox"},
        "cache_from": ("type=registry,ref=r/cache",),
        "cache_to": ("type=local,dest=/tmp/c,mode=max",),
        "outputs": (
            OutputSpec("local", "/work/proj/out", {}),
            OutputSpec("image", None, {"push": "true", "name": "r/app:1"}),
        ),
        "secrets": (SecretSource("tok", "/work/proj/tok.txt", None), SecretSource("e", None, "E")),
        "ssh": (SSHAgentSpec("default", ()), SSHAgentSpec("k", ("/work/proj/key",))),
        "pull": True,
        "no_cache": True,
        "no_cache_filter": ("build",),
        "network": "host",
        "attest": ("type=provenance,mode=max", "type=sbom,disabled=true"),
        "annotations": ("index:a=b",),
        "shm_size": "128m",
        "ulimits": ("nofile=1024:2048",),
        "add_hosts": ("db=10.0.0.2",),
        "allow": ("network.host",),
    }
    # What the farm checks a build against: every option is one `buildwright.build()` takes.
    assert legs_of([NamedBuild("app", target.options)])


def test_defaults_inline_dockerfiles_cwd_paths_and_remote_contexts() -> None:
    assert dict(target_options("t", {}, CWD).options) == {"context": "/work/proj"}
    named = target_options("t", {"context": "c", "dockerfile": "Dockerfile"}, CWD)
    assert dict(named.options) == {"context": "/work/proj/c", "dockerfile": "/work/proj/c/Dockerfile"}
    inline = target_options("t", {"context": "cwd://sub/../x", "dockerfile-inline": "FROM busybox\n"}, CWD)
    assert dict(inline.options) == {"context": "/work/proj/x", "dockerfile": b"FROM busybox\n"}
    remote = target_options("t", {"context": "https://github.com/o/r.git#main", "dockerfile": "d/Dockerfile"}, CWD)
    assert dict(remote.options) == {"context": "https://github.com/o/r.git#main", "dockerfile": "d/Dockerfile"}


@pytest.mark.parametrize(
    ("printed", "message"),
    [
        ({"context": "-"}, "context: a context from stdin is not allowed"),
        ({"dockerfile": "-"}, "dockerfile: a Dockerfile from stdin is not allowed"),
        ({"call": "check"}, "call: 'check' is not supported"),
        ({"matrix": {"a": ["1"]}}, "matrix: this key has no build option"),
        ({"tags": "r/app"}, "tags: expected a list of strings, got a string"),
        ({"pull": "yes"}, "pull: expected true or false"),
        ({"contexts": {"self": "target:t"}}, "target t cannot link to itself"),
    ],
)
def test_what_cannot_be_built_is_an_error_naming_the_target_and_key(printed: dict[str, object], message: str) -> None:
    with pytest.raises(BuildConfigError, match="bake target 't': .*" if "link" not in message else message) as info:
        target_options("t", printed, CWD)
    assert message in str(info.value)


def test_csv_records_quote_what_the_reader_would_split() -> None:
    assert csv_record(["type=local", "dest=/a,b", 'x="y"']) == 'type=local,"dest=/a,b","x=""y"""'


def _t(name: str, **links: str) -> BakeTarget:
    return BakeTarget(name, {"context": "."}, links)


def test_links_are_built_in_waves_before_the_targets_using_them() -> None:
    targets = {"app": _t("app", base="base", tools="tools"), "tools": _t("tools", b="base"), "base": _t("base")}
    found = closure(["app"], targets.get)
    assert list(found) == ["app", "base", "tools"]
    assert waves(list(found), found) == (("base",), ("tools",), ("app",))
    with pytest.raises(BuildConfigError, match="contexts: target:nope names no target"):
        closure(["x"], {"x": _t("x", c="nope")}.get)
    with pytest.raises(BuildConfigError, match="bake: no target named 'y'"):
        closure(["y"], targets.get)
    loop = {"a": _t("a", c="b"), "b": _t("b", c="a")}
    with pytest.raises(BuildConfigError, match="infinite loop from b to a"):
        waves(["a", "b"], loop)


def test_without_a_builder_the_engine_build_would_use_is_one_node() -> None:
    env = {"XDG_CONFIG_HOME": "/nonexistent", "HOME": "/nonexistent"}
    assert bake_builder(None, {**env, "DOCKER_HOST": "unix:///run/d.sock"}).nodes[0].endpoint == "docker:///run/d.sock"
    assert bake_builder(None, {**env, "BUILDKIT_HOST": "tcp://h:1"}).nodes[0].endpoint == "tcp://h:1"
    assert bake_builder(None, env).nodes[0].endpoint == "docker://"


def test_the_preview_lists_waiting_targets_after_the_table() -> None:
    plan = BakePlan((Placement(Leg("base", None), "n1", LOAD),), (("app", ("base",)),))
    text = render_plan(plan)
    assert text.splitlines()[1].split() == ["base", "default", "n1", "load", "-"]
    assert text.splitlines()[-1] == "app: placed once base is built (target: context)"


def test_the_flags_become_buildx_bakes_overrides_in_its_order() -> None:
    assert bake_overrides(
        ["app.tags=x"], push=True, load=True, no_cache=True, pull=False, sbom="true", provenance="mode=max"
    ) == (
        "app.tags=x",
        "*.push=true",
        "*.load=true",
        "*.no-cache=true",
        "*.pull=false",
        "*.attest=type=sbom,disabled=false",
        "*.attest=type=provenance,mode=max",
    )
