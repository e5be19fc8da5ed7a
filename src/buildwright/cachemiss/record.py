"""The record of a build, kept by the client to explain the next build of the same thing.

One JSON file per (context, Dockerfile, target, platform) under `$XDG_STATE_HOME/buildwright/
builds/` (beside the history refs of `client/localrefs.py`): each step of the graph (digests, key,
name, instruction, line, parents, the env of a RUN, the base image digest, what it read from the
context), whether it ran, for each local directory the digest of the listing the session
sent, and what the graph was compiled from (`CompileInputs`: a prediction with the same inputs
reads the graph instead of compiling). The entries themselves (metadata and content hashes)
are in a second file beside it (`<name>.files.json`), written only when the listing changed: a
no-op rebuild of a large context rewrites a small file and reads none of the entries. The folder
is bounded (oldest records go first) and a record never holds a secret value: secrets reach a
build through mounts, never through the definition or the context walk this is made from.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, field
from pathlib import Path
from typing import Any

from buildwright._log import get_logger
from buildwright._values import valueclass
from buildwright.cachemiss.context import DirSnapshot, RawEntries
from buildwright.cachemiss.graph import ContextRead, LocalFilter, Step, StepGraph
from buildwright.client.identity import state_dir
from buildwright.client.statefiles import prune_oldest, write_json

_log = get_logger(__name__)

VERSION = 2
_FILES_SUFFIX = ".files.json"
MAX_RECORDS = 200


@valueclass
class BuildKey:
    """What a record is kept for: the same four values mean "the same build"."""

    context: str
    dockerfile: str
    target: str
    platform: str

    def file_name(self) -> str:
        return self._stem() + ".json"

    def files_name(self) -> str:
        """The name of the file holding the record's context entries."""
        return self._stem() + _FILES_SUFFIX

    def _stem(self) -> str:
        text = json.dumps([self.context, self.dockerfile, self.target, self.platform])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@valueclass
class BaseAnswer:
    """One base image the compile asked the engine about: the request (`platform` as the fields
    of the platform asked for, empty for none) and a digest of the answer (reference, digest,
    config)."""

    ref: str
    platform: Mapping[str, str]
    resolve_mode: str
    answer: str


@valueclass
class CompileInputs:
    """What the build's graph was compiled from: a digest of the compiler, the Dockerfile and the
    frontend options, and the base images' answers. The same inputs compile to the same graph
    (the compile is deterministic), so a prediction with the same ones may read the recorded
    graph instead of compiling again."""

    digest: str
    bases: tuple[BaseAnswer, ...] = ()


@valueclass
class BuildRecord:
    """One build: its graph, which steps ran, what it read, its build args, when it ran, and what
    its graph was compiled from (None when not known: multi-platform builds, older records)."""

    key: BuildKey
    graph: StepGraph
    ran: frozenset[str] = frozenset()  # step keys that ran (not from cache)
    files: Mapping[str, DirSnapshot] = field(default_factory=dict)
    build_args: Mapping[str, str] = field(default_factory=dict)
    started: float = 0.0
    finished: float = 0.0
    compiled_from: CompileInputs | None = None

    def to_json(self) -> dict[str, Any]:
        """The record's own file: everything but the context entries (see `files_json`)."""
        return {
            "version": VERSION,
            "key": asdict(self.key),
            "head": self.graph.head,
            "steps": [_step_json(step, step.key in self.ran) for step in self.graph.steps],
            "files": {
                name: {"truncated": snap.truncated, "digest": snap.listing_digest()}
                for name, snap in self.files.items()
            },
            "build_args": dict(self.build_args),
            "started": self.started,
            "finished": self.finished,
            "compiled_from": None
            if self.compiled_from is None
            else {"digest": self.compiled_from.digest, "bases": [asdict(base) for base in self.compiled_from.bases]},
        }

    def files_json(self) -> dict[str, Any]:
        """The context entries, by directory, each with the listing digest the record names."""
        return {
            "version": VERSION,
            "dirs": {
                name: {"digest": snap.listing_digest(), "entries": snap.raw()} for name, snap in self.files.items()
            },
        }


def _step_json(step: Step, ran: bool) -> dict[str, Any]:
    # By hand rather than `asdict`, which deep-copies every field, recursively.
    out: dict[str, Any] = {
        "digest": step.digest,
        "key": step.key,
        "name": step.name,
        "kind": step.kind,
        "instruction": step.instruction,
        "line": step.line,
        "parents": step.parents,
        "env": step.env,
        "image": step.image,
        "image_digest": step.image_digest,
        "reads": [{"source": r.source, "paths": r.paths} for r in step.reads],
        "local_name": step.local_name,
        "local": None
        if step.local is None
        else {
            "include_patterns": step.local.include_patterns,
            "exclude_patterns": step.local.exclude_patterns,
            "follow_paths": step.local.follow_paths,
        },
        "ignore_cache": step.ignore_cache,
        "exec_args": step.exec_args,
        "copied_from": step.copied_from,
        "ran": ran,
    }
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
        copied_from=tuple(str(d) for d in data.get("copied_from", ())),
    )


def record_from_json(data: Mapping[str, Any], files: Mapping[str, Any] | None = None) -> BuildRecord:
    """A record read back (`files`: its `files_json` document, when read); raises ValueError (or
    KeyError/TypeError) when it is not one. A directory whose entries are missing, or do not
    have the listing digest the record names, has no entries (nothing is known of it)."""
    if data.get("version") != VERSION:
        raise ValueError("unknown record version")
    key = BuildKey(**{k: str(v) for k, v in data["key"].items()})
    raw_steps = data["steps"]
    steps = tuple(_step_from_json(s) for s in raw_steps)
    stored = files.get("dirs", {}) if isinstance(files, Mapping) and files.get("version") == VERSION else {}
    snapshots: dict[str, DirSnapshot] = {}
    for name, snap in listing_digests(data).items():
        digest, truncated = snap
        held = stored.get(name)
        if not isinstance(held, Mapping) or held.get("digest") != digest:
            continue
        entries = held.get("entries")
        if not isinstance(entries, dict):
            continue
        # The JSON arrays are the raw entries as they are (`RawEntries` checks one when it is read).
        snapshots[name] = DirSnapshot(RawEntries(entries), truncated, digest)
    head = data.get("head")
    return BuildRecord(
        key=key,
        graph=StepGraph(steps, head if isinstance(head, str) else None),
        ran=frozenset(str(s["key"]) for s in raw_steps if s.get("ran")),
        files=snapshots,
        build_args={str(k): str(v) for k, v in data.get("build_args", {}).items()},
        started=float(data.get("started", 0.0)),
        finished=float(data.get("finished", 0.0)),
        compiled_from=_compile_inputs(data.get("compiled_from")),
    )


def _compile_inputs(data: Any) -> CompileInputs | None:
    if not isinstance(data, Mapping):
        return None
    bases = tuple(
        BaseAnswer(
            ref=str(base["ref"]),
            platform={str(k): str(v) for k, v in base["platform"].items()},
            resolve_mode=str(base["resolve_mode"]),
            answer=str(base["answer"]),
        )
        for base in data["bases"]
    )
    return CompileInputs(str(data["digest"]), bases)


def listing_digests(data: Mapping[str, Any]) -> dict[str, tuple[str, bool]]:
    """Each directory's listing digest and truncation, as a record's own file names them."""
    out: dict[str, tuple[str, bool]] = {}
    for name, snap in data.get("files", {}).items():
        if isinstance(snap, Mapping) and isinstance(snap.get("digest"), str):
            out[str(name)] = (snap["digest"], bool(snap.get("truncated", False)))
    return out


class RecordStore:
    """The folder of build records; every failure to read or write only loses the explanation."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def default(cls, env: Mapping[str, str] | None = None) -> RecordStore:
        return cls(state_dir(os.environ if env is None else env) / "builds")

    def load(self, key: BuildKey) -> BuildRecord | None:
        """The record of `key` with its context entries, or None."""
        data = self._read(self.folder / key.file_name())
        if data is None:
            return None
        files = self._read(self.folder / key.files_name()) if data.get("files") else None
        try:
            record = record_from_json(data, files)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            _log.debug("build_record_unreadable", key=key.file_name(), error=str(exc))
            return None
        return record if record.key == key else None

    def load_digests(self, key: BuildKey) -> dict[str, tuple[str, bool]] | None:
        """The listing digest of each directory the record of `key` holds (its entries unread),
        or None without a record: enough to tell that a build sent the same listing again."""
        data = self._read(self.folder / key.file_name())
        if data is None or data.get("version") != VERSION or data.get("key") != asdict(key):
            return None
        try:
            digests = listing_digests(data)
        except (TypeError, AttributeError):
            return None
        if digests and not (self.folder / key.files_name()).is_file():
            return None  # the entries are lost: a build must write them again
        return digests

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            _log.debug("build_record_unreadable", path=str(path), error=str(exc))
            return None
        return data if isinstance(data, dict) else None

    def save(self, record: BuildRecord, *, entries_unchanged: bool = False) -> None:
        """Write `record`; with `entries_unchanged` (every directory's listing digest is the one
        the stored entries have) its entries file is left as it is."""
        try:
            if not entries_unchanged:
                write_json(self.folder / record.key.files_name(), record.files_json(), compact=True)
            write_json(self.folder / record.key.file_name(), record.to_json(), compact=True)
            prune_oldest(self.folder, MAX_RECORDS, _is_record)
            self._drop_orphans()
        except OSError as exc:
            _log.debug("build_record_not_saved", error=str(exc))

    def _drop_orphans(self) -> None:
        # Entries files whose record was pruned go with it.
        names = {entry.name for entry in os.scandir(self.folder)}
        for name in names:
            if name.endswith(_FILES_SUFFIX) and name[: -len(_FILES_SUFFIX)] + ".json" not in names:
                with contextlib.suppress(OSError):
                    os.unlink(self.folder / name)


def _is_record(name: str) -> bool:
    return name.endswith(".json") and not name.endswith(_FILES_SUFFIX)


def now() -> float:
    return time.time()
