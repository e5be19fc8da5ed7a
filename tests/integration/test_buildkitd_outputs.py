"""Outputs and cache where a standalone buildkitd differs from dockerd (no image store): `--push` to
a registry, OCI and docker tarballs, and `--cache-to`/`--cache-from` of type local and registry
carried from one buildkitd to another. Each is compared with buildx's remote driver on the same
daemon, or checked on the daemon that reads it. The registry is the daemons' own local registry
(plain HTTP on 127.0.0.1, as their config declares it)."""

from __future__ import annotations

import json
import tarfile
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

import buildwright
from tests.integration.buildkitd import Buildkitd, buildx_remote_build, remote_builder, without_engine_vars
from tests.integration.reference import EngineInfo

_ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"


@pytest.fixture
def context(tmp_path: Path) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    marker = uuid.uuid4().hex
    (folder / "Dockerfile").write_text(
        f"FROM busybox:latest\nCOPY data.txt /data.txt\nRUN echo {marker} > /marker && wc -c /data.txt > /size\n"
        'CMD ["cat", "/marker"]\n'
    )
    (folder / "data.txt").write_text(f"data {marker}\n")
    return folder


def _options(engine: EngineInfo, daemon: Buildkitd) -> buildwright.EngineOptions:
    return buildwright.EngineOptions(addr=daemon.unix_address, env=without_engine_vars(engine.env))


def _manifest(registry: str, repository: str, tag: str) -> dict[str, Any]:
    request = urllib.request.Request(f"http://{registry}/v2/{repository}/manifests/{tag}", headers={"Accept": _ACCEPT})
    with urllib.request.urlopen(request, timeout=10) as answer:
        manifest: dict[str, Any] = json.loads(answer.read())
    return manifest


def _image_parts(manifest: dict[str, Any]) -> tuple[str, list[str]]:
    return manifest["config"]["digest"], [layer["digest"] for layer in manifest["layers"]]


def _oci_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:

        def blob(digest: str) -> Any:
            member = tar.extractfile("blobs/" + digest.replace(":", "/"))
            assert member is not None
            return json.loads(member.read())

        index = json.loads(tar.extractfile("index.json").read())  # type: ignore[union-attr]
        manifest: dict[str, Any] = blob(index["manifests"][0]["digest"])
        return manifest


def test_push_to_a_registry_matches_buildx(
    engine: EngineInfo, buildkitd: Buildkitd, context: Path, tmp_path: Path
) -> None:
    repository, tag = "bw-test/pushed", uuid.uuid4().hex[:10]
    ours = f"{buildkitd.registry}/{repository}:{tag}"
    result = buildwright.build(context, tags=[ours], push=True, engine=_options(engine, buildkitd))
    assert result.warnings == ()
    assert result.metadata["image.name"] == ours
    theirs = f"{buildkitd.registry}/{repository}:{tag}-buildx"
    builder = remote_builder(engine, buildkitd, tcp=False)
    buildx_remote_build(engine, builder, context, tmp_path / "unused.tar", extra_args=["--push", "-t", theirs])
    pushed = _manifest(buildkitd.registry, repository, tag)
    assert result.metadata["containerimage.digest"].startswith("sha256:")
    assert _image_parts(pushed) == _image_parts(_manifest(buildkitd.registry, repository, f"{tag}-buildx"))


def test_oci_tarball_matches_buildx(engine: EngineInfo, buildkitd: Buildkitd, context: Path, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.tar", tmp_path / "theirs.tar"
    buildwright.build(context, outputs=[f"type=oci,dest={ours}"], engine=_options(engine, buildkitd))
    builder = remote_builder(engine, buildkitd, tcp=False)
    done = buildx_remote_build(
        engine, builder, context, tmp_path / "unused.tar", extra_args=["-o", f"type=oci,dest={theirs}"]
    )
    assert done.returncode == 0
    assert _image_parts(_oci_manifest(ours)) == _image_parts(_oci_manifest(theirs))


def _run_step_cached(result: buildwright.BuildResult) -> bool:
    runs = [step for step in result.steps if "RUN echo" in step.name]
    assert runs, [step.name for step in result.steps]
    return all(step.cached for step in runs)


@pytest.mark.parametrize("kind", ["local", "registry"])
def test_cache_moves_from_one_buildkitd_to_another(
    engine: EngineInfo, buildkitd: Buildkitd, buildkitd_two: Buildkitd, context: Path, tmp_path: Path, kind: str
) -> None:
    if kind == "local":
        to, source = f"type=local,dest={tmp_path / 'cache'},mode=max", f"type=local,src={tmp_path / 'cache'}"
    else:
        ref = f"{buildkitd.registry}/bw-test/cache:{uuid.uuid4().hex[:10]}"
        to, source = f"type=registry,ref={ref},mode=max", f"type=registry,ref={ref}"
    out = tmp_path / "out"
    first = buildwright.build(
        context, outputs=[f"type=local,dest={out}/1"], cache_to=[to], engine=_options(engine, buildkitd)
    )
    assert not _run_step_cached(first)  # a new marker: built here for the first time
    # The other daemon never ran this step: it can only come from the exported cache.
    second = buildwright.build(
        context, outputs=[f"type=local,dest={out}/2"], cache_from=[source], engine=_options(engine, buildkitd_two)
    )
    assert _run_step_cached(second)
    assert (out / "1" / "marker").read_text() == (out / "2" / "marker").read_text()
