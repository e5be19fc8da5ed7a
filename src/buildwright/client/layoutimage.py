"""An image of a local OCI layout directory as a named context (`oci-layout://DIR[:TAG][@DIGEST]`).

buildx's syntax: the directory, then a tag (default `latest`) or a digest. The client picks the
descriptor in `index.json` (by tag, by digest, or the only one), reads the image configs itself
(one per platform of an index; attestation manifests are skipped) and serves the directory's blobs
to the engine as content store `oci:<store id>`, which the `oci-layout://` source op names. The
store id is the chosen descriptor's digest, so the same image keeps the same graph.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from buildwright._values import valueclass
from buildwright.client.ocilayout import IndexUnreadable, find_tag, read_index
from buildwright.errors import BuildConfigError
from buildwright.frontend.contexts import OCI_LAYOUT_PREFIX, LayoutImage

# The content store id the engine asks the session for, for an oci-layout source's store.
STORE_PREFIX = "oci:"
_INDEXES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
_DEFAULT_TAG = "latest"


@valueclass
class LayoutContext:
    """A read `oci-layout://` context: the directory to serve and the image the frontend uses."""

    directory: Path
    image: LayoutImage

    @property
    def store_key(self) -> str:
        return STORE_PREFIX + self.image.store_id

    @property
    def value(self) -> str:
        return f"{OCI_LAYOUT_PREFIX}{self.image.store_id}@{self.image.digest}"


def _split(spec: str) -> tuple[Path, str | None, str | None]:
    rest = spec[len(OCI_LAYOUT_PREFIX) :]
    digest = None
    if "@" in rest:
        rest, digest = rest.rsplit("@", 1)
    tag = None
    head, sep, last = rest.rpartition("/")
    if ":" in last:
        last, tag = last.split(":", 1)
        rest = f"{head}{sep}{last}"
    return Path(rest), tag, digest


def _raw_blob(root: Path, digest: str, what: str) -> tuple[bytes, Any]:
    algorithm, _, hexpart = digest.partition(":")
    path = root / "blobs" / algorithm / hexpart
    try:
        data = path.read_bytes()
        return data, json.loads(data)
    except OSError as exc:
        raise BuildConfigError(f"oci-layout {root}: cannot read the {what} {digest}: {exc.strerror}") from exc
    except ValueError as exc:
        raise BuildConfigError(f"oci-layout {root}: the {what} {digest} is not JSON: {exc}") from exc


def _blob(root: Path, digest: str, what: str) -> Any:
    return _raw_blob(root, digest, what)[1]


def _config(root: Path, manifest_digest: str) -> bytes:
    manifest = _blob(root, manifest_digest, "manifest")
    config = (manifest.get("config") or {}).get("digest") if isinstance(manifest, dict) else None
    if not isinstance(config, str):
        raise BuildConfigError(f"oci-layout {root}: manifest {manifest_digest} names no config")
    return _raw_blob(root, config, "image config")[0]


def _platform(descriptor: dict[str, Any]) -> str | None:
    platform = descriptor.get("platform") or {}
    os_name, arch = platform.get("os"), platform.get("architecture")
    if not os_name or not arch or os_name == "unknown":
        return None  # an attestation manifest
    variant = platform.get("variant")
    return f"{os_name}/{arch}/{variant}" if variant else f"{os_name}/{arch}"


def _descriptor(root: Path, tag: str | None, digest: str | None) -> dict[str, Any]:
    try:
        manifests = [m for m in read_index(root).get("manifests", []) if isinstance(m, dict)]
        if digest is not None:
            found = next((m for m in manifests if m.get("digest") == digest), None)
            return found or {"digest": digest, "mediaType": _INDEXES[0]}
        if tag is None and len(manifests) == 1:
            return manifests[0]
        by_tag = find_tag(root, tag or _DEFAULT_TAG)
    except IndexUnreadable as exc:
        raise BuildConfigError(f"oci-layout {root}: {exc}") from exc
    if by_tag is None:
        raise BuildConfigError(f"oci-layout {root}: no image tagged {tag or _DEFAULT_TAG}")
    return dict(by_tag)


def read_layout_context(spec: str) -> LayoutContext:
    """The image `spec` (`oci-layout://DIR[:TAG][@DIGEST]`) names, read from its directory.

    Raises:
        BuildConfigError: no such directory, tag or digest, or blobs that cannot be read.
    """
    root, tag, digest = _split(spec)
    if not root.is_dir():
        raise BuildConfigError(f"oci-layout {root}: no such directory")
    root = root.resolve()
    descriptor = _descriptor(root, tag, digest)
    chosen = str(descriptor.get("digest") or "")
    if not chosen.startswith("sha256:"):
        raise BuildConfigError(f"oci-layout {root}: descriptor without a sha256 digest")
    document = _blob(root, chosen, "index or manifest")
    configs: dict[str, bytes] = {}
    if isinstance(document, dict) and (document.get("mediaType") in _INDEXES or "manifests" in document):
        for item in document.get("manifests") or ():
            platform = _platform(item) if isinstance(item, dict) else None
            if platform is not None and platform not in configs:
                configs[platform] = _config(root, str(item.get("digest")))
    else:
        configs[""] = _config(root, chosen)
    if not configs:
        raise BuildConfigError(f"oci-layout {root}: {chosen} holds no image")
    store_id = chosen.removeprefix("sha256:")
    return LayoutContext(root, LayoutImage(store_id, chosen, configs))
