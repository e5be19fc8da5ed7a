from __future__ import annotations

from pathlib import Path

import pytest

from buildwright.client.endpoint import (
    DEFAULT_DOCKER_SOCKET,
    EndpointKind,
    TLSConfig,
    parse_endpoint,
    resolve_endpoints,
)
from buildwright.errors import BuildConfigError


@pytest.mark.parametrize(
    ("text", "kind", "address"),
    [
        ("unix:///run/buildkit/buildkitd.sock", EndpointKind.BUILDKITD_UNIX, "/run/buildkit/buildkitd.sock"),
        ("tcp://10.0.0.1:1234", EndpointKind.BUILDKITD_TCP, "10.0.0.1:1234"),
        ("docker://", EndpointKind.DOCKERD_UNIX, DEFAULT_DOCKER_SOCKET),
        ("docker:///run/x/docker.sock", EndpointKind.DOCKERD_UNIX, "/run/x/docker.sock"),
        ("docker+unix:///run/x/docker.sock", EndpointKind.DOCKERD_UNIX, "/run/x/docker.sock"),
        ("docker+tcp://host:2375", EndpointKind.DOCKERD_TCP, "host:2375"),
    ],
)
def test_parse_endpoint(text: str, kind: EndpointKind, address: str) -> None:
    endpoint = parse_endpoint(text)
    assert endpoint.kind is kind
    assert endpoint.address == address


@pytest.mark.parametrize(
    "text",
    ["/run/buildkit.sock", "unix://relative.sock", "tcp://host", "tcp://host:port", "http://x:1", "unix://"],
)
def test_parse_endpoint_rejects(text: str) -> None:
    with pytest.raises(BuildConfigError):
        parse_endpoint(text)


def test_tls_only_for_tcp() -> None:
    tls = TLSConfig(ca_cert=Path("/ca.pem"))
    assert parse_endpoint("tcp://h:1234", tls=tls).tls == tls
    with pytest.raises(BuildConfigError):
        parse_endpoint("unix:///s.sock", tls=tls)


def test_addr_wins_over_environment() -> None:
    env = {"BUILDKIT_HOST": "tcp://b:1", "DOCKER_HOST": "unix:///d.sock"}
    (endpoint,) = resolve_endpoints("unix:///explicit.sock", env=env)
    assert endpoint.address == "/explicit.sock"
    assert endpoint.origin == "--addr"


def test_buildkit_host_then_docker_host_then_default() -> None:
    (bk,) = resolve_endpoints(env={"BUILDKIT_HOST": "tcp://b:1", "DOCKER_HOST": "unix:///d.sock"})
    assert (bk.kind, bk.origin) == (EndpointKind.BUILDKITD_TCP, "BUILDKIT_HOST")
    (docker,) = resolve_endpoints(env={"DOCKER_HOST": "unix:///d.sock"})
    assert (docker.kind, docker.address) == (EndpointKind.DOCKERD_UNIX, "/d.sock")
    (docker_tcp,) = resolve_endpoints(env={"DOCKER_HOST": "tcp://h:2375"})
    assert docker_tcp.kind is EndpointKind.DOCKERD_TCP
    (default,) = resolve_endpoints(env={})
    assert (default.kind, default.address, default.origin) == (
        EndpointKind.DOCKERD_UNIX,
        DEFAULT_DOCKER_SOCKET,
        "default",
    )


def test_unsupported_docker_host() -> None:
    with pytest.raises(BuildConfigError, match="DOCKER_HOST"):
        resolve_endpoints(env={"DOCKER_HOST": "ssh://me@host"})


def test_endpoint_str_round_trips() -> None:
    for text in ("unix:///a.sock", "tcp://h:1", "docker:///d.sock", "docker+tcp://h:2"):
        assert str(parse_endpoint(text)) == text
