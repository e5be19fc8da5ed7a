"""The `index.json` of an OCI image layout directory: find a manifest by tag, add one under a tag.

A local cache directory is such a layout. After a cache export the engine reports the cache
manifest's descriptor and the client records it in `index.json` under the tag (`latest` unless
told otherwise); a later import looks the tag up to learn which manifest to ask for. The JSON is
written as the reference writes it (compact, fields in the OCI spec's order), under an exclusive
lock on `index.json.lock` so two builds exporting to one directory do not lose an entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from buildwright.errors import OutputError

INDEX_FILE = "index.json"
LAYOUT_FILE = "oci-layout"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"
IMAGE_NAME = "io.containerd.image.name"
_LAYOUT = {"imageLayoutVersion": "1.0.0"}


class IndexUnreadable(Exception):
    """`index.json` is missing or is not an OCI index; the message says which."""


def _dumps(value: object) -> str:
    # Go's encoder: no spaces, non-ASCII kept, and `<`, `>`, `&` escaped.
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@contextlib.contextmanager
def _locked(root: Path, *, shared: bool) -> Iterator[None]:
    lock_path = root / (INDEX_FILE + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if shared:  # a read-only directory can still be read without a lock
            yield
            return
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            lock_path.unlink()
        os.close(fd)


def read_index(root: Path) -> dict[str, Any]:
    """The parsed index. Raises IndexUnreadable."""
    path = root / INDEX_FILE
    with _locked(root, shared=True):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise IndexUnreadable(f"could not read {path}: {exc.strerror}") from exc
    try:
        index = json.loads(data)
    except ValueError as exc:
        raise IndexUnreadable(f"could not parse {path}: {exc}") from exc
    if not isinstance(index, dict) or not isinstance(index.get("manifests", []), list):
        raise IndexUnreadable(f"{path} is not an OCI image index")
    return index


def find_tag(root: Path, tag: str) -> Mapping[str, Any] | None:
    """The descriptor stored under `tag` (a containerd image name first, then an OCI ref name)."""
    manifests = [m for m in read_index(root).get("manifests", []) if isinstance(m, dict)]
    for key in (IMAGE_NAME, REF_NAME):
        for manifest in manifests:
            annotations = manifest.get("annotations") or {}
            if annotations.get(key) == tag:
                return manifest
    return None


def put_tag(root: Path, descriptor: Mapping[str, Any], tag: str) -> None:
    """Record `descriptor` under `tag`, replacing what the tag named before.

    Raises:
        OutputError: the directory cannot be written or holds an index that is not JSON.
    """
    try:
        with _locked(root, shared=False):
            (root / LAYOUT_FILE).write_text(_dumps(_LAYOUT))
            index_path = root / INDEX_FILE
            index: dict[str, Any] = {}
            if index_path.exists() and index_path.stat().st_size:
                try:
                    index = json.loads(index_path.read_bytes())
                except ValueError as exc:
                    raise OutputError(f"could not unmarshal {index_path}: {exc}") from exc
            index_path.write_text(_dumps(_with_tag(index, descriptor, tag)))
    except OSError as exc:
        raise OutputError(f"cannot update the cache index in {root}: {exc.strerror or exc}") from exc


def _with_tag(index: Mapping[str, Any], descriptor: Mapping[str, Any], tag: str) -> dict[str, Any]:
    entry = dict(descriptor)
    annotations = dict(entry.get("annotations") or {})
    annotations[REF_NAME] = tag
    entry["annotations"] = dict(sorted(annotations.items()))  # Go writes map keys sorted
    kept = [
        m
        for m in index.get("manifests") or []
        if not (
            isinstance(m, dict)
            and (m.get("annotations") or {}).get(REF_NAME) == tag
            and not (m.get("annotations") or {}).get(IMAGE_NAME)
        )
    ]
    out: dict[str, Any] = {
        "schemaVersion": index.get("schemaVersion") or 2,
        "mediaType": index.get("mediaType") or INDEX_MEDIA_TYPE,
    }
    for key, value in index.items():
        if key not in out and key != "manifests":
            out[key] = value
    out["manifests"] = [*kept, entry]
    # The OCI index puts `subject` and `annotations` after the manifests.
    for key in ("subject", "annotations"):
        if key in out:
            out[key] = out.pop(key)
    return out
