"""Why a step runs: compare a build's graph and context with the record of the previous one.

`compare` finds what changed for each step, most specific first: the files it reads from the
context, its base image, a build arg or env value that entered it, its instruction, then a
parent that changed. `attribute` turns that into the cause of each step that ran (or will run):
the change itself, else `--no-cache`, else a parent that ran, else the engine no longer holding
the cache of a step that is the same as last time. `predict` decides which steps will run the way
the engine's solver does: from the result backwards, a step whose cache matches stops the walk,
a step below one sent with ignore-cache runs (it has no cache key to match), and a step whose
cache is gone runs with every step above it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Collection, Mapping

from buildwright._values import valueclass
from buildwright.cachemiss.context import DirSnapshot, read_changes
from buildwright.cachemiss.graph import Kind, Step, StepGraph
from buildwright.cachemiss.record import BuildRecord

# Added to a predicted parent cause of a step that only copies from the parent (see `step_cause`).
UNLESS_SAME_CONTENT = ", unless the files it copies come out the same (the engine finds it by content)"


class CauseKind(enum.Enum):
    """The kinds of cause, in the order they are looked for."""

    FILES = "files"
    BASE_IMAGE = "base-image"
    BUILD_ARG = "build-arg"
    ENV = "env"
    INSTRUCTION = "instruction"
    NEW_STEP = "new-step"
    DEFINITION = "definition"
    PARENT = "parent"
    NO_CACHE = "no-cache"
    CACHE_GONE = "cache-gone"
    NO_RECORD = "no-record"


# Changes that belong to the step itself (a parent's change is reported on the parent).
_OWN = frozenset(
    {
        CauseKind.FILES,
        CauseKind.BASE_IMAGE,
        CauseKind.BUILD_ARG,
        CauseKind.ENV,
        CauseKind.INSTRUCTION,
        CauseKind.NEW_STEP,
        CauseKind.DEFINITION,
        CauseKind.NO_RECORD,
    }
)


@valueclass
class Cause:
    """Why a step runs.

    Attributes:
        kind: which kind of cause.
        text: one line for people (`src/main.c changed (size 120 -> 131)`).
        parent: for a parent cause, the parent step's digest.
    """

    kind: CauseKind
    text: str
    parent: str = ""


def compare(
    graph: StepGraph,
    previous: BuildRecord | None,
    files: Mapping[str, DirSnapshot],
    build_args: Mapping[str, str],
    arg_names: Collection[str],
) -> dict[str, Cause | None]:
    """What changed for each step of `graph` since `previous` (None: unchanged), by digest."""
    changes: dict[str, Cause | None] = {}
    if previous is None:
        for step in graph.steps:
            changes[step.digest] = (
                Cause(CauseKind.NO_RECORD, "no earlier build recorded") if step.kind != Kind.LOCAL else None
            )
        return changes
    matcher = _Matcher(previous.graph, graph)
    by_digest = graph.by_digest()
    for step in graph.steps:
        if step.kind == Kind.LOCAL:
            changes[step.digest] = None
            continue
        changes[step.digest] = _change(step, matcher, previous, files, build_args, arg_names, changes, by_digest)
    return changes


class _Matcher:
    """Finds a step's version in the previous build: same key, else same instruction in the same
    stage, else the same place in the stage, else the same name. A step found by its place or
    name is taken only when its instruction is gone from the stage: one that is still there moved
    (a step was inserted before it) and is matched by its instruction instead."""

    def __init__(self, graph: StepGraph, now: StepGraph) -> None:
        self.by_key = {s.key: s for s in graph.steps}
        self._graph = graph
        self._now = now
        # The other indexes are made when a step is not found by its key (an unchanged build
        # never needs them).
        self._indexes: tuple[dict[tuple[str, str], Step], dict[str, Step], dict[str, Step]] | None = None

    def _index(self) -> tuple[dict[tuple[str, str], Step], dict[str, Step], dict[str, Step]]:
        if self._indexes is not None:
            return self._indexes
        current = {(_stage(s), s.instruction) for s in self._now.steps if s.is_step}
        by_instruction: dict[tuple[str, str], Step] = {}
        by_slot: dict[str, Step] = {}
        by_name: dict[str, Step] = {}
        for s in self._graph.steps:
            if not s.is_step:
                continue
            place = (_stage(s), s.instruction)
            by_instruction.setdefault(place, s)
            if place in current:
                continue
            slot = s.slot
            if slot:
                by_slot.setdefault(slot, s)
            by_name.setdefault(s.name, s)
        self._indexes = (by_instruction, by_slot, by_name)
        return self._indexes

    def earlier(self, step: Step) -> Step | None:
        by_instruction, by_slot, by_name = self._index()
        slot = step.slot
        return (
            by_instruction.get((_stage(step), step.instruction))
            or (by_slot.get(slot) if slot else None)
            or by_name.get(step.name)
        )


def _stage(step: Step) -> str:
    return step.slot.rsplit(" ", 1)[0] if " " in step.slot else ""


def _change(
    step: Step,
    matcher: _Matcher,
    previous: BuildRecord,
    files: Mapping[str, DirSnapshot],
    build_args: Mapping[str, str],
    arg_names: Collection[str],
    changes: Mapping[str, Cause | None],
    by_digest: Mapping[str, Step],
) -> Cause | None:
    if step.reads:
        changed = read_changes(step.reads, previous.files, files)
        if changed:
            return Cause(CauseKind.FILES, changed.text())
    parent = _changed_parent(step, changes, by_digest)
    if step.key in matcher.by_key:
        return parent
    before = matcher.earlier(step)
    if before is None:
        return parent or Cause(CauseKind.NEW_STEP, "new step")
    moved = step.kind == Kind.IMAGE and before.kind == Kind.IMAGE and step.image == before.image
    if moved and step.image_digest != before.image_digest:
        return Cause(
            CauseKind.BASE_IMAGE,
            f"{_short_ref(step.image)} now {step.image_digest or '?'} was {before.image_digest or '?'}",
        )
    env_change = _env_change(before.env, step.env, arg_names)
    if env_change is not None:
        return env_change
    if step.instruction != before.instruction:
        return Cause(CauseKind.INSTRUCTION, f"instruction edited: {before.instruction!r} -> {step.instruction!r}")
    arg_change = _referenced_arg_change(step.instruction, previous.build_args, build_args)
    if arg_change is not None:
        return arg_change
    return parent or Cause(CauseKind.DEFINITION, "step definition changed (same instruction)")


def _changed_parent(step: Step, changes: Mapping[str, Cause | None], by_digest: Mapping[str, Step]) -> Cause | None:
    for digest in step.parents:
        parent = by_digest.get(digest)
        change = changes.get(digest)
        if parent is not None and change is not None:
            return Cause(CauseKind.PARENT, change.text, parent=digest)
    return None


def _env_change(before: tuple[str, ...], after: tuple[str, ...], arg_names: Collection[str]) -> Cause | None:
    old, new = _env_map(before), _env_map(after)
    for name in [*new, *(n for n in old if n not in new)]:
        if old.get(name) == new.get(name):
            continue
        word = "ARG" if name in arg_names else "ENV"
        kind = CauseKind.BUILD_ARG if word == "ARG" else CauseKind.ENV
        return Cause(kind, f"{word} {name}={_value(old.get(name))} -> {_value(new.get(name))}")
    return None


def _referenced_arg_change(instruction: str, before: Mapping[str, str], after: Mapping[str, str]) -> Cause | None:
    # A build arg expanded into a COPY path or a FROM reference is in no env; it shows in the text.
    for name in sorted({*before, *after}):
        if before.get(name) == after.get(name):
            continue
        if re.search(r"\$\{?" + re.escape(name) + r"\b", instruction):
            return Cause(CauseKind.BUILD_ARG, f"ARG {name}={_value(before.get(name))} -> {_value(after.get(name))}")
    return None


def _env_map(env: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in env:
        name, _, value = item.partition("=")
        out[name] = value
    return out


def _value(value: str | None) -> str:
    return "(unset)" if value is None else value


def _short_ref(ref: str) -> str:
    for prefix in ("docker.io/library/", "docker.io/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def attribute(
    graph: StepGraph,
    changes: Mapping[str, Cause | None],
    ran: Collection[str],
    *,
    no_cache: bool = False,
    predicted: bool = False,
) -> dict[str, Cause]:
    """The cause of each step in `ran` (digests; for a prediction, that will run), by digest."""
    by_digest = graph.by_digest()
    causes: dict[str, Cause] = {}
    for step in graph.steps:
        if step.digest not in ran or not step.is_step:
            continue
        causes[step.digest] = step_cause(step, changes, ran, by_digest, no_cache=no_cache, predicted=predicted)
    return causes


def step_cause(
    step: Step,
    changes: Mapping[str, Cause | None],
    ran: Collection[str],
    by_digest: Mapping[str, Step],
    *,
    no_cache: bool = False,
    predicted: bool = False,
) -> Cause:
    """The cause of one step that ran, or will (`predicted`; see `attribute`)."""
    change = changes.get(step.digest)
    if change is not None and change.kind in _OWN:
        return change
    if step.ignore_cache:
        return Cause(CauseKind.NO_CACHE, "--no-cache" if no_cache else "--no-cache-filter")
    ran_parents = [d for d in step.parents if d in ran and (p := by_digest.get(d)) is not None and p.is_step]
    if ran_parents:
        digest = ran_parents[0]
        parent = by_digest[digest]
        text = f"after [{parent.label or parent.name}]"
        if predicted and all(d in step.copied_from for d in ran_parents):
            # Only what it copies from will be made again: the engine keys this step by that
            # content, which a prediction cannot know before the parent has run.
            text += UNLESS_SAME_CONTENT
        return Cause(CauseKind.PARENT, text, parent=digest)
    if change is not None:
        # A parent changed but came from cache (e.g. a base image already pulled): its cause.
        return change
    return Cause(
        CauseKind.CACHE_GONE, "same step as last build, but the engine no longer holds its cache (pruned or evicted)"
    )


def predict(
    graph: StepGraph,
    changes: Mapping[str, Cause | None],
    holds: Callable[[Step], bool],
) -> frozenset[str]:
    """The digests of the steps that will run: from the result backwards, a step runs when it
    changed, ignores the cache, or the engine no longer holds its result; its inputs are then needed."""
    by_digest = graph.by_digest()
    uncached = _below_ignore_cache(graph)
    run: set[str] = set()
    seen: set[str] = set()
    pending = [graph.head] if graph.head else []
    while pending:
        digest = pending.pop()
        if digest in seen:
            continue
        seen.add(digest)
        step = by_digest.get(digest)
        if step is None or step.kind == Kind.LOCAL:
            continue
        change = changes.get(digest)
        if step.kind == Kind.IMAGE:
            # An image counts as rebuilt only when it moved (see `tracker.rebuilds`); without a
            # record, whether the engine holds it is unknown, and a build reports one it has as cached.
            if change is not None and change.kind is not CauseKind.NO_RECORD:
                run.add(digest)
            continue
        if change is not None or digest in uncached:
            run.add(digest)
            pending.extend(step.parents)
        elif not holds(step):
            # Above a step whose cache is gone, dockerd's BuildKit runs every step again back to
            # the sources: their cached results are not reused for it (seen on the engine).
            run.add(digest)
            above = (by_digest.get(d) for d in _ancestors(step, by_digest))
            run.update(a.digest for a in above if a is not None and a.kind in (Kind.EXEC, Kind.FILE))
    return frozenset(run)


def judged(graph: StepGraph, changes: Mapping[str, Cause | None]) -> list[Step]:
    """The steps `predict` asks `holds` about, in its order: the unchanged steps the walk from the
    result reaches (what it asks never depends on the answers: it goes no further down either way)."""
    asked: list[Step] = []

    def record(step: Step) -> bool:
        asked.append(step)
        return True

    predict(graph, changes, record)
    return asked


def _ancestors(step: Step, by_digest: Mapping[str, Step]) -> set[str]:
    found: set[str] = set()
    pending = list(step.parents)
    while pending:
        digest = pending.pop()
        if digest in found:
            continue
        found.add(digest)
        parent = by_digest.get(digest)
        if parent is not None:
            pending.extend(parent.parents)
    return found


def _below_ignore_cache(graph: StepGraph) -> frozenset[str]:
    """Steps sent with ignore-cache and everything that depends on them: the engine looks no cache
    up for the first and gives the rest no key to look theirs up by (buildkit solver/edge.go: no
    keys, no match), so all of them run, except where a content checksum of an input matches
    (a COPY --from whose source came out the same), which only the build can tell."""
    below: set[str] = set()
    for step in graph.steps:  # inputs come first
        if step.ignore_cache or any(parent in below for parent in step.parents):
            below.add(step.digest)
    return frozenset(below)
