"""`buildwright explain`: which steps a build will run and why, without building.

The compiled graph is compared with the last record (the context walked as the session would
send it) and with the engine's cache records; the solver's walk is then replayed (`causes.predict`).
The records of every step the walk judges are asked for in one request before it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from buildwright.cachemiss.causes import attribute, compare, judged, predict
from buildwright.cachemiss.context import DirSnapshot, walk_snapshot, with_hashes
from buildwright.cachemiss.engine_cache import CacheLookup
from buildwright.cachemiss.graph import StepGraph
from buildwright.cachemiss.record import BuildRecord
from buildwright.cachemiss.report import Explanation, explanation


def context_now(
    graph: StepGraph, local_dirs: Mapping[str, Path], previous: BuildRecord | None
) -> dict[str, DirSnapshot]:
    """What the session would send now of each local directory the graph reads."""
    files: dict[str, DirSnapshot] = {}
    for name, local in graph.local_sources().items():
        root = local_dirs.get(name)
        if root is None:
            continue
        before = previous.files.get(name) if previous is not None else None
        now = walk_snapshot(root, local).with_digest()
        if before is not None and before.listing_digest() == now.digest:
            files[name] = before  # the same listing: the recorded hashes hold, nothing to hash
        else:
            files[name] = with_hashes(root, now, before)
    return files


def predict_build(
    graph: StepGraph,
    previous: BuildRecord | None,
    *,
    local_dirs: Mapping[str, Path],
    cache: CacheLookup,
    build_args: Mapping[str, str],
    arg_names: Collection[str],
    no_cache: bool,
    dockerfile_name: str,
) -> Explanation:
    """The prediction for `graph` (see the module docstring)."""
    files = context_now(graph, local_dirs, previous)
    changes = compare(graph, previous, files, build_args, arg_names)
    cache.ask(judged(graph, changes), previous)
    run = predict(graph, changes, lambda step: cache.holds(step, previous))
    causes = attribute(graph, changes, run, no_cache=no_cache, predicted=True)
    return explanation(graph, run, causes, predicted=True, dockerfile=dockerfile_name, has_record=previous is not None)
