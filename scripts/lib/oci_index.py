"""Adds a platform to a single-platform image saved as an OCI layout (`docker save`).

    oci_index.py SAVED_DIR LAYER_TAR ARCH NAME OUT_DIR

SAVED_DIR holds `docker save NAME` unpacked (one image manifest); LAYER_TAR is the root filesystem
of the same image built for ARCH (an uncompressed tar). OUT_DIR receives an OCI layout whose image
NAME is an index of the saved manifest, unchanged, and a new ARCH manifest whose config is the
saved one with the architecture and layer replaced. Loading it (`docker load`) turns NAME into a
multi-platform image without changing what the existing platform resolves to.
Exit status 3: the saved image is already an index (nothing to do).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


def _blob(root: Path, digest: str) -> bytes:
    return (root / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def _put(out: Path, data: bytes, media_type: str) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    (out / "blobs" / "sha256" / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def main(saved_dir: str, layer_tar: str, arch: str, name: str, out_dir: str) -> int:
    saved, out = Path(saved_dir), Path(out_dir)
    top = json.loads((saved / "index.json").read_text())["manifests"][0]
    if top["mediaType"] != MANIFEST_TYPE:
        return 3
    manifest = json.loads(_blob(saved, top["digest"]))
    config = json.loads(_blob(saved, manifest["config"]["digest"]))
    (out / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (out / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    # The existing platform's blobs, byte for byte.
    for descriptor in (top, manifest["config"], *manifest["layers"]):
        digest = descriptor["digest"].split(":", 1)[1]
        shutil.copyfile(saved / "blobs" / "sha256" / digest, out / "blobs" / "sha256" / digest)

    tar = Path(layer_tar).read_bytes()
    layer = _put(out, gzip.compress(tar, mtime=0), LAYER_TYPE)
    foreign = {**config, "architecture": arch, "rootfs": {"type": "layers", "diff_ids": [
        "sha256:" + hashlib.sha256(tar).hexdigest()
    ]}}
    foreign_config = _put(out, _json(foreign), CONFIG_TYPE)
    foreign_manifest = _put(
        out,
        _json({"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": foreign_config, "layers": [layer]}),
        MANIFEST_TYPE,
    )
    existing = {
        "mediaType": MANIFEST_TYPE,
        "digest": top["digest"],
        "size": top["size"],
        "platform": {"architecture": config["architecture"], "os": config["os"]},
    }
    foreign_manifest["platform"] = {"architecture": arch, "os": config["os"]}
    index = _put(
        out, _json({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [existing, foreign_manifest]}), INDEX_TYPE
    )
    index["annotations"] = {
        "io.containerd.image.name": name,
        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1],
    }
    (out / "index.json").write_text(json.dumps({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [index]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
