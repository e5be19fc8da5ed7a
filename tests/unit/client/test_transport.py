from __future__ import annotations

from pathlib import Path

import pytest

from buildwright.client.endpoint import TLSConfig, parse_endpoint
from buildwright.client.transport import DirectTransport, DockerRelayTransport, transport_for
from buildwright.errors import BuildConfigError


def test_transport_per_endpoint_kind() -> None:
    assert isinstance(transport_for(parse_endpoint("unix:///run/buildkit/buildkitd.sock")), DirectTransport)
    assert isinstance(transport_for(parse_endpoint("tcp://h:1234")), DirectTransport)
    assert isinstance(transport_for(parse_endpoint("docker://")), DockerRelayTransport)
    assert isinstance(transport_for(parse_endpoint("docker+tcp://h:2375")), DockerRelayTransport)


def test_missing_tls_file_is_a_config_error(tmp_path: Path) -> None:
    endpoint = parse_endpoint("tcp://h:1234", tls=TLSConfig(ca_cert=tmp_path / "missing-ca.pem"))
    with pytest.raises(BuildConfigError, match=r"missing-ca\.pem"):
        DirectTransport(endpoint)


def test_client_certificate_and_key_go_together(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(BuildConfigError, match="--tlscert needs --tlskey"):
        DirectTransport(parse_endpoint("tcp://h:1234", tls=TLSConfig(cert=cert)))
    with pytest.raises(BuildConfigError, match="--tlskey needs --tlscert"):
        DirectTransport(parse_endpoint("tcp://h:1234", tls=TLSConfig(key=cert)))
