"""A multi-platform result returned to the engine: a ref map keyed by platform, and its metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildwright import llb
from buildwright.client import BuildkitClient, BuildRequest, GatewayContext
from buildwright.client.solve import platform_result_metadata
from buildwright.errors import BuildFailed
from buildwright.frontend.options import CompiledBuild, StagePlan
from buildwright.frontend.platforms import MultiPlatformBuild, PlatformBuild
from buildwright.llb.platform import Platform
from tests.unit.client.test_solve import _FAIL, _FakeEngine, fake  # noqa: F401  (fixture)

AMD64_V2 = Platform("linux", "amd64", "v2")
ARM64 = Platform("linux", "arm64")


def _part(platform: Platform, marker: str) -> PlatformBuild:
    state = llb.image(f"docker.io/library/{marker}:latest", platform=platform)
    config = json.dumps({"architecture": platform.architecture, "os": platform.os, "marker": marker}).encode()
    return PlatformBuild(platform, CompiledBuild(state.marshal(platform=platform), config, StagePlan("x", (), ())))


def test_metadata_names_each_config_and_lists_the_platforms() -> None:
    build = MultiPlatformBuild((_part(AMD64_V2, "a"), _part(ARM64, "b")))
    metadata = platform_result_metadata(build)
    assert json.loads(metadata["containerimage.config/linux/amd64/v2"])["marker"] == "a"
    assert json.loads(metadata["containerimage.config/linux/arm64"])["marker"] == "b"
    assert "containerimage.config" not in metadata
    # The JSON exporter/containerimage/exptypes.Platforms unmarshals: Go field names, OCI platform keys.
    assert json.loads(metadata["refs.platforms"]) == {
        "Platforms": [
            {"ID": "linux/amd64/v2", "Platform": {"architecture": "amd64", "os": "linux", "variant": "v2"}},
            {"ID": "linux/arm64", "Platform": {"architecture": "arm64", "os": "linux"}},
        ]
    }


def test_every_platform_is_solved_and_returned_as_a_ref_map(
    fake: tuple[_FakeEngine, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    engine, addr = fake

    def compile_fn(gw: GatewayContext) -> MultiPlatformBuild:
        return MultiPlatformBuild((_part(AMD64_V2, "a"), _part(ARM64, "b")))

    with BuildkitClient.connect(addr=addr) as client:
        result = client.build(BuildRequest(local_dirs={"context": tmp_path}), compile=compile_fn)
    assert result.image_digest == "sha256:feed"
    returned = engine.returned.result
    assert returned.WhichOneof("result") == "refs"
    assert sorted(returned.refs.refs) == ["linux/amd64/v2", "linux/arm64"]
    assert all(ref.id == "result-ref" for ref in returned.refs.refs.values())
    assert set(returned.metadata) == {
        "containerimage.config/linux/amd64/v2",
        "containerimage.config/linux/arm64",
        "refs.platforms",
    }


def test_a_failing_platform_fails_the_build_and_ends_it_with_the_error(
    fake: tuple[_FakeEngine, str],  # noqa: F811
) -> None:
    engine, addr = fake
    failing = _part(ARM64, _FAIL.decode())

    def compile_fn(gw: GatewayContext) -> MultiPlatformBuild:
        return MultiPlatformBuild((_part(AMD64_V2, "a"), failing))

    with BuildkitClient.connect(addr=addr) as client, pytest.raises(BuildFailed) as info:
        client.build(BuildRequest(), compile=compile_fn)
    assert info.value.exit_code == 3
    assert engine.returned.HasField("error")
