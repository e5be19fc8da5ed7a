"""Where legs were built: the farm's memory of each node's cache, kept in the user's state folder.

`$XDG_STATE_HOME/buildwright/farm/placements.json` holds, per node (by endpoint), the LLB vertex
digests of its recent legs (newest last, at most `MAX_VERTICES`), and per leg the node that built
it last. Placement reads it to send a leg where its cache is; the scheduler adds each finished
leg. The file is rewritten whole, under an exclusive lock, so concurrent farm runs never lose or
corrupt each other's records.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from pathlib import Path
from types import MappingProxyType

from buildwright._log import get_logger
from buildwright._values import valueclass
from buildwright.client.identity import state_dir
from buildwright.client.statefiles import write_json

_log = get_logger(__name__)

# Enough for hundreds of legs' graphs per node; an engine's cache is pruned long before that matters.
MAX_VERTICES = 20000
_VERSION = 1


@valueclass
class PlacementRecords:
    """A snapshot of the records: vertex digests per node key, last node key per leg key."""

    vertices: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    last_node: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def shared(self, node_key: str, digests: Iterable[str]) -> int:
        """How many of `digests` the node built recently."""
        known = self.vertices.get(node_key, frozenset())
        return sum(1 for d in digests if d in known)


def records_path(env: Mapping[str, str] | None = None) -> Path:
    return state_dir(env) / "farm" / "placements.json"


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # A damaged file costs cache affinity once, never the build.
        _log.warning("farm_records_unreadable", path=str(path), error=str(exc))
        return {}
    return data if isinstance(data, dict) and data.get("version") == _VERSION else {}


def _nodes(data: Mapping[str, object]) -> dict[str, list[str]]:
    raw = data.get("nodes")
    if not isinstance(raw, dict):
        return {}
    return {str(k): [str(d) for d in v] for k, v in raw.items() if isinstance(v, list)}


def _legs(data: Mapping[str, object]) -> dict[str, str]:
    raw = data.get("legs")
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def load_records(env: Mapping[str, str] | None = None) -> PlacementRecords:
    """The records as they are now (empty when there are none yet)."""
    data = _read(records_path(env))
    return PlacementRecords(
        MappingProxyType({k: frozenset(v) for k, v in _nodes(data).items()}), MappingProxyType(_legs(data))
    )


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock beside `path` (the records' and the leases' one), held for the block."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def record_leg(leg_key: str, node_key: str, digests: Iterable[str], env: Mapping[str, str] | None = None) -> None:
    """Note that `node_key` built leg `leg_key`, whose graph has `digests`."""
    path = records_path(env)
    with locked(path):
        data = _read(path)
        nodes, legs = _nodes(data), _legs(data)
        new = list(dict.fromkeys(digests))
        fresh = set(new)
        # Re-added digests move to the end, so the oldest are the ones dropped.
        kept = [d for d in nodes.get(node_key, []) if d not in fresh] + new
        nodes[node_key] = kept[-MAX_VERTICES:]
        legs[leg_key] = node_key
        write_json(path, {"version": _VERSION, "nodes": nodes, "legs": legs})
