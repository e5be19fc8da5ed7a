"""`oci-layout://DIR[:TAG][@DIGEST]` named contexts: the client reads the image configs from the
layout, the frontend makes the reference's `oci-layout://` source, and the inputs serve the folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from buildwright.client.layoutimage import read_layout_context
from buildwright.dockerfile import parse_dockerfile
from buildwright.errors import BuildConfigError, DockerfileError
from buildwright.frontend.contexts import NamedContext
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.options import FrontendOptions
from buildwright.inputs import read_inputs
from buildwright.llb.platform import Platform
from buildwright.options import BuildOptions
from tests.unit.frontend.test_convert_stage_semantics import Resolver


def _blob(root: Path, value: Any) -> dict[str, Any]:
    data = json.dumps(value).encode()
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _image(root: Path, arch: str, env: str) -> dict[str, Any]:
    config = _blob(root, {"os": "linux", "architecture": arch, "config": {"Env": [env], "WorkingDir": "/w"}})
    manifest = _blob(root, {"schemaVersion": 2, "config": config, "layers": []})
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest}


def _layout(root: Path, *, index: bool, tag: str | None = None) -> str:
    root.mkdir(parents=True)
    if index:
        images = [
            {**_image(root, "amd64", "A=amd"), "platform": {"os": "linux", "architecture": "amd64"}},
            {**_image(root, "arm64", "A=arm"), "platform": {"os": "linux", "architecture": "arm64"}},
            {**_image(root, "unknown", "X=1"), "platform": {"os": "unknown", "architecture": "unknown"}},
        ]
        top = {"mediaType": "application/vnd.oci.image.index.v1+json", "schemaVersion": 2, "manifests": images}
        entry = {"mediaType": "application/vnd.oci.image.index.v1+json", **_blob(root, top)}
    else:
        entry = _image(root, "amd64", "A=one")
    if tag:
        entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return str(entry["digest"])


def test_an_index_gives_one_config_per_platform_and_skips_attestations(tmp_path: Path) -> None:
    digest = _layout(tmp_path / "l", index=True)
    layout = read_layout_context(f"oci-layout://{tmp_path / 'l'}")
    assert layout.image.digest == digest
    assert sorted(layout.image.configs) == ["linux/amd64", "linux/arm64"]
    assert layout.store_key == "oci:" + digest.removeprefix("sha256:")
    assert layout.value == f"oci-layout://{digest.removeprefix('sha256:')}@{digest}"
    assert json.loads(layout.image.config_for("linux/arm64") or b"")["config"]["Env"] == ["A=arm"]
    assert layout.image.config_for("linux/386") is None


def test_a_tag_or_digest_picks_the_descriptor(tmp_path: Path) -> None:
    digest = _layout(tmp_path / "l", index=False, tag="v1")
    assert read_layout_context(f"oci-layout://{tmp_path / 'l'}:v1").image.digest == digest
    assert read_layout_context(f"oci-layout://{tmp_path / 'l'}@{digest}").image.configs.keys() == {""}
    with pytest.raises(BuildConfigError, match="no image tagged v2"):
        read_layout_context(f"oci-layout://{tmp_path / 'l'}:v2")
    with pytest.raises(BuildConfigError, match="no such directory"):
        read_layout_context(f"oci-layout://{tmp_path / 'missing'}")


def _compile(text: str, named: NamedContext, platform: Platform | None = None) -> list[dict[str, Any]]:
    options = FrontendOptions(session_id="s1", named_contexts={named.name: named}, target_platform=platform)
    compiled = compile_dockerfile(parse_dockerfile(text), options, Resolver())
    return json.loads(compiled.definition.to_json())["ops"]  # type: ignore[no-any-return]


def test_the_frontend_reads_the_image_from_the_clients_store(tmp_path: Path) -> None:
    digest = _layout(tmp_path / "l", index=True)
    layout = read_layout_context(f"oci-layout://{tmp_path / 'l'}")
    named = NamedContext("base", layout.value, layout=layout.image)
    ops = _compile("FROM base\nRUN echo $A\n", named, Platform("linux", "arm64"))
    [source] = [op["op"]["source"] for op in ops if "source" in op["op"]]
    assert source["identifier"] == f"oci-layout://docker.io/library/base@{digest}"
    assert source["attrs"] == {"oci.session": "s1", "oci.store": layout.image.store_id}
    [run] = [op["op"]["exec"] for op in ops if "exec" in op["op"]]
    assert "A=arm" in run["meta"]["env"] and run["meta"]["cwd"] == "/w"
    with pytest.raises(DockerfileError, match="has no image for linux/386"):
        _compile("FROM base\n", named, Platform("linux", "386"))


def test_inputs_serve_the_layout_folder_as_the_store_the_source_names(tmp_path: Path) -> None:
    _layout(tmp_path / "l", index=False)
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "Dockerfile").write_text("FROM base\n")
    inputs = read_inputs(tmp_path / "ctx", BuildOptions(build_contexts={"base": f"oci-layout://{tmp_path / 'l'}"}))
    layout = inputs.named_contexts["base"].layout
    assert layout is not None
    assert inputs.layout_stores == {f"oci:{layout.store_id}": (tmp_path / "l").resolve()}
