"""The index merged from legs pushed by different nodes: as one engine writes it, byte for byte."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from buildwright.errors import OutputError
from buildwright.farm.index import DOCKER_LIST, OCI_INDEX, merge_index, pushed_descriptor

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def _image(digest: str, arch: str, media_type: str = OCI_MANIFEST) -> dict[str, Any]:
    return {
        "mediaType": media_type,
        "digest": digest,
        "size": 500,
        "platform": {"architecture": arch, "os": "linux"},
        "annotations": None,
    }


def _attestation(digest: str, of: str) -> dict[str, Any]:
    return {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": 100,
        "annotations": {"vnd.docker.reference.digest": of, "vnd.docker.reference.type": "attestation-manifest"},
        "platform": {"architecture": "unknown", "os": "unknown"},
    }


def test_images_follow_the_platform_order_then_their_attestations() -> None:
    # As the nodes answered: arm64's node first.
    given = [_image("sha256:b", "arm64"), _attestation("sha256:bb", "sha256:b")]
    given += [_image("sha256:a", "amd64"), _attestation("sha256:aa", "sha256:a")]
    index = merge_index(given, ["linux/amd64", "linux/arm64"])
    document = json.loads(index.body)
    assert [m["digest"] for m in document["manifests"]] == ["sha256:a", "sha256:b", "sha256:aa", "sha256:bb"]
    assert index.media_type == OCI_INDEX == document["mediaType"]


def test_the_bytes_are_go_s_indented_json_in_struct_order() -> None:
    index = merge_index([_image("sha256:a", "amd64", DOCKER_MANIFEST)], ["linux/amd64"])
    assert index.media_type == DOCKER_LIST
    assert index.body.decode() == (
        "{\n"
        '  "schemaVersion": 2,\n'
        f'  "mediaType": "{DOCKER_LIST}",\n'
        '  "manifests": [\n'
        "    {\n"
        f'      "mediaType": "{DOCKER_MANIFEST}",\n'
        '      "digest": "sha256:a",\n'
        '      "size": 500,\n'
        '      "platform": {\n'
        '        "architecture": "amd64",\n'
        '        "os": "linux"\n'
        "      }\n"
        "    }\n"
        "  ]\n"
        "}"
    )
    assert index.digest.startswith("sha256:") and len(index.digest) == 71


def test_a_manifest_listed_twice_is_listed_once() -> None:
    index = merge_index([_image("sha256:a", "amd64"), _image("sha256:a", "amd64")], ["linux/amd64"])
    assert len(json.loads(index.body)["manifests"]) == 1


def test_the_pushed_descriptor_is_read_from_the_exporter_response() -> None:
    descriptor = {"mediaType": OCI_MANIFEST, "digest": "sha256:a", "size": 3}
    raw = base64.b64encode(json.dumps(descriptor).encode()).decode()
    assert pushed_descriptor({"containerimage.descriptor": raw}) == descriptor
    with pytest.raises(OutputError, match="did not report"):
        pushed_descriptor({})
    with pytest.raises(OutputError, match="without a digest"):
        pushed_descriptor({"containerimage.descriptor": base64.b64encode(b"{}").decode()})
