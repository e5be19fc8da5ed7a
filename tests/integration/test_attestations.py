"""Attestations on the engine, against buildx: the default minimal provenance (an index holding
the image and an attestation manifest), `--provenance=false`, `mode=max` and `--attest`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from buildwright.client.attestations import NO_DEFAULT_ENV
from tests.integration.reference import EngineInfo

_PROVENANCE = "https://slsa.dev/provenance/v0.2"


def _env(engine: EngineInfo) -> dict[str, str]:
    return {k: v for k, v in engine.env.items() if k != NO_DEFAULT_ENV}


def _blob(tar: tarfile.TarFile, digest: str) -> Any:
    member = tar.extractfile("blobs/" + digest.replace(":", "/"))
    assert member is not None
    return json.loads(member.read())


def _structure(engine: EngineInfo, tag: str) -> dict[str, Any]:
    """What the image store holds under `tag`: the top media type, each manifest's platform and
    role, the image manifest digest and the attestations' predicate types (and their keys)."""
    saved = subprocess.run(
        [engine.docker_cli, "save", tag], env=dict(engine.env), capture_output=True, check=True, timeout=300
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(saved)) as tar:
        top = _blob(tar, json.loads(tar.extractfile("index.json").read())["manifests"][0]["digest"])  # type: ignore[union-attr]
        if top["mediaType"] != "application/vnd.oci.image.index.v1+json":
            return {"media_type": top["mediaType"], "manifests": []}
        manifests = []
        for entry in top["manifests"]:
            platform = entry.get("platform", {})
            role = (entry.get("annotations") or {}).get("vnd.docker.reference.type", "image")
            item: dict[str, Any] = {"platform": f"{platform.get('os')}/{platform.get('architecture')}", "role": role}
            if role == "image":
                item["digest"] = entry["digest"]
            else:
                manifest = _blob(tar, entry["digest"])
                item["predicates"] = sorted(
                    (
                        layer["annotations"]["in-toto.io/predicate-type"],
                        tuple(sorted(_blob(tar, layer["digest"])["predicate"])),
                    )
                    for layer in manifest["layers"]
                )
            manifests.append(item)
    return {"media_type": top["mediaType"], "manifests": manifests}


def _both(engine: EngineInfo, context: Path, *flags: str) -> tuple[dict[str, Any], dict[str, Any]]:
    token = uuid.uuid4().hex[:10]
    ours, theirs = f"bw-attest/bw:{token}", f"bw-attest/bx:{token}"
    env = _env(engine)
    built = subprocess.run(
        [sys.executable, "-m", "buildwright", "build", "-q", "-t", ours, *flags, str(context)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    reference = subprocess.run(
        [engine.docker_cli, "buildx", "build", "-q", "-t", theirs, *flags, str(context)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert reference.returncode == 0, reference.stderr
    return _structure(engine, ours), _structure(engine, theirs)


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("attest")
    (folder / "Dockerfile").write_text(f"FROM busybox:latest\nRUN echo attested-{uuid.uuid4().hex} > /a\n")
    return folder


def test_default_build_has_buildx_s_minimal_provenance(engine: EngineInfo, context: Path) -> None:
    ours, theirs = _both(engine, context)
    assert ours == theirs
    roles = [m["role"] for m in ours["manifests"]]
    assert ours["media_type"] == "application/vnd.oci.image.index.v1+json"
    assert roles == ["image", "attestation-manifest"]
    assert ours["manifests"][1]["predicates"][0][0] == _PROVENANCE


def test_provenance_false_gives_the_single_manifest(engine: EngineInfo, context: Path) -> None:
    ours, theirs = _both(engine, context, "--provenance=false")
    assert ours == theirs
    assert ours["media_type"] != "application/vnd.oci.image.index.v1+json"


@pytest.mark.parametrize("flags", [("--provenance=mode=max",), ("--attest", "type=provenance,mode=max")])
def test_max_provenance(engine: EngineInfo, context: Path, flags: tuple[str, ...]) -> None:
    ours, theirs = _both(engine, context, *flags)
    assert ours == theirs
    predicate_keys = ours["manifests"][1]["predicates"][0][1]
    assert "buildConfig" in predicate_keys and "materials" in predicate_keys


def test_bad_attest_values_are_refused(engine: EngineInfo, context: Path) -> None:
    for flags, message in (
        (("--attest", "mode=max"), "attestation type not specified"),
        (("--attest", "type=provenance,disabled=maybe"), "invalid value disabled=maybe"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "buildwright", "build", *flags, str(context)],
            env=_env(engine),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode in (1, 2)
        assert message in done.stderr
        assert "Traceback" not in done.stderr
