"""`build_contexts=` of the API: names normalised, directories shared under buildx's names with
their own .dockerignore, unsupported kinds refused before any engine is contacted."""

from __future__ import annotations

from pathlib import Path

import pytest

import buildwright
from buildwright.errors import BuildConfigError
from buildwright.inputs import BuildInputs, read_inputs
from buildwright.options import BuildOptions


def _inputs(tmp_path: Path, contexts: dict[str, str]) -> BuildInputs:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    return read_inputs(tmp_path, BuildOptions(build_contexts=contexts))


def test_directories_are_shared_under_the_context_name_with_their_own_ignore_file(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / ".dockerignore").write_text("*.tmp\n")
    own = tmp_path / "own"
    own.mkdir()
    inputs = _inputs(tmp_path, {"docker.io/library/extra:latest": str(extra), "context": str(own)})

    assert inputs.named_contexts["extra"].value == "local:extra"
    assert inputs.named_contexts["extra"].excludes == ("*.tmp",)
    # `context` and `dockerfile` would collide with the main locals: buildx prefixes an underscore.
    assert inputs.named_contexts["context"].value == "local:_context"
    assert inputs.named_dirs == {"extra": extra.resolve(), "_context": own.resolve()}


def test_images_and_git_urls_pass_through_and_other_kinds_are_refused(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path, {"base": "docker-image://busybox:latest", "src": "https://example.com/r.git#main"})
    assert inputs.named_contexts["base"].image_ref == "busybox:latest"
    assert inputs.named_contexts["src"].value == "https://example.com/r.git#main"
    assert inputs.named_dirs == {}
    with pytest.raises(BuildConfigError, match="images, OCI layouts, git and http"):
        _inputs(tmp_path, {"x": "s3://bucket/layout"})
    with pytest.raises(BuildConfigError, match="oci-layout /nonexistent/layout: no such directory"):
        _inputs(tmp_path, {"x": "oci-layout:///nonexistent/layout"})
    with pytest.raises(BuildConfigError, match="is not a directory"):
        _inputs(tmp_path, {"x": str(tmp_path / "missing")})


def test_key_values_need_an_equals_sign() -> None:
    assert buildwright.api.parse_key_values(["a=b=c", "d="], what="label") == {"a": "b=c", "d": ""}
    with pytest.raises(BuildConfigError, match="invalid context value: name, expected key=value"):
        buildwright.api.parse_key_values(["name"], what="context")
