"""Which nodes this machine's farm runs are using now: leases in the user's state folder.

Two `buildwright build --builder FARM` started at once would each see idle nodes and pick the
same one; so each run, while it holds the state lock, reads the leases of the other runs (their
jobs not finished yet), places its legs with them counted as load, and takes a lease per job
before letting go of the lock. A lease names its process; leases of processes that are gone
are dropped when read, so a killed run never leaves a node looking busy. The file is
`$XDG_STATE_HOME/buildwright/farm/running.json`, rewritten whole under the records' lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

from buildwright.client.statefiles import write_json
from buildwright.farm.records import locked, records_path


def _path(env: Mapping[str, str] | None) -> Path:
    return records_path(env).with_name("running.json")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def _read(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    leases = {}
    for key, lease in data.items():
        pid = lease.get("pid") if isinstance(lease, dict) else None
        if isinstance(pid, int) and isinstance(lease.get("node"), str) and _alive(pid):
            leases[str(key)] = lease
    return leases


def _write(path: Path, leases: Mapping[str, Mapping[str, object]]) -> None:
    write_json(path, leases)


class Leases:
    """This run's leases; `busy()` and `take()` are meant to be called inside `holding()`."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env
        self._path = _path(env)
        self._mine: dict[str, str] = {}  # job id -> lease id
        self._held = False

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """The state lock, for a read-place-take that no other run can interleave."""
        with locked(records_path(self._env)):
            self._held = True
            try:
                yield
            finally:
                self._held = False

    def busy(self) -> dict[str, int]:
        """Legs other runs of this machine have on each node (by node key), now."""
        counts: dict[str, int] = {}
        for lease in _read(self._path).values():
            legs = lease.get("legs")
            node = str(lease["node"])
            counts[node] = counts.get(node, 0) + (legs if isinstance(legs, int) else 1)
        return counts

    def take(self, job_id: str, node_key: str, legs: int) -> None:
        """Note that this run's job `job_id` is on `node_key` until `release(job_id)`."""
        with self._lock():
            leases = _read(self._path)
            lease = uuid.uuid4().hex
            leases[lease] = {"pid": os.getpid(), "node": node_key, "legs": legs}
            _write(self._path, leases)
            self._mine[job_id] = lease

    def release(self, job_id: str) -> None:
        lease = self._mine.pop(job_id, None)
        if lease is None:
            return
        with self._lock():
            leases = _read(self._path)
            leases.pop(lease, None)
            _write(self._path, leases)

    def release_all(self) -> None:
        for job_id in list(self._mine):
            self.release(job_id)

    def holds(self, job_id: str) -> bool:
        return job_id in self._mine

    def _lock(self) -> contextlib.AbstractContextManager[None]:
        # Inside `holding()` the lock is ours already (flock is per open file, so not re-entrant).
        return contextlib.nullcontext() if self._held else locked(records_path(self._env))
