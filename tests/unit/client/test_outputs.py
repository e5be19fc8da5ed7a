"""`-o` parsing, the exporter plan, atomic destinations and the result files (no engine)."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import pytest

from buildwright.client.connection import EngineInfo
from buildwright.client.endpoint import parse_endpoint
from buildwright.client.exporters import ENGINE_IMAGE, ExportSpec, no_output_warning, resolve_exports
from buildwright.client.outputs import (
    OutputSpec,
    OutputTargets,
    image_id,
    index_with_image,
    metadata_document,
    parse_output,
    parse_outputs,
    plan_exports,
    write_file_atomic,
)
from buildwright.errors import BuildConfigError

_DOCKERD = EngineInfo(parse_endpoint("docker://"), ())
_BUILDKITD = EngineInfo(parse_endpoint("unix:///run/buildkit/buildkitd.sock"), ())


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("out", OutputSpec("local", "out")),
        ("-", OutputSpec("tar", "-")),
        ("type=local,dest=d", OutputSpec("local", "d")),
        ("type=tar,dest=-", OutputSpec("tar", "-")),
        ("type=oci,dest=o.tar,tar=false", OutputSpec("oci", "o.tar", {"tar": "false"})),
        ("TYPE=docker,Dest=x.tar", OutputSpec("docker", "x.tar")),
        ("type=image,name=a:1,push=true", OutputSpec("image", None, {"name": "a:1", "push": "true"})),
        ('type=image,"name=a:1,b:2"', OutputSpec("image", None, {"name": "a:1,b:2"})),
        ("type=cacheonly", OutputSpec("cacheonly")),
        ("type=local,dest=a=b", OutputSpec("local", "a=b")),
        # One field not starting with `type=` is a path, even with a `=` in it (buildx's rule).
        ("dest=x", OutputSpec("local", "dest=x")),
    ],
)
def test_parse_output_like_buildx(spec: str, expected: OutputSpec) -> None:
    assert parse_output(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"), [("dest=x,tar=true", "type is required"), ("type=local,oops", "invalid value")]
)
def test_parse_output_errors(spec: str, message: str) -> None:
    with pytest.raises(BuildConfigError, match=message):
        parse_output(spec)


def test_parse_outputs_skips_empty_values() -> None:
    assert parse_outputs(["", "d"]) == (OutputSpec("local", "d"),)


def test_no_outputs_keep_the_default_image_export() -> None:
    assert plan_exports((), tags=["a:1"]) == (ExportSpec.default(["a:1"]),)
    assert plan_exports((), tags=["a:1"], push=True) == (ExportSpec.registry(["a:1"]),)


def test_the_default_output_is_dockerds_store_and_nothing_on_a_buildkitd() -> None:
    default = plan_exports((), tags=["a:1"])
    assert resolve_exports(default, _DOCKERD) == (ExportSpec("moby", {"name": "a:1"}),)
    assert no_output_warning(default, _DOCKERD) is None
    # buildkitd has no image store anyone reads: nothing is exported, and the user is told so.
    assert resolve_exports(default, _BUILDKITD) == ()
    warning = no_output_warning(default, _BUILDKITD) or ""
    assert "(tagged a:1) will only remain in its build cache" in warning and "--push" in warning
    # An output the user names is sent as given, without the warning.
    named = plan_exports(parse_outputs(["type=image"]), tags=["a:1"])
    assert resolve_exports(named, _BUILDKITD) == (ExportSpec("image", {"name": "docker.io/library/a:1"}),)
    assert no_output_warning(named, _BUILDKITD) is None


def test_tags_name_image_like_outputs_only() -> None:
    outputs = parse_outputs(["type=local,dest=d", "type=oci,dest=o.tar", "type=docker,dest=x.tar", "type=image"])
    exports = plan_exports(outputs, tags=["a:1", "b"])
    assert [(e.type, dict(e.attrs), e.dest) for e in exports] == [
        ("local", {}, "d"),
        ("oci", {"name": "a:1,b"}, "o.tar"),
        ("docker", {"name": "a:1,b"}, "x.tar"),
        ("image", {"name": "a:1,b"}, None),
    ]


def test_tar_without_dest_goes_to_stdout_and_cacheonly_exports_nothing() -> None:
    assert plan_exports(parse_outputs(["type=tar"])) == (ExportSpec("tar", {}, "-"),)
    assert plan_exports(parse_outputs(["type=cacheonly"]), tags=["a"]) == ()


def test_load_adds_a_docker_output_once() -> None:
    assert plan_exports((), tags=["a"], load=True) == (ExportSpec("docker", {"name": "a"}),)
    exports = plan_exports(parse_outputs(["type=docker"]), load=True)
    assert exports == (ExportSpec("docker", {}),)
    # A docker tarball is a file output; --load still adds the loading one.
    exports = plan_exports(parse_outputs(["type=docker,dest=x.tar"]), load=True)
    assert [e.dest for e in exports] == ["x.tar", None]


def test_push_marks_image_outputs_or_adds_one() -> None:
    (image,) = plan_exports(parse_outputs(["type=image,name=r/a:1"]), push=True)
    assert (image.type, image.attrs["name"], image.attrs["push"]) == ("image", "r/a:1", "true")
    local, image = plan_exports(parse_outputs(["type=local,dest=d"]), tags=["r/a:1"], push=True)
    assert (local.type, image.type, image.attrs["name"], image.attrs["push"]) == ("local", "image", "r/a:1", "true")


@pytest.mark.parametrize(
    ("outputs", "iidfile", "message"),
    [
        (["type=local"], False, "dest is required for local exporter"),
        (["type=local,dest=-"], False, "dest cannot be stdout for local exporter"),
        (["-", "type=oci"], False, "multiple outputs configured to write to stdout"),
        (["type=local,dest=d"], True, "local and tar exporters are incompatible with image ID file"),
        (["type=tar,dest=t"], True, "incompatible with image ID file"),
        (["type=oci,dest=d,tar=false", "type=docker,dest=e,tar=false"], False, "only one oci or docker output"),
        (["type=oci,tar=false"], False, "dest is required for oci exporter"),
    ],
)
def test_plan_errors(outputs: list[str], iidfile: bool, message: str) -> None:
    with pytest.raises(BuildConfigError, match=message):
        plan_exports(parse_outputs(outputs), iidfile=iidfile)


def test_destination_kind_is_checked(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(BuildConfigError, match="is a file"):
        plan_exports(parse_outputs([f"type=local,dest={tmp_path / 'file'}"]))
    with pytest.raises(BuildConfigError, match="is a directory"):
        plan_exports(parse_outputs([f"type=tar,dest={tmp_path}"]))


def test_engine_resolution_of_load_and_image() -> None:
    assert resolve_exports([ExportSpec("docker", {"name": "a"})], _DOCKERD) == (ExportSpec("moby", {"name": "a"}),)
    assert resolve_exports([ExportSpec("image", {"name": "a"})], _DOCKERD) == (ExportSpec("moby", {"name": "a"}),)
    with pytest.raises(BuildConfigError, match="dockerd"):
        resolve_exports([ExportSpec("docker")], _BUILDKITD)
    # File outputs pass through unchanged, destination included.
    spec = ExportSpec("docker", {"name": "a"}, "x.tar")
    assert resolve_exports([spec], _DOCKERD) == (spec,)
    assert ENGINE_IMAGE not in {e.type for e in resolve_exports([spec], _BUILDKITD)}


def test_file_target_appears_only_on_commit(tmp_path: Path) -> None:
    dest = tmp_path / "out.tar"
    dest.write_bytes(b"old")
    targets = OutputTargets([ExportSpec("moby"), ExportSpec("tar", {}, str(dest))])
    assert list(targets.file_openers) == [1] and not targets.dir_openers
    with targets:
        writer = targets.file_openers[1]({})
        writer.write(b"new")
        assert dest.read_bytes() == b"old"
        targets.commit()
    assert dest.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["out.tar"]
    assert dest.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_uncommitted_targets_leave_nothing(tmp_path: Path) -> None:
    exports = [ExportSpec("local", {}, str(tmp_path / "dir")), ExportSpec("tar", {}, str(tmp_path / "sub" / "a.tar"))]
    with OutputTargets(exports) as targets:
        root = targets.dir_openers[0]()
        (root / "ro").mkdir()
        (root / "ro" / "f").write_text("x")
        os.chmod(root / "ro", 0o555)
        targets.file_openers[1]({}).write(b"partial")
        assert len(os.listdir(tmp_path)) == 2  # the temp dir and the parent of the tar
    assert os.listdir(tmp_path) == ["sub"]
    assert os.listdir(tmp_path / "sub") == []


def test_a_multi_platform_result_arrives_as_one_transfer_per_platform_into_one_directory(tmp_path: Path) -> None:
    # The engine's local exporter copies each platform to the client on its own, into `linux_amd64/`...
    dest = tmp_path / "dir"
    with OutputTargets([ExportSpec("local", {}, str(dest))]) as targets:
        first, second = targets.dir_openers[0](), targets.dir_openers[0]()
        assert first == second
        for platform in ("linux_amd64", "linux_arm64"):
            (first / platform).mkdir()
            (first / platform / "f").write_text(platform)
        targets.commit()
    assert sorted(os.listdir(dest)) == ["linux_amd64", "linux_arm64"]
    assert sorted(os.listdir(tmp_path)) == ["dir"]


def test_dir_target_renames_or_merges(tmp_path: Path) -> None:
    dest = tmp_path / "dir"
    with OutputTargets([ExportSpec("local", {}, str(dest))]) as targets:
        root = targets.dir_openers[0]()
        (root / "a").write_text("1")
        targets.commit()
    assert (dest / "a").read_text() == "1" and dest.stat().st_mode & 0o777 == 0o700
    (dest / "keep").write_text("k")
    (dest / "sub").mkdir()
    (dest / "sub" / "old").write_text("o")
    (dest / "was-dir").mkdir()
    with OutputTargets([ExportSpec("local", {}, str(dest))]) as targets:
        root = targets.dir_openers[0]()
        (root / "a").write_text("2")
        (root / "sub").mkdir()
        (root / "sub" / "new").write_text("n")
        (root / "was-dir").write_text("now a file")
        targets.commit()
    assert sorted(os.listdir(tmp_path)) == ["dir"]
    assert (dest / "a").read_text() == "2" and (dest / "keep").read_text() == "k"
    assert sorted(os.listdir(dest / "sub")) == ["new", "old"]
    assert (dest / "was-dir").read_text() == "now a file"


def test_stdout_target_writes_through() -> None:
    stream = io.BytesIO()
    targets = OutputTargets([ExportSpec("tar", {}, "-")], stream)
    targets.file_openers[0]({}).write(b"tar bytes")
    targets.commit()
    assert stream.getvalue() == b"tar bytes"
    with pytest.raises(BuildConfigError):
        OutputTargets([ExportSpec("tar", {}, "-")])


def _b64(value: object) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_metadata_document_decodes_like_buildx() -> None:
    descriptor = {"mediaType": "m", "digest": "sha256:1", "size": 3}
    response = {
        "containerimage.descriptor": _b64(descriptor),
        "containerimage.config.digest": "sha256:c",
        "image.name": "docker.io/a:1",
        "empty.object": _b64({}),
        "a.number": _b64(5),
        "a.list": _b64([{"x": 1}]),
        "result.json": '{"k": "v"}',
    }
    document = metadata_document(response, build_ref="b/n/ref")
    assert document["containerimage.descriptor"] == descriptor
    assert document["containerimage.config.digest"] == "sha256:c"
    assert document["image.name"] == "docker.io/a:1"
    assert document["empty.object"] == response["empty.object"]
    assert document["a.number"] == response["a.number"]
    assert document["a.list"] == [{"x": 1}]
    assert document["result.json"] == {"k": "v"}
    assert document["buildx.build.ref"] == "b/n/ref"
    assert list(document) == sorted(document)


def test_image_id_prefers_the_config_digest() -> None:
    assert image_id({"containerimage.digest": "sha256:m", "containerimage.config.digest": "sha256:c"}) == "sha256:c"
    assert image_id({"containerimage.digest": "sha256:m"}) == "sha256:m"
    assert image_id({}) == ""


def test_write_file_atomic(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "iid"
    write_file_atomic(target, b"sha256:x")
    write_file_atomic(target, b"sha256:y")
    assert target.read_bytes() == b"sha256:y"
    assert target.stat().st_mode & 0o777 == 0o644
    assert os.listdir(target.parent) == ["iid"]


_DESCRIPTOR = {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:aa",
    "size": 476,
    "platform": {"architecture": "amd64", "os": "linux"},
    "annotations": {"org.opencontainers.image.created": "now"},
}


def test_layout_index_names_images_like_the_reference() -> None:
    index = index_with_image({}, _DESCRIPTOR, ["docker.io/team/app:1", "reg:5000/x@sha256:bb"])
    assert index["schemaVersion"] == 2 and index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    first, second = index["manifests"]
    assert list(first) == ["mediaType", "digest", "size", "annotations", "platform"]
    assert first["annotations"] == {
        "io.containerd.image.name": "docker.io/team/app:1",
        "org.opencontainers.image.created": "now",
        "org.opencontainers.image.ref.name": "1",
    }
    assert second["annotations"]["org.opencontainers.image.ref.name"] == "@sha256:bb"
    # The same name again replaces its entry; other entries stay; no names means the tag `latest`.
    again = index_with_image(index, {**_DESCRIPTOR, "digest": "sha256:cc"}, ["docker.io/team/app:1"])
    assert [m["digest"] for m in again["manifests"]] == ["sha256:aa", "sha256:cc"]
    (latest,) = index_with_image({}, _DESCRIPTOR, [])["manifests"]
    assert latest["annotations"]["org.opencontainers.image.ref.name"] == "latest"
    assert "io.containerd.image.name" not in latest["annotations"]


def test_layout_target_moves_blobs_and_writes_the_index(tmp_path: Path) -> None:
    dest = tmp_path / "layout"
    (dest / "blobs" / "sha256").mkdir(parents=True)
    (dest / "blobs" / "sha256" / "old").write_text("kept")
    targets = OutputTargets([ExportSpec("oci", {"tar": "false"}, str(dest))])
    with targets:
        (store,) = targets.content_stores.values()
        (store.root / "blobs" / "sha256").mkdir(parents=True)
        (store.root / "blobs" / "sha256" / "aa").write_text("manifest")
        response = {"containerimage.descriptor": _b64(_DESCRIPTOR), "image.name": "docker.io/x:1"}
        targets.commit(response)
    assert sorted(os.listdir(tmp_path)) == ["layout"]
    assert sorted(os.listdir(dest / "blobs" / "sha256")) == ["aa", "old"]
    assert json.loads((dest / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    (entry,) = json.loads((dest / "index.json").read_text())["manifests"]
    assert entry["annotations"]["io.containerd.image.name"] == "docker.io/x:1"


def test_uncommitted_layout_leaves_nothing(tmp_path: Path) -> None:
    with OutputTargets([ExportSpec("oci", {"tar": "false"}, str(tmp_path / "layout"))]) as targets:
        (store,) = targets.content_stores.values()
        assert store.root.is_dir()
    assert os.listdir(tmp_path) == []
