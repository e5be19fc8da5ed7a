"""One build, watched for its record: what the session sent, which steps ran, and why.

`api.build` makes a `BuildTracker` before the build: its `transfer` goes to the session,
`compiled` is told the definition, `watch` wraps the event callback (with `explain`, each step
that starts running gets a `StepCause` event for the progress view), and `finish` saves the new
record and returns the explanation.

Every build keeps a record, so the tracker is on every build's path and is made to cost little
there: the session's callback appends a tuple; the previous record is read on a thread of its
own while the build runs (without `explain`, only its listing digests: no step or entry is
parsed); a context sent for the first time is hashed on that thread as the session sends it;
and a build that sent the same listing as last time (a no-op rebuild) hashes nothing and leaves
the record's entries file as it is.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from buildwright.cachemiss.causes import Cause, attribute, compare, step_cause
from buildwright.cachemiss.context import (
    DirSnapshot,
    Hasher,
    RawEntries,
    RawEntry,
    SentFiles,
    with_hashes,
)
from buildwright.cachemiss.graph import Kind, Step, StepGraph, read_graph
from buildwright.cachemiss.record import BuildKey, BuildRecord, CompileInputs, RecordStore, now
from buildwright.cachemiss.report import Explanation, explanation
from buildwright.client.events import BuildEvent, StepCause, VertexStarted
from buildwright.client.steps import StepResult
from buildwright.llb import Definition

EventCallback = Callable[[BuildEvent], None]

# How often the background thread looks for newly sent entries to hash (first builds only).
_POLL_SECONDS = 0.05


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
        sent: SentFiles | None = None,
    ) -> None:
        self._key = key
        self._store = store or RecordStore.default()
        self._dirs = dict(local_dirs)
        self._build_args = dict(build_args)
        self._arg_names = frozenset(arg_names)
        self._no_cache = no_cache
        self._explain = explain
        self._dockerfile = dockerfile_name
        # A multi-platform build's trackers share what the session sent (it is sent once).
        self._sent = sent if sent is not None else SentFiles(len(self._dirs))
        # Told what the session sends (the collector's methods are called from its thread).
        self.transfer: SentFiles = self._sent
        self._started = now()
        self._lock = threading.Lock()
        self._graph: StepGraph | None = None
        self._compiled_from: CompileInputs | None = None
        self._running: set[str] = set()
        self._by_name: dict[str, Step] = {}
        # The live view's changes, computed again only when the session sent more entries.
        self._live: tuple[int, dict[str, Cause | None]] | None = None
        self.hash_source: dict[str, DirSnapshot] = {}
        # What `finish` recorded of each directory (with hashes), for another platform's tracker.
        self.files: Mapping[str, DirSnapshot] = {}
        self._background = _Background(self._store, key, self._sent, self._dirs, full=explain, hashes=not sent)
        # A build that fails never calls `finish`: the thread ends when the tracker is dropped.
        weakref.finalize(self, self._background.abandon)

    @property
    def previous(self) -> BuildRecord | None:
        """The record of the last build of the same key (read in full; waits for the reader)."""
        return self._background.full_record()

    def compiled(self, definition: Definition, compiled_from: CompileInputs | None = None) -> None:
        """The definition the build sends, and what it was compiled from (kept in the record)."""
        graph = read_graph(definition)
        with self._lock:
            self._graph = graph
            self._compiled_from = compiled_from
            self._by_name = {step.name: step for step in graph.steps if step.name}

    def watch(self, on_event: EventCallback | None) -> EventCallback | None:
        """`on_event`, with a `StepCause` after each step that starts running (with `explain`)."""
        if not self._explain or on_event is None:
            return on_event
        forward = on_event

        def handle(event: BuildEvent) -> None:
            forward(event)
            cause = self.live_cause(event)
            if cause is not None:
                forward(cause)

        return handle

    def live_cause(self, event: BuildEvent) -> StepCause | None:
        """For a step of this build that starts running, why (with `explain`), else None."""
        if not self._explain or not isinstance(event, VertexStarted):
            return None
        cause = self._live_cause(event.digest, event.name)
        return StepCause(event.digest, event.name, cause.text) if cause is not None else None

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
                previous = self.previous
                files = self._hashed(self._sent.snapshots(), previous)
                self._live = (count, compare(graph, previous, files, self._build_args, self._arg_names))
            changes = self._live[1]
            if not rebuilds(step, changes):
                return None
            self._running.add(step.digest)
            return step_cause(step, changes, self._running, by_digest, no_cache=self._no_cache)

    def _hashed(self, snapshots: Mapping[str, DirSnapshot], previous: BuildRecord | None) -> dict[str, DirSnapshot]:
        before = dict(previous.files) if previous is not None else {}
        # Hashes another platform's tracker took of the same entries this build (see PlatformTrackers).
        before.update(self.hash_source)
        # A directory the background thread hashed has spent its budget: it is not hashed again.
        done = self._background.hashed_dirs
        return {
            name: with_hashes(self._dirs[name], snap, before.get(name), self._sent.content_hashes(name))
            if name in self._dirs and name not in done
            else snap
            for name, snap in snapshots.items()
        }

    def finish(self, steps: Sequence[StepResult]) -> Explanation | None:
        """Save this build's record; the explanation of what ran, with `explain`."""
        with self._lock:
            graph = self._graph
        if graph is None:
            self._background.stop()
            return None
        sent = self._background.stop()
        if not self._explain:
            self._save_quietly(graph, steps, sent)
            return None
        previous = self.previous
        files = self._hashed(sent, previous)
        if previous is not None:
            # A directory this build did not send (no step read it) keeps what the last one saw.
            files = {**previous.files, **files}
        changes = compare(graph, previous, files, self._build_args, self._arg_names)
        by_digest = graph.by_digest()
        ran = frozenset(d for d in ran_digests(graph, steps) if rebuilds(by_digest[d], changes))
        self.files = files
        self._store.save(self._record(graph, ran, files))
        causes = attribute(graph, changes, ran, no_cache=self._no_cache)
        return explanation(
            graph, ran, causes, predicted=False, dockerfile=self._dockerfile, has_record=previous is not None
        )

    def abandon(self) -> None:
        """The build failed: no record is saved, and the hashing thread ends without finishing."""
        self._background.abandon()

    def _save_quietly(self, graph: StepGraph, steps: Sequence[StepResult], sent: Mapping[str, DirSnapshot]) -> None:
        """The record of a build without `explain`: nothing is compared. Base images are left out
        of what ran (whether one moved needs the comparison; the record's readers never ask it
        of an image, which has no cache record of its own)."""
        by_digest = graph.by_digest()
        ran = frozenset(d for d in ran_digests(graph, steps) if by_digest[d].kind != Kind.IMAGE)
        digests = self._background.digests()
        sent = {name: snap.with_digest() for name, snap in sent.items()}
        if digests is not None and all(
            name in digests and digests[name][0] == snap.listing_digest() for name, snap in sent.items()
        ):
            # The same listing as last time: the stored hashes hold, the entries file stays.
            kept = {**{name: _listed(digest, truncated) for name, (digest, truncated) in digests.items()}, **sent}
            self._store.save(self._record(graph, ran, kept), entries_unchanged=True)
            return
        previous = self.previous
        files = self._hashed(sent, previous)
        if previous is not None:
            files = {**previous.files, **files}
        self.files = files
        self._store.save(self._record(graph, ran, files))

    def _record(self, graph: StepGraph, ran: frozenset[str], files: Mapping[str, DirSnapshot]) -> BuildRecord:
        return BuildRecord(
            key=self._key,
            graph=graph,
            ran=frozenset(step.key for step in graph.steps if step.digest in ran),
            files=files,
            build_args=self._build_args,
            started=self._started,
            finished=now(),
            compiled_from=self._compiled_from,
        )


def _listed(digest: str, truncated: bool) -> DirSnapshot:
    """A directory known only by its listing digest (its entries are in the stored file)."""
    return DirSnapshot(RawEntries({}), truncated, digest)


class _Background:
    """The tracker's thread: reads the previous record while the build runs and, when there is
    none (a first build hashes every small file), hashes the entries as the session sends them,
    so that the work is done when the build is."""

    def __init__(
        self,
        store: RecordStore,
        key: BuildKey,
        sent: SentFiles,
        dirs: Mapping[str, Path],
        *,
        full: bool,
        hashes: bool = True,
    ) -> None:
        self._store = store
        # Only one reader may take `sent.pending()`: a shared collector is hashed after the build.
        self._hashes = hashes
        self._key = key
        self._sent = sent
        self._dirs = dirs
        self._full = full
        self._record: BuildRecord | None = None
        self._full_read = False
        self._digests: dict[str, tuple[str, bool]] | None = None
        self._hashed: dict[str, dict[str, RawEntry]] = {}
        self._done = threading.Event()
        self._read_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="buildwright-record", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._full:
            self.full_record()
            first = self._record is None
        else:
            self._digests = self._store.load_digests(self._key)
            first = self._digests is None
        if not first or not self._hashes:
            return
        sent = self._sent
        hashers = {name: Hasher(root, None, sent=sent.content_hashes(name)) for name, root in self._dirs.items()}
        # A small file's STAT comes before the engine asks for its bytes, if it does: so each
        # entry waits here until its directory's transfer ended, then a small file takes the hash
        # of the bytes sent or, when none were (the engine had it), is read. No file is read
        # twice, and no hashing competes with the transfer for the interpreter.
        waiting: dict[str, list[tuple[str, RawEntry]]] = {}
        while True:
            finished = self._done.wait(_POLL_SECONDS)
            for name, path, entry in sent.pending():
                if name in hashers:
                    waiting.setdefault(name, []).append((path, entry))
            for name in list(waiting):
                if finished or sent.is_finished(name):
                    hasher = hashers[name]
                    into = self._hashed.setdefault(name, {})
                    for path, entry in waiting.pop(name):
                        into[path] = hasher.entry(path, entry)
            if finished:
                return

    @property
    def hashed_dirs(self) -> frozenset[str]:
        """The directories this thread hashed (read after `stop`)."""
        return frozenset(self._hashed) if self._done.is_set() else frozenset()

    def stop(self) -> dict[str, DirSnapshot]:
        """Ends the thread (its remaining work first) and returns what the session sent, with
        the hashes already taken."""
        self._done.set()
        self._thread.join()
        snapshots = self._sent.snapshots()
        if not self._hashed:
            return snapshots
        out = {}
        for name, snap in snapshots.items():
            hashed = self._hashed.get(name, {})
            raw = {path: hashed.get(path, entry) for path, entry in snap.raw().items()}
            out[name] = DirSnapshot(RawEntries(raw), snap.truncated)
        return out

    def abandon(self) -> None:
        self._done.set()

    def digests(self) -> dict[str, tuple[str, bool]] | None:
        """The previous record's listing digests (without `full`), None without a record."""
        self._thread.join()
        return self._digests

    def full_record(self) -> BuildRecord | None:
        with self._read_lock:
            if not self._full_read:
                self._record = self._store.load(self._key)
                self._full_read = True
            return self._record


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


class PlatformTrackers:
    """The trackers of a multi-platform build: one record per platform (the key's platform), the
    context collected once for all of them, one explanation naming each platform's steps (their
    names carry the platform)."""

    def __init__(self, keys: Callable[[str], BuildKey], dirs: int, make: Callable[[BuildKey, SentFiles], BuildTracker]):
        self._keys = keys
        self._make = make
        self._sent = SentFiles(dirs)
        self.transfer: SentFiles = self._sent
        self._trackers: list[BuildTracker] = []
        self._lock = threading.Lock()

    def compiled_platforms(self, definitions: Sequence[tuple[str, Definition]]) -> None:
        """Told each platform's definition (`linux/arm64`, definition), once compiled."""
        trackers = []
        for platform, definition in definitions:
            tracker = self._make(self._keys(platform), self._sent)
            tracker.compiled(definition)
            trackers.append(tracker)
        with self._lock:
            self._trackers = trackers

    def watch(self, on_event: EventCallback | None) -> EventCallback | None:
        if on_event is None:
            return None
        forward = on_event

        def handle(event: BuildEvent) -> None:
            forward(event)
            if not isinstance(event, VertexStarted):
                return
            with self._lock:
                trackers = list(self._trackers)
            for tracker in trackers:
                cause = tracker.live_cause(event)
                if cause is not None:
                    forward(cause)
                    return

        return handle

    def abandon(self) -> None:
        """The build failed: every platform's tracker ends, saving nothing."""
        with self._lock:
            trackers = list(self._trackers)
        for tracker in trackers:
            tracker.abandon()

    def finish(self, steps: Sequence[StepResult]) -> Explanation | None:
        """Each platform's record saved (the first platform's hashes reused by the others); the
        explanations joined, platform by platform."""
        with self._lock:
            trackers = list(self._trackers)
        parts: list[Explanation] = []
        hashed: Mapping[str, DirSnapshot] = {}
        for tracker in trackers:
            tracker.hash_source = dict(hashed)
            part = tracker.finish(steps)
            hashed = hashed or tracker.files
            if part is not None:
                parts.append(part)
        if not parts:
            return None
        return Explanation(
            tuple(step for part in parts for step in part.steps),
            predicted=parts[0].predicted,
            dockerfile=parts[0].dockerfile,
            has_record=all(part.has_record for part in parts),
        )
