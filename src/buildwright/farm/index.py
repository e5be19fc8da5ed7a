"""One image index from legs built on different nodes, as buildx merges a multi-node build.

Each node pushed its legs by digest (`push-by-digest=true`, names without tags) and answered the
pushed descriptor (`containerimage.descriptor`). The index lists those manifests (a node's own
index is opened and its manifests listed) in the target's platform order, serialized as Go's
`json.MarshalIndent` does: an index the engine would have written for the same manifests has the
same bytes, so with SOURCE_DATE_EPOCH the digest is the one-node build's. The index is a docker
manifest list when every manifest is a docker one, else an OCI index (buildx's imagetools rule).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from buildwright._golang import go_json
from buildwright._values import valueclass
from buildwright.client.outputs import DESCRIPTOR_KEY
from buildwright.errors import OutputError
from buildwright.farm.registry import RegistryClient

DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
_INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)
# The annotation of an attestation manifest naming the image manifest it is about.
_REFERENCE_DIGEST = "vnd.docker.reference.digest"


@valueclass
class Index:
    """A serialized index: its bytes, media type and digest."""

    body: bytes
    media_type: str

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.body).hexdigest()


def pushed_descriptor(exporter_response: Mapping[str, str]) -> dict[str, Any]:
    """The descriptor a node answered for what it pushed."""
    raw = exporter_response.get(DESCRIPTOR_KEY)
    if not raw:
        raise OutputError("the node did not report the descriptor of what it pushed")
    try:
        descriptor = json.loads(base64.b64decode(raw))
    except ValueError as exc:
        raise OutputError(f"the node reported an unreadable descriptor: {exc}") from None
    if not isinstance(descriptor, dict) or "digest" not in descriptor:
        raise OutputError("the node reported a descriptor without a digest")
    return descriptor


def _platform_key(descriptor: Mapping[str, Any]) -> str:
    p = descriptor.get("platform") or {}
    text = f"{p.get('os', '')}/{p.get('architecture', '')}"
    return f"{text}/{p['variant']}" if p.get("variant") else text


def manifests_of(descriptor: Mapping[str, Any], registry: RegistryClient, repository: str) -> list[dict[str, Any]]:
    """The platform manifests a pushed descriptor stands for (an index is opened)."""
    if descriptor.get("mediaType") not in _INDEX_TYPES:
        return [dict(descriptor)]
    body, _ = registry.get_manifest(repository, str(descriptor["digest"]))
    listed = json.loads(body).get("manifests") or []
    return [dict(m) for m in listed]


def merge_index(manifests: Sequence[Mapping[str, Any]], platforms: Sequence[str]) -> Index:
    """The index of `manifests`, ordered by `platforms` (those not listed keep their order, last;
    attestation manifests after all images, in their images' order)."""
    order = {p: i for i, p in enumerate(platforms)}
    seen: dict[str, dict[str, Any]] = {}
    for m in manifests:
        seen.setdefault(str(m["digest"]), dict(m))
    position = {digest: order.get(_platform_key(m), len(order)) for digest, m in seen.items()}

    def key(m: Mapping[str, Any]) -> tuple[int, int]:
        # As one engine writes it: the images in platform order, then their attestation
        # manifests in the order of the images they describe.
        described = (m.get("annotations") or {}).get(_REFERENCE_DIGEST)
        if described is not None:
            return (1, position.get(str(described), len(order)))
        return (0, position[str(m["digest"])])

    ordered = sorted(seen.values(), key=key)
    docker = all(str(m.get("mediaType", "")).startswith("application/vnd.docker.") for m in ordered)
    media_type = DOCKER_LIST if docker else OCI_INDEX
    # Field order of Go's ocispecs.Index and Descriptor (encoding/json writes struct order).
    entries = [_descriptor(m) for m in ordered]
    document = {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
    return Index(go_json(document, indent=2).encode(), media_type)


def _descriptor(m: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"mediaType": m.get("mediaType", ""), "digest": m["digest"], "size": m["size"]}
    for key in ("urls", "annotations"):
        if m.get(key):
            out[key] = m[key]
    platform = m.get("platform")
    if platform:
        out["platform"] = {
            k: platform[k] for k in ("architecture", "os", "os.version", "os.features", "variant") if platform.get(k)
        }
    if m.get("artifactType"):
        out["artifactType"] = m["artifactType"]
    return out
