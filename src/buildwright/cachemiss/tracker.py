"""One build, watched for its record: what the session sent, which steps ran, and why.

`api.build` makes a `BuildTracker` before the build: its `on_file_sent` goes to the session,
`compiled` is told the definition, `watch` wraps the event callback (with `explain`, each step
that starts running gets a `StepCause` event for the progress view), and `finish` saves the new
record and returns the explanation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from buildwright.cachemiss.causes import Cause, attribute, compare, step_cause
from buildwright.cachemiss.context import DirSnapshot, SentFiles, with_hashes
from buildwright.cachemiss.graph import Kind, Step, StepGraph, read_graph
from buildwright.cachemiss.record import BuildKey, BuildRecord, RecordStore, now
from buildwright.cachemiss.report import Explanation, explanation
from buildwright.client.events import BuildEvent, StepCause, VertexStarted
from buildwright.client.steps import StepResult
from buildwright.llb import Definition

EventCallback = Callable[[BuildEvent], None]


class BuildTracker:
    """Keeps the record of one build (see the module docstring); safe to feed from the status
    thread and the session's thread."""

    def __init__(
        self,
        key: BuildKey,
        *,
        local_dirs: Mapping[str, Path],
        build_args: Mapping[str, str],
        arg_names: Collection[str],
        no_cache: bool,
        explain: bool,
        dockerfile_name: str,
        store: RecordStore | None = None,
    ) -> None:
        self._key = key
        self._store = store or RecordStore.default()
        self._dirs = dict(local_dirs)
        self._build_args = dict(build_args)
        self._arg_names = frozenset(arg_names)
        self._no_cache = no_cache
        self._explain = explain
        self._dockerfile = dockerfile_name
        self.previous = self._store.load(key)
        self._sent = SentFiles()
        self._started = now()
        self._lock = threading.Lock()
        self._graph: StepGraph | None = None
        self._running: set[str] = set()
        self._by_name: dict[str, Step] = {}
        # The live view's changes, computed again only when the session sent more entries.
        self._live: tuple[int, dict[str, Cause | None]] | None = None

    def on_file_sent(self, dir_name: str, path: str, mode: int, size: int, mtime: int, linkname: str) -> None:
        self._sent.sent(dir_name, path, mode, size, mtime, linkname)

    def compiled(self, definition: Definition) -> None:
        graph = read_graph(definition)
        with self._lock:
            self._graph = graph
            self._by_name = {step.name: step for step in graph.steps if step.name}

    def watch(self, on_event: EventCallback | None) -> EventCallback | None:
        """`on_event`, with a `StepCause` after each step that starts running (with `explain`)."""
        if not self._explain or on_event is None:
            return on_event
        forward = on_event

        def handle(event: BuildEvent) -> None:
            forward(event)
            if isinstance(event, VertexStarted):
                cause = self._live_cause(event.digest, event.name)
                if cause is not None:
                    forward(StepCause(event.digest, event.name, cause.text))

        return handle

    def _live_cause(self, digest: str, name: str) -> Cause | None:
        with self._lock:
            graph = self._graph
            if graph is None:
                return None
            by_digest = graph.by_digest()
            # The engine may re-digest ops (dockerd's does); names are unique in a build.
            step = by_digest.get(digest) or self._by_name.get(name)
            if step is None or not step.is_step:
                return None
            # The context is sent before any step reading it starts, so its entries are all known.
            count = self._sent.count
            if self._live is None or self._live[0] != count:
                files = self._hashed(self._sent.snapshots())
                self._live = (count, compare(graph, self.previous, files, self._build_args, self._arg_names))
            changes = self._live[1]
            if not rebuilds(step, changes):
                return None
            self._running.add(step.digest)
            return step_cause(step, changes, self._running, by_digest, no_cache=self._no_cache)

    def _hashed(self, snapshots: Mapping[str, DirSnapshot]) -> dict[str, DirSnapshot]:
        previous = self.previous.files if self.previous is not None else {}
        return {
            name: with_hashes(self._dirs[name], snap, previous.get(name)) if name in self._dirs else snap
            for name, snap in snapshots.items()
        }

    def finish(self, steps: Sequence[StepResult]) -> Explanation | None:
        """Save this build's record; the explanation of what ran, with `explain`."""
        with self._lock:
            graph = self._graph
        if graph is None:
            return None
        files = self._hashed(self._sent.snapshots())
        previous = self.previous
        if previous is not None:
            # A directory this build did not send (no step read it) keeps what the last one saw.
            files = {**previous.files, **files}
        changes = compare(graph, previous, files, self._build_args, self._arg_names)
        by_digest = graph.by_digest()
        ran = frozenset(d for d in ran_digests(graph, steps) if rebuilds(by_digest[d], changes))
        record = BuildRecord(
            key=self._key,
            graph=graph,
            ran=frozenset(step.key for step in graph.steps if step.digest in ran),
            files=files,
            build_args=self._build_args,
            started=self._started,
            finished=now(),
        )
        self._store.save(record)
        if not self._explain:
            return None
        causes = attribute(graph, changes, ran, no_cache=self._no_cache)
        return explanation(
            graph, ran, causes, predicted=False, dockerfile=self._dockerfile, has_record=previous is not None
        )


def rebuilds(step: Step, changes: Mapping[str, Cause | None]) -> bool:
    """Whether a step the engine reports as run counts as rebuilt: an image the engine reads again
    (it reports base images as done, never cached) is rebuilt only when it changed."""
    return step.kind != Kind.IMAGE or changes.get(step.digest) is not None


def ran_digests(graph: StepGraph, steps: Sequence[StepResult]) -> frozenset[str]:
    """The graph's steps the engine ran (reported and not from cache), matched by digest, else by
    name (the engine may re-digest an op it completes with defaults)."""
    by_digest = graph.by_digest()
    by_name = {step.name: step.digest for step in graph.steps if step.name}
    ran = set()
    for result in steps:
        if result.cached:
            continue
        if result.digest in by_digest:
            ran.add(result.digest)
        elif result.name in by_name:
            ran.add(by_name[result.name])
    return frozenset(ran)
