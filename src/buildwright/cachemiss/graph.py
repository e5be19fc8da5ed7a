"""A compiled LLB definition read back as the steps a build shows, with what each one depends on.

Everything here comes from the definition the engine is sent: the op bytes, their metadata (the
progress name, the Dockerfile instruction) and the source map (the line). Each step gets a stable
key: the op's digest with the volatile parts left out (the session id a `local` source carries,
which changes every build, and so the digests of everything downstream of the context), computed
over the inputs' keys, so two builds of the same step share a key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from buildwright._pb import ops_pb2
from buildwright._values import valueclass
from buildwright.llb import CUSTOM_NAME_KEY, Definition

# The Dockerfile instruction a step came from, as the frontend writes it in the op's description.
COMMAND_KEY = "com.docker.dockerfile.v1.command"
# Source attributes that differ between two builds of the same step (the engine leaves them out
# of the cache key too: source/local keys the context by its shared key and contents).
_VOLATILE_ATTRS = ("local.session",)
_LABEL = re.compile(r"^\[([^\]]*)\]\s*(.*)$", re.DOTALL)
_IMAGE_PREFIX = "docker-image://"
_LOCAL_PREFIX = "local://"


class Kind:
    """What an op does (strings, so records stay readable JSON)."""

    IMAGE = "image"
    LOCAL = "local"
    EXEC = "exec"
    FILE = "file"
    OTHER = "other"


@valueclass
class LocalFilter:
    """How a `local` source asks for its directory (what the session's walk is given)."""

    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    follow_paths: tuple[str, ...] = ()


@valueclass
class ContextRead:
    """Paths a step reads from a local directory: relative, "" for the whole directory."""

    source: str
    paths: tuple[str, ...]


@valueclass
class Step:
    """One vertex of the graph.

    Attributes:
        digest: the op digest as sent (what the status stream names).
        key: the stable identity (see the module docstring).
        name: the progress name (`[build 3/7] RUN make`).
        instruction: the Dockerfile instruction as written, else the name without its label.
        line: the first Dockerfile line of the step, when the source map has one.
        parents: the digests of the op's inputs.
        env: an exec's environment (`KEY=VALUE`), where build args and ENV enter a RUN.
        image: for an image source, the reference without its digest; `image_digest` the digest.
        reads: what the step reads from local directories (COPY/ADD sources, RUN bind mounts).
        local: for a local source, its directory name and filter.
        ignore_cache: the op was sent with ignore-cache (`--no-cache`, `--no-cache-filter`).
        exec_args: an exec's command line (the engine names the step's cache record after it).
        copied_from: a file step's inputs read only as copy sources: the engine keys the step
            by the content it copies from them (buildkit `solver/llbsolver/ops/file.go`
            `CacheMap`: selectors on a copy's secondary input), not by how they were made.
    """

    digest: str
    key: str
    name: str
    kind: str
    instruction: str = ""
    line: int | None = None
    parents: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    image: str = ""
    image_digest: str = ""
    reads: tuple[ContextRead, ...] = ()
    local_name: str = ""
    local: LocalFilter | None = None
    ignore_cache: bool = False
    exec_args: tuple[str, ...] = ()
    copied_from: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The bracketed part of the name (`build 3/7`), or ""."""
        match = _LABEL.match(self.name)
        return match.group(1).strip() if match else ""

    @property
    def slot(self) -> str:
        """Where the step sits in its stage, ignoring the stage's length (`build 3`): matches a
        step to its earlier version when the instruction was edited."""
        label = self.label
        if not label or label == "internal":
            return ""
        return label.rsplit("/", 1)[0].strip()

    @property
    def is_step(self) -> bool:
        """Whether the step is one the user wrote (not the context transfer or an internal op)."""
        return self.kind != Kind.LOCAL and self.label != "internal" and bool(self.name)

    @property
    def cache_description(self) -> str:
        """The description the engine gives this step's cache record (see `engine_cache`)."""
        if self.kind == Kind.EXEC:
            return "mount / from exec " + " ".join(self.exec_args)
        if self.kind == Kind.FILE:
            return self.name
        return ""


@valueclass
class StepGraph:
    """The steps of one definition, inputs first, and the one whose result the build returns."""

    steps: tuple[Step, ...]
    head: str | None

    def by_digest(self) -> dict[str, Step]:
        return {step.digest: step for step in self.steps}

    def local_sources(self) -> dict[str, LocalFilter]:
        """Each local directory the build reads, with the filter its source asks for."""
        return {step.local_name: step.local for step in self.steps if step.local is not None}


def read_graph(definition: Definition) -> StepGraph:
    """The steps of `definition` (see `Step`)."""
    steps: dict[str, Step] = {}
    ops: list[tuple[str, ops_pb2.Op]] = []
    for raw, digest in zip(definition.ops, definition.digests, strict=True):
        ops.append((digest, ops_pb2.Op.FromString(raw)))
    head = definition.head
    for digest, op in ops:
        if not op.WhichOneof("op"):
            continue  # the typeless last op only points at the result
        steps[digest] = _step(digest, op, steps, definition)
    return StepGraph(tuple(steps.values()), head)


def _step(digest: str, op: ops_pb2.Op, known: Mapping[str, Step], definition: Definition) -> Step:
    meta = definition.metadata.get(digest)
    description = dict(meta.description) if meta is not None else {}
    name = description.get(CUSTOM_NAME_KEY, "")
    instruction = description.get(COMMAND_KEY) or _without_label(name)
    parents = tuple(i.digest for i in op.inputs)
    fields: dict[str, Any] = {
        "digest": digest,
        "key": _stable_key(op, known),
        "name": name,
        "instruction": instruction,
        "line": _first_line(definition, digest),
        "parents": parents,
        "ignore_cache": bool(meta.ignore_cache) if meta is not None else False,
    }
    kind = op.WhichOneof("op")
    if kind == "source":
        identifier = op.source.identifier
        if identifier.startswith(_IMAGE_PREFIX):
            ref, _, image_digest = identifier[len(_IMAGE_PREFIX) :].partition("@")
            return Step(kind=Kind.IMAGE, image=ref, image_digest=image_digest, **fields)
        if identifier.startswith(_LOCAL_PREFIX):
            attrs = op.source.attrs
            local = LocalFilter(
                include_patterns=_json_list(attrs.get("local.includepattern", "")),
                exclude_patterns=_json_list(attrs.get("local.excludepatterns", "")),
                follow_paths=_json_list(attrs.get("local.followpaths", "")),
            )
            return Step(kind=Kind.LOCAL, local_name=identifier[len(_LOCAL_PREFIX) :], local=local, **fields)
        return Step(kind=Kind.OTHER, **fields)
    if kind == "exec":
        reads = []
        for mount in op.exec.mounts:
            if 0 <= mount.input < len(parents):
                source = known.get(parents[mount.input])
                if source is not None and source.kind == Kind.LOCAL:
                    reads.append(ContextRead(source.local_name, (_relative(mount.selector),)))
        return Step(
            kind=Kind.EXEC,
            env=tuple(op.exec.meta.env),
            reads=_merged(reads),
            exec_args=tuple(op.exec.meta.args),
            **fields,
        )
    if kind == "file":
        reads = []
        sources: set[int] = set()
        bases: set[int] = set()
        for action in op.file.actions:
            bases.add(action.input)
            if action.WhichOneof("action") != "copy":
                continue
            index = action.secondaryInput
            if 0 <= index < len(parents):
                sources.add(index)
                source = known.get(parents[index])
                if source is not None and source.kind == Kind.LOCAL:
                    reads.append(ContextRead(source.local_name, (_relative(action.copy.src),)))
        # An input a copy writes onto (an action's base) is keyed as made, never by content.
        onto = {parents[i] for i in bases if 0 <= i < len(parents)}
        copied = tuple(dict.fromkeys(parents[i] for i in sorted(sources) if parents[i] not in onto))
        return Step(kind=Kind.FILE, reads=_merged(reads), copied_from=copied, **fields)
    return Step(kind=Kind.OTHER, **fields)


def _stable_key(op: ops_pb2.Op, known: Mapping[str, Step]) -> str:
    stable = ops_pb2.Op()
    stable.CopyFrom(op)
    for item in stable.inputs:
        parent = known.get(item.digest)
        if parent is not None and parent.kind == Kind.LOCAL:
            # The engine finds a step reading the context by the content it reads, not by how the
            # directory was asked for (a .dockerignore edit changes the source, not the step).
            item.digest = _LOCAL_PREFIX + parent.local_name
        elif parent is not None:
            item.digest = parent.key
    if stable.WhichOneof("op") == "source":
        for attr in _VOLATILE_ATTRS:
            if attr in stable.source.attrs:
                del stable.source.attrs[attr]
    return "sha256:" + hashlib.sha256(stable.SerializeToString(deterministic=True)).hexdigest()


def _first_line(definition: Definition, digest: str) -> int | None:
    lines = [r.start_line for _, ranges in definition.locations.get(digest, ()) for r in ranges]
    return min(lines) if lines else None


def _without_label(name: str) -> str:
    match = _LABEL.match(name)
    return match.group(2) if match else name


def _json_list(value: str) -> tuple[str, ...]:
    if not value:
        return ()
    try:
        items = json.loads(value)
    except ValueError:
        return ()
    return tuple(str(item) for item in items) if isinstance(items, list) else ()


def _relative(path: str) -> str:
    return path.strip("/")


def _merged(reads: list[ContextRead]) -> tuple[ContextRead, ...]:
    by_source: dict[str, list[str]] = {}
    for read in reads:
        by_source.setdefault(read.source, []).extend(read.paths)
    return tuple(ContextRead(source, tuple(dict.fromkeys(paths))) for source, paths in by_source.items())
