"""The builder store: TOML round trip, buildx's store read, create/append rules, node selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildwright.client.builders import (
    Builder,
    Node,
    Store,
    add_nodes,
    buildx_current,
    engine_endpoints,
    find_builder,
    load_store,
    parse_store,
    remove_builder,
    render_store,
    save_store,
    select_nodes,
    store_path,
)
from buildwright.client.endpoint import EndpointKind, TLSConfig
from buildwright.errors import BuildConfigError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "DOCKER_CONFIG": str(tmp_path / "docker"), **extra}


def test_store_path_follows_xdg_and_home(tmp_path: Path) -> None:
    assert store_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/buildwright/builders.toml")
    assert store_path({"HOME": "/home/u"}) == Path("/home/u/.config/buildwright/builders.toml")


def test_round_trip_keeps_every_field_and_odd_characters(tmp_path: Path) -> None:
    node = Node(
        "n0", "tcp://127.0.0.1:1234", ("linux/amd64", "linux/arm64"), Path('/a "b"/ca.pem'), Path("/c"), Path("/k"), "x"
    )
    store = Store((Builder("b1", (node, Node("n1", "unix:///run/é.sock"))),), current="b1")
    text = render_store(store)
    assert parse_store(text, Path("t.toml")) == store
    env = _env(tmp_path)
    save_store(store, env)
    assert load_store(env) == store
    assert not list(store_path(env).parent.glob("*.tmp"))


def test_bad_store_names_the_file() -> None:
    with pytest.raises(BuildConfigError, match=r"^t.toml: "):
        parse_store("builders = [", Path("t.toml"))
    with pytest.raises(BuildConfigError, match="every node needs an endpoint"):
        parse_store('[builders.a]\n[[builders.a.nodes]]\nname = "x"\n', Path("t.toml"))


def test_create_names_nodes_and_refuses_duplicates() -> None:
    store = add_nodes(Store(), "farm", [Node("", "tcp://127.0.0.1:1")], append=False)
    with pytest.raises(BuildConfigError, match="give --append"):
        add_nodes(store, "farm", [Node("", "tcp://127.0.0.1:2")], append=False)
    store = add_nodes(store, "farm", [Node("", "tcp://127.0.0.1:2")], append=True)
    farm = store.get("farm")
    assert farm is not None and [n.name for n in farm.nodes] == ["farm0", "farm1"]
    with pytest.raises(BuildConfigError, match="already has a node at"):
        add_nodes(store, "farm", [Node("", "tcp://127.0.0.1:2")], append=True)
    with pytest.raises(BuildConfigError, match="invalid builder name"):
        add_nodes(store, "-bad", [Node("", "tcp://127.0.0.1:3")], append=False)
    with pytest.raises(BuildConfigError, match="expected host:port"):
        add_nodes(store, "other", [Node("", "tcp://nowhere")], append=False)


def test_a_new_nodes_platforms_leave_the_earlier_nodes() -> None:
    # As buildx: a platform belongs to the last node that declared it.
    store = add_nodes(Store(), "f", [Node("", "tcp://h:1", ("linux/amd64", "linux/arm64"))], append=False)
    store = add_nodes(store, "f", [Node("", "tcp://h:2", ("linux/arm64",))], append=True)
    farm = store.get("f")
    assert farm is not None
    assert [n.platforms for n in farm.nodes] == [("linux/amd64",), ("linux/arm64",)]


def test_rm_clears_current() -> None:
    store = Store((Builder("a", (Node("a0", "tcp://h:1"),)),), current="a")
    assert remove_builder(store, "a") == Store((), None)
    with pytest.raises(BuildConfigError, match="no builder 'b'"):
        remove_builder(store, "b")


def test_selection_prefers_nodes_declaring_the_platform() -> None:
    amd = Node("amd", "tcp://h:1", ("linux/amd64",))
    any_ = Node("any", "tcp://h:2")
    arm = Node("arm", "tcp://h:3", ("linux/arm64",))
    builder = Builder("f", (amd, any_, arm))
    assert select_nodes(builder) == (amd, any_, arm)
    assert select_nodes(builder, ["linux/arm64"]) == (arm, any_, amd)


def _buildx_instance(tmp_path: Path, name: str, data: dict[str, object]) -> None:
    folder = tmp_path / "docker" / "buildx" / "instances"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data))


def test_buildx_remote_builder_is_read_with_its_tls_files(tmp_path: Path) -> None:
    _buildx_instance(
        tmp_path,
        "remote1",
        {
            "Name": "remote1",
            "Driver": "remote",
            "Nodes": [
                {
                    "Name": "remote10",
                    "Endpoint": "tcp://127.0.0.1:9999",
                    "Platforms": [{"architecture": "arm", "os": "linux", "variant": "v7"}],
                    "DriverOpts": {"cacert": "/ca.pem", "cert": "/c.pem", "key": "/k.pem", "servername": "bk"},
                }
            ],
            "Dynamic": False,
        },
    )
    (tmp_path / "docker" / "buildx" / "current").write_text(
        json.dumps({"Key": "x", "Name": "remote1", "Global": False})
    )
    env = _env(tmp_path)
    builder = find_builder("remote1", env)
    assert builder.source == "buildx"
    assert builder.nodes == (
        Node(
            "remote10", "tcp://127.0.0.1:9999", ("linux/arm/v7",), Path("/ca.pem"), Path("/c.pem"), Path("/k.pem"), "bk"
        ),
    )
    assert buildx_current(env) == "remote1"
    (endpoint,) = engine_endpoints(None, None, "remote1", env)
    assert endpoint.tls == TLSConfig(Path("/ca.pem"), Path("/c.pem"), Path("/k.pem"), "bk")


def test_buildx_docker_builder_and_unusable_drivers(tmp_path: Path) -> None:
    _buildx_instance(
        tmp_path, "dk", {"Name": "dk", "Driver": "docker", "Nodes": [{"Name": "dk", "Endpoint": "default"}]}
    )
    _buildx_instance(tmp_path, "ctr", {"Name": "ctr", "Driver": "docker-container", "Nodes": []})
    env = _env(tmp_path, DOCKER_HOST="unix:///run/x/docker.sock")
    (endpoint,) = engine_endpoints(None, None, "dk", env)
    assert (endpoint.kind, endpoint.address) == (EndpointKind.DOCKERD_UNIX, "/run/x/docker.sock")
    with pytest.raises(BuildConfigError, match="docker-container driver"):
        engine_endpoints(None, None, "ctr", env)


def test_endpoint_precedence(tmp_path: Path) -> None:
    env = _env(tmp_path)
    store = add_nodes(Store(), "mine", [Node("", "unix:///run/mine.sock")], append=False)
    save_store(Store(store.builders, current="mine"), env)
    # --addr wins; then --builder; then BUILDWRIGHT_BUILDER; BUILDKIT_HOST beats `builder use`.
    assert str(engine_endpoints("tcp://h:1", None, None, env)[0]) == "tcp://h:1"
    assert str(engine_endpoints(None, None, "mine", env)[0]) == "unix:///run/mine.sock"
    assert str(engine_endpoints(None, None, None, {**env, "BUILDWRIGHT_BUILDER": "mine"})[0]).startswith("unix://")
    assert str(engine_endpoints(None, None, None, {**env, "BUILDKIT_HOST": "tcp://h:2"})[0]) == "tcp://h:2"
    assert str(engine_endpoints(None, None, None, env)[0]) == "unix:///run/mine.sock"
    with pytest.raises(BuildConfigError, match="not both"):
        engine_endpoints("tcp://h:1", None, "mine", env)
    with pytest.raises(BuildConfigError, match="carry their own"):
        engine_endpoints(None, TLSConfig(server_name="x"), "mine", env)
    with pytest.raises(BuildConfigError, match="no builder named 'nope'"):
        engine_endpoints(None, None, "nope", env)
