"""Compiling Dockerfiles to step graphs without an engine, and making context snapshots."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from buildwright.cachemiss.context import DirSnapshot, FileMeta
from buildwright.cachemiss.graph import StepGraph, read_graph
from buildwright.client.session.fswalk import MODE_DIR
from buildwright.dockerfile import parse_dockerfile
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.options import FrontendOptions
from buildwright.frontend.resolver import ImageRequest, ResolvedImage

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
_CONFIG = json.dumps(
    {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
    }
).encode()


class Resolver:
    """Answers every base image with one digest (a base image "moves" when it changes)."""

    def __init__(self, digest: str = DIGEST_A) -> None:
        self.digest = digest

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        return [ResolvedImage(request.ref, self.digest, _CONFIG) for request in requests]


def graph_of(text: str, *, digest: str = DIGEST_A, session_id: str = "s1", **options: Any) -> StepGraph:
    compiled = compile_dockerfile(
        parse_dockerfile(text), FrontendOptions(session_id=session_id, **options), Resolver(digest)
    )
    return read_graph(compiled.definition)


def step_named(graph: StepGraph, prefix: str) -> Any:
    for step in graph.steps:
        if step.name.startswith(prefix):
            return step
    raise AssertionError(f"no step named {prefix!r} in {[s.name for s in graph.steps]}")


def snapshot(files: Mapping[str, str | int], *, dirs: Sequence[str] = (), mtime: int = 1000) -> DirSnapshot:
    """A directory as the session would send it: `files` are path -> content (str) or size (int)."""
    entries: dict[str, FileMeta] = {}
    for directory in dirs:
        entries[directory] = FileMeta(MODE_DIR | 0o755, 0, mtime)
    for path, content in files.items():
        if isinstance(content, int):
            entries[path] = FileMeta(0o644, content, mtime)
        else:
            entries[path] = FileMeta(0o644, len(content), mtime, "", hashlib.sha256(content.encode()).hexdigest())
    return DirSnapshot(entries)
