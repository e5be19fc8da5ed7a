from __future__ import annotations

import pytest

from buildwright._pb import control_pb2
from buildwright.client.connection import EngineInfo
from buildwright.client.endpoint import parse_endpoint
from buildwright.client.exporters import ExportSpec, apply_exports, resolve_exports
from buildwright.errors import BuildConfigError

_DOCKERD = EngineInfo(parse_endpoint("docker://"), ())
_BUILDKITD = EngineInfo(parse_endpoint("unix:///run/buildkit/buildkitd.sock"), ())


def test_engine_image_is_moby_on_dockerd_and_image_on_buildkitd() -> None:
    spec = ExportSpec.engine_image(["a:1", "b:2"])
    assert resolve_exports([spec], _DOCKERD) == (ExportSpec("moby", {"name": "a:1,b:2"}),)
    assert resolve_exports([spec], _BUILDKITD) == (
        ExportSpec("image", {"name": "docker.io/library/a:1,docker.io/library/b:2"}),
    )
    assert resolve_exports([ExportSpec.engine_image()], _DOCKERD) == (ExportSpec("moby", {}),)


def test_image_names_are_qualified_and_checked_on_buildkitd() -> None:
    spec = ExportSpec.engine_image(["team/app", "localhost:5000/x:2"])
    (image,) = resolve_exports([spec], _BUILDKITD)
    assert image.attrs["name"] == "docker.io/team/app:latest,localhost:5000/x:2"
    with pytest.raises(BuildConfigError, match="invalid tag 'Bad:1'"):
        resolve_exports([ExportSpec.engine_image(["Bad:1"])], _BUILDKITD)


def test_moby_refused_on_buildkitd() -> None:
    with pytest.raises(BuildConfigError):
        resolve_exports([ExportSpec("moby")], _BUILDKITD)


def test_single_exporter_uses_deprecated_fields_only() -> None:
    request = control_pb2.SolveRequest()
    apply_exports(request, [ExportSpec("moby", {"name": "x:1"})])
    assert request.ExporterDeprecated == "moby"
    assert dict(request.ExporterAttrsDeprecated) == {"name": "x:1"}
    assert len(request.Exporters) == 0


def test_several_exporters_also_fill_the_repeated_field() -> None:
    request = control_pb2.SolveRequest()
    apply_exports(request, [ExportSpec("image", {"name": "x"}), ExportSpec("local", {"dest": "/out"})])
    assert [(e.Type, dict(e.Attrs)) for e in request.Exporters] == [
        ("image", {"name": "x"}),
        ("local", {"dest": "/out"}),
    ]
    assert request.ExporterDeprecated == "image"


def test_no_exports_is_cache_only() -> None:
    request = control_pb2.SolveRequest()
    apply_exports(request, [])
    assert request.ExporterDeprecated == "" and len(request.Exporters) == 0
