"""Push outputs as the engine gets them: `registry` and `image,push=true` on dockerd and buildkitd."""

from __future__ import annotations

import pytest

from buildwright.client.connection import EngineInfo
from buildwright.client.endpoint import parse_endpoint
from buildwright.client.exporters import ExportSpec, resolve_exports
from buildwright.errors import BuildConfigError

_DOCKERD = EngineInfo(parse_endpoint("docker://"), ())
_BUILDKITD = EngineInfo(parse_endpoint("unix:///run/buildkit/buildkitd.sock"), ())


def test_registry_is_a_pushing_image_without_unpack() -> None:
    spec = ExportSpec.registry(["127.0.0.1:5000/app:1"])
    assert spec.pushes
    assert resolve_exports([spec], _DOCKERD) == (
        ExportSpec("moby", {"unpack": "false", "push": "true", "name": "127.0.0.1:5000/app:1"}),
    )
    # An explicit unpack stays; push cannot be turned off for a registry output.
    (typed,) = resolve_exports([ExportSpec("registry", {"name": "r/a:1", "unpack": "true", "push": "0"})], _BUILDKITD)
    assert typed == ExportSpec("image", {"unpack": "true", "push": "true", "name": "docker.io/r/a:1"})


def test_image_output_becomes_moby_on_dockerd_and_keeps_its_attrs() -> None:
    spec = ExportSpec("image", {"name": "reg.example/a:1", "push": "true", "registry.insecure": "true"})
    assert resolve_exports([spec], _DOCKERD) == (ExportSpec("moby", dict(spec.attrs)),)
    (image,) = resolve_exports([spec], _BUILDKITD)
    assert image.type == "image" and image.attrs["registry.insecure"] == "true"


@pytest.mark.parametrize("value", ["true", "1", "T", "TRUE"])
def test_push_without_a_name_is_refused(value: str) -> None:
    with pytest.raises(BuildConfigError, match="tag is needed when pushing to registry"):
        resolve_exports([ExportSpec("image", {"push": value})], _DOCKERD)


def test_push_false_needs_no_name() -> None:
    assert not ExportSpec("image", {"push": "false"}).pushes
    assert resolve_exports([ExportSpec("image", {"push": "false"})], _DOCKERD) == (
        ExportSpec("moby", {"push": "false"}),
    )
