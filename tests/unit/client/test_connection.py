"""Connection failures are reported per endpoint, without an engine (dead sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildwright.client import BuildkitClient
from buildwright.client.endpoint import parse_endpoint
from buildwright.errors import EngineUnavailableError


def test_unavailable_names_every_endpoint(tmp_path: Path) -> None:
    endpoints = (
        parse_endpoint(f"docker://{tmp_path}/missing-docker.sock", origin="DOCKER_HOST"),
        parse_endpoint(f"unix://{tmp_path}/missing-buildkitd.sock", origin="BUILDKIT_HOST"),
    )
    with pytest.raises(EngineUnavailableError) as info:
        BuildkitClient.connect(endpoints, timeout=0.5)
    message = str(info.value)
    assert "missing-docker.sock" in message
    assert "missing-buildkitd.sock" in message
    assert len(info.value.tried) == 2
    assert "No such file" in info.value.tried[0][1]
