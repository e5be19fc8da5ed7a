"""Whether the two builders produced the same result: tar outputs member by member, images by what
`docker image inspect` and `docker history` say (config, layer diff ids, history), timestamps aside."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Files up to this size have the run's nonce replaced before hashing (it is in their content).
_NONCE_SCAN_LIMIT = 1 << 20
_IGNORED_MEMBERS = frozenset({"nonce.txt"})


def tar_listing(path: Path, nonce: str) -> dict[str, tuple[Any, ...]]:
    """Each member's type, mode, owner, size, link and content digest; the nonce file is left out."""
    listing: dict[str, tuple[Any, ...]] = {}
    with tarfile.open(path, "r:") as archive:
        for member in archive:
            name = member.name.lstrip("./").rstrip("/")
            if name in _IGNORED_MEMBERS:
                continue
            digest = ""
            if member.isfile():
                stream = archive.extractfile(member)
                assert stream is not None
                hasher = hashlib.sha256()
                if member.size <= _NONCE_SCAN_LIMIT:
                    hasher.update(stream.read().replace(nonce.encode(), b"NONCE"))
                else:
                    while chunk := stream.read(1 << 22):
                        hasher.update(chunk)
                digest = hasher.hexdigest()
            listing[name] = (member.type, member.mode, member.uid, member.gid, member.size, member.linkname, digest)
    return listing


def compare_tars(ours: Path, theirs: Path, nonces: tuple[str, str]) -> str:
    """ "" when both tars hold the same files; else what differs first."""
    left, right = tar_listing(ours, nonces[0]), tar_listing(theirs, nonces[1])
    if left == right:
        return ""
    only_left = sorted(set(left) - set(right))
    only_right = sorted(set(right) - set(left))
    changed = sorted(name for name in set(left) & set(right) if left[name] != right[name])
    return f"only buildwright: {only_left[:3]}, only buildx: {only_right[:3]}, differ: {changed[:3]}"


def image_summary(docker: str, env: Mapping[str, str], tag: str) -> dict[str, Any]:
    """Config, platform, layer diff ids and history (without times) of a tagged image."""
    inspected = json.loads(_run(docker, env, "image", "inspect", tag))[0]
    history = [
        {key: entry.get(key) for key in ("CreatedBy", "Comment", "Size")}
        for entry in map(
            json.loads, _run(docker, env, "history", "--no-trunc", "--format", "{{json .}}", tag).splitlines()
        )
    ]
    return {
        "Config": inspected.get("Config"),
        "Os": inspected.get("Os"),
        "Architecture": inspected.get("Architecture"),
        "Layers": inspected.get("RootFS", {}).get("Layers"),
        "History": history,
    }


def compare_images(docker: str, env: Mapping[str, str], ours: str, theirs: str) -> str:
    """ "" when both tags name the same image content and config; else the first field that differs."""
    left, right = image_summary(docker, env, ours), image_summary(docker, env, theirs)
    for key in left:
        if left[key] != right[key]:
            return f"{key} differs: buildwright {json.dumps(left[key])[:300]} / buildx {json.dumps(right[key])[:300]}"
    return ""


def _run(docker: str, env: Mapping[str, str], *args: str) -> str:
    return subprocess.run([docker, *args], env=dict(env), capture_output=True, text=True, check=True).stdout
