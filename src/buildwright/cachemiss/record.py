"""The record of a build, kept by the client to explain the next build of the same thing.

One JSON file per (context, Dockerfile, target, platform) under `$XDG_STATE_HOME/buildwright/
builds/` (beside the history refs of `client/localrefs.py`): each step of the graph (digests, key,
name, instruction, line, parents, the env of a RUN, the base image digest, what it read from the
context), whether it ran, and the metadata of the context entries the session sent. The folder is
bounded (oldest records go first) and a record never holds a secret value: secrets reach a build
through mounts, never through the definition or the context walk this is made from.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from buildwright._log import get_logger
from buildwright.cachemiss.context import DirSnapshot, FileMeta
from buildwright.cachemiss.graph import ContextRead, LocalFilter, Step, StepGraph
from buildwright.client.identity import state_dir
from buildwright.client.statefiles import prune_oldest, write_json

_log = get_logger(__name__)

VERSION = 1
MAX_RECORDS = 200


@dataclass(frozen=True, slots=True)
class BuildKey:
    """What a record is kept for: the same four values mean "the same build"."""

    context: str
    dockerfile: str
    target: str
    platform: str

    def file_name(self) -> str:
        text = json.dumps([self.context, self.dockerfile, self.target, self.platform])
        return hashlib.sha256(text.encode()).hexdigest()[:32] + ".json"


@dataclass(frozen=True, slots=True)
class BuildRecord:
    """One build: its graph, which steps ran, what it read, its build args, when it ran."""

    key: BuildKey
    graph: StepGraph
    ran: frozenset[str] = frozenset()  # step keys that ran (not from cache)
    files: Mapping[str, DirSnapshot] = field(default_factory=dict)
    build_args: Mapping[str, str] = field(default_factory=dict)
    started: float = 0.0
    finished: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "key": asdict(self.key),
            "head": self.graph.head,
            "steps": [_step_json(step, step.key in self.ran) for step in self.graph.steps],
            "files": {
                name: {
                    "truncated": snap.truncated,
                    "entries": {path: meta.to_json() for path, meta in snap.entries.items()},
                }
                for name, snap in self.files.items()
            },
            "build_args": dict(self.build_args),
            "started": self.started,
            "finished": self.finished,
        }


def _step_json(step: Step, ran: bool) -> dict[str, Any]:
    out = asdict(step)
    out["ran"] = ran
    return out


def _step_from_json(data: Mapping[str, Any]) -> Step:
    local = data.get("local")
    return Step(
        digest=str(data["digest"]),
        key=str(data["key"]),
        name=str(data.get("name", "")),
        kind=str(data.get("kind", "")),
        instruction=str(data.get("instruction", "")),
        line=data.get("line") if isinstance(data.get("line"), int) else None,
        parents=tuple(str(p) for p in data.get("parents", ())),
        env=tuple(str(e) for e in data.get("env", ())),
        image=str(data.get("image", "")),
        image_digest=str(data.get("image_digest", "")),
        reads=tuple(ContextRead(str(r["source"]), tuple(str(p) for p in r["paths"])) for r in data.get("reads", ())),
        local_name=str(data.get("local_name", "")),
        local=LocalFilter(
            tuple(local["include_patterns"]), tuple(local["exclude_patterns"]), tuple(local["follow_paths"])
        )
        if isinstance(local, dict)
        else None,
        ignore_cache=bool(data.get("ignore_cache", False)),
        exec_args=tuple(str(a) for a in data.get("exec_args", ())),
    )


def record_from_json(data: Mapping[str, Any]) -> BuildRecord:
    """A record read back; raises ValueError (or KeyError/TypeError) when it is not one."""
    if data.get("version") != VERSION:
        raise ValueError("unknown record version")
    key = BuildKey(**{k: str(v) for k, v in data["key"].items()})
    raw_steps = data["steps"]
    steps = tuple(_step_from_json(s) for s in raw_steps)
    files: dict[str, DirSnapshot] = {}
    for name, snap in data.get("files", {}).items():
        entries = {}
        for path, value in snap.get("entries", {}).items():
            meta = FileMeta.from_json(value)
            if meta is not None:
                entries[path] = meta
        files[name] = DirSnapshot(entries, bool(snap.get("truncated", False)))
    head = data.get("head")
    return BuildRecord(
        key=key,
        graph=StepGraph(steps, head if isinstance(head, str) else None),
        ran=frozenset(str(s["key"]) for s in raw_steps if s.get("ran")),
        files=files,
        build_args={str(k): str(v) for k, v in data.get("build_args", {}).items()},
        started=float(data.get("started", 0.0)),
        finished=float(data.get("finished", 0.0)),
    )


class RecordStore:
    """The folder of build records; every failure to read or write only loses the explanation."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def default(cls, env: Mapping[str, str] | None = None) -> RecordStore:
        return cls(state_dir(os.environ if env is None else env) / "builds")

    def load(self, key: BuildKey) -> BuildRecord | None:
        path = self.folder / key.file_name()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            record = record_from_json(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            _log.debug("build_record_unreadable", path=str(path), error=str(exc))
            return None
        return record if record.key == key else None

    def save(self, record: BuildRecord) -> None:
        try:
            write_json(self.folder / record.key.file_name(), record.to_json(), compact=True)
            prune_oldest(self.folder, MAX_RECORDS, lambda name: name.endswith(".json"))
        except OSError as exc:
            _log.debug("build_record_not_saved", error=str(exc))


def now() -> float:
    return time.time()
