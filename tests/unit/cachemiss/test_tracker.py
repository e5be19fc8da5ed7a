"""A build watched for its record: what the session sent, what ran, the live causes, the record saved."""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from dataclasses import replace
from pathlib import Path

from buildwright.cachemiss import arg_names
from buildwright.cachemiss.causes import CauseKind
from buildwright.cachemiss.context import SentFiles
from buildwright.cachemiss.record import BuildKey, RecordStore
from buildwright.cachemiss.report import Explanation
from buildwright.cachemiss.tracker import BuildTracker, PlatformTrackers, ran_digests
from buildwright.client.events import BuildEvent, StepCause, VertexStarted
from buildwright.client.steps import StepResult
from buildwright.dockerfile import parse_dockerfile
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.options import FrontendOptions
from buildwright.llb import Definition
from tests.unit.cachemiss.helpers import Resolver

DOCKERFILE = "FROM busybox\nARG V=1\nCOPY src/ /src/\nRUN echo $V\n"
KEY = BuildKey("/ctx", "", "", "")


def _definition(session: str, args: dict[str, str]) -> Definition:
    options = FrontendOptions(session_id=session, build_args=args)
    return compile_dockerfile(parse_dockerfile(DOCKERFILE), options, Resolver()).definition


def _tracker(
    store: RecordStore,
    context: Path,
    args: dict[str, str],
    *,
    explain: bool,
    key: BuildKey = KEY,
    sent: SentFiles | None = None,
) -> BuildTracker:
    return BuildTracker(
        key,
        local_dirs={"context": context},
        build_args=args,
        arg_names=arg_names(parse_dockerfile(DOCKERFILE)),
        no_cache=False,
        explain=explain,
        dockerfile_name="Dockerfile",
        store=store,
        sent=sent,
    )


def _build(
    store: RecordStore,
    context: Path,
    session: str,
    args: dict[str, str],
    *,
    ran: tuple[str, ...],
    explain: bool = True,
) -> tuple[Explanation | None, list[BuildEvent]]:
    """One build as api.build drives the tracker: the session sends, the steps run, it finishes."""
    tracker = _tracker(store, context, args, explain=explain)
    events: list[BuildEvent] = []
    handle = tracker.watch(events.append)
    assert handle is not None
    assert explain or handle == events.append  # without explain the events are not looked at
    definition = _definition(session, args)
    tracker.compiled(definition)
    for path in sorted(p.relative_to(context).as_posix() for p in context.rglob("*")):
        stat = (context / path).stat()
        mode = (1 << 31 | 0o755) if (context / path).is_dir() else 0o644
        size = 0 if (context / path).is_dir() else stat.st_size
        tracker.transfer.sent("context", path, mode, size, stat.st_mtime_ns, "")
    results = []
    for digest in definition.digests:
        meta = definition.metadata.get(digest)
        name = dict(meta.description).get("llb.customname", "") if meta is not None else ""
        if name.startswith("[2/3]") or name.startswith("[3/3]"):
            # The engine may report a step under another digest (dockerd re-digests): by name then.
            reported = "sha256:" + "9" * 64 if name.startswith("[3/3]") else digest
            cached = not name.startswith(ran)
            if not cached:
                handle(VertexStarted(reported, name, None))
            results.append(StepResult(name, reported, cached=cached))
    return tracker.finish(results), events


def test_first_then_changed_arg_then_nothing(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    (context / "src").mkdir(parents=True)
    (context / "src" / "a").write_text("a")
    store = RecordStore(tmp_path / "records")
    first, events = _build(store, context, "s1", {"V": "1"}, ran=("[2/3]", "[3/3]"))
    assert first is not None
    assert {step.cause.kind for step in first.rebuilt if step.cause} == {CauseKind.NO_RECORD}
    assert [e.cause for e in events if isinstance(e, StepCause)] == ["no earlier build recorded"] * 2
    saved = store.load(KEY)
    assert saved is not None and saved.build_args == {"V": "1"}
    assert set(saved.files["context"].entries) == {"src", "src/a"}
    assert saved.files["context"].entries["src/a"].sha256 is not None  # hashed after the build

    second, events = _build(store, context, "s2", {"V": "2"}, ran=("[3/3]",))
    assert second is not None
    assert [(step.name, step.cause.text if step.cause else None) for step in second.rebuilt] == [
        ("[3/3] RUN echo 2", "ARG V=1 -> 2")
    ]
    # The cause went to the progress view as the step started.
    assert [(e.name, e.cause) for e in events if isinstance(e, StepCause)] == [("[3/3] RUN echo 2", "ARG V=1 -> 2")]

    # The engine ran the COPY again though nothing changed: its cache was gone.
    third, _ = _build(store, context, "s3", {"V": "2"}, ran=("[2/3]", "[3/3]"))
    assert third is not None
    assert [(step.name, step.cause.kind if step.cause else None) for step in third.rebuilt] == [
        ("[2/3] COPY src/ /src/", CauseKind.CACHE_GONE),
        ("[3/3] RUN echo 2", CauseKind.PARENT),
    ]

    fourth, events = _build(store, context, "s4", {"V": "2"}, ran=())
    assert fourth is not None and fourth.rebuilt == () and fourth.exit_code == 0
    assert not [e for e in events if isinstance(e, StepCause)]


def test_ran_digests_match_by_name_when_the_engine_re_digests() -> None:
    from buildwright.cachemiss.graph import read_graph

    graph = read_graph(_definition("s", {}))
    run = next(step for step in graph.steps if step.name.startswith("[3/3]"))
    copy = next(step for step in graph.steps if step.name.startswith("[2/3]"))
    results = [
        StepResult(run.name, "sha256:" + "0" * 64),
        StepResult(copy.name, copy.digest, cached=True),
        StepResult("[internal] something else", "sha256:" + "1" * 64),
    ]
    assert ran_digests(graph, results) == {run.digest}


def test_builds_without_explain_keep_the_record_cheaply(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    (context / "src").mkdir(parents=True)
    (context / "src" / "a").write_text("a")
    (context / "src" / "b").write_text("b")
    store = RecordStore(tmp_path / "records")
    # The first build: every small file hashed (on the tracker's thread, while the build runs).
    first, _ = _build(store, context, "s1", {"V": "1"}, ran=("[2/3]", "[3/3]"), explain=False)
    assert first is None
    saved = store.load(KEY)
    assert saved is not None and saved.build_args == {"V": "1"}
    hashes = {path: saved.files["context"].entries[path].sha256 for path in ("src/a", "src/b")}
    assert all(hashes.values())
    assert {step.name for step in saved.graph.steps if step.key in saved.ran} == {
        "[2/3] COPY src/ /src/",
        "[3/3] RUN echo 1",
    }
    entries_file = tmp_path / "records" / KEY.files_name()
    os.utime(entries_file, (1000, 1000))

    # A no-op rebuild: the same listing, so the entries file is left as it was, hashes and all.
    _build(store, context, "s2", {"V": "1"}, ran=(), explain=False)
    assert entries_file.stat().st_mtime == 1000
    again = store.load(KEY)
    assert again is not None and {p: again.files["context"].entries[p].sha256 for p in hashes} == hashes
    assert again.ran == frozenset()

    # A file edited (other size): the listing moved; the unchanged file keeps its stored hash,
    # the edited one is hashed again, and the next explained build names the edit.
    (context / "src" / "b").write_text("bb")
    _build(store, context, "s3", {"V": "1"}, ran=("[2/3]", "[3/3]"), explain=False)
    edited = store.load(KEY)
    assert edited is not None
    assert edited.files["context"].entries["src/a"].sha256 == hashes["src/a"]
    assert edited.files["context"].entries["src/b"].sha256 not in (None, hashes["src/b"])
    (context / "src" / "a").write_text("A")
    explained, _ = _build(store, context, "s4", {"V": "1"}, ran=("[2/3]", "[3/3]"))
    assert explained is not None
    assert explained.cause_of("[2/3]") is not None
    assert explained.cause_of("[2/3]").text == "src/a changed (content)"  # type: ignore[union-attr]


def test_a_failed_build_leaves_no_thread_behind(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records")
    # Threads of earlier tests' trackers may still be winding down: this tracker's is the new one.
    before = set(threading.enumerate())
    tracker = _tracker(store, tmp_path, {}, explain=False)
    (thread,) = (t for t in threading.enumerate() if t.name == "buildwright-record" and t not in before)
    del tracker  # never finished, as after a failed build
    gc.collect()
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_a_multi_platform_build_keeps_one_record_per_platform(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    (context / "src").mkdir(parents=True)
    (context / "src" / "a").write_text("a")
    store = RecordStore(tmp_path / "records")
    platforms = ("linux/amd64", "linux/arm64")

    def build(ran: dict[str, tuple[str, ...]]) -> Explanation | None:
        def make(key: BuildKey, sent: SentFiles) -> BuildTracker:
            return _tracker(store, context, {}, explain=True, key=key, sent=sent)

        trackers = PlatformTrackers(lambda platform: replace(KEY, platform=platform), 1, make)
        events: list[BuildEvent] = []
        handle = trackers.watch(events.append)
        assert handle is not None
        definitions = [(p, _definition(f"s-{p}", {})) for p in platforms]
        trackers.compiled_platforms(definitions)
        stat = (context / "src" / "a").stat()
        trackers.transfer.sent("context", "src", 1 << 31 | 0o755, 0, 1, "")
        trackers.transfer.sent("context", "src/a", 0o644, stat.st_size, stat.st_mtime_ns, "")
        results = []
        for platform, definition in definitions:
            for digest in definition.digests:
                meta = definition.metadata.get(digest)
                name = dict(meta.description).get("llb.customname", "") if meta is not None else ""
                if name[:5] in ("[2/3]", "[3/3]"):
                    cached = not name.startswith(ran.get(platform, ()))
                    if not cached:
                        handle(VertexStarted(digest, name, None))
                    results.append(StepResult(name, digest, cached=cached))
        return trackers.finish(results)

    first = build({p: ("[2/3]", "[3/3]") for p in platforms})
    assert first is not None and len(first.rebuilt) == 4 and not first.has_record
    for platform in platforms:
        saved = store.load(replace(KEY, platform=platform))
        assert saved is not None and saved.files["context"].entries["src/a"].sha256 is not None
    (context / "src" / "a").write_text("b")
    second = build({p: ("[2/3]", "[3/3]") for p in platforms})
    assert second is not None and second.has_record
    assert [step.cause.text for step in second.rebuilt if step.cause][::2] == ["src/a changed (content)"] * 2


def test_the_record_takes_hashes_of_the_bytes_sent(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    (context / "src").mkdir(parents=True)
    (context / "src" / "a").write_text("on disk")
    (context / "src" / "b").write_text("b on disk")
    store = RecordStore(tmp_path / "records")
    tracker = _tracker(store, context, {"V": "1"}, explain=False)
    tracker.compiled(_definition("s1", {"V": "1"}))
    for path in ("src/a", "src/b"):
        stat = (context / path).stat()
        tracker.transfer.sent("context", path, 0o644, stat.st_size, stat.st_mtime_ns, "")
    # The engine asked for src/a only (it had src/b): src/a's hash is the one of the bytes sent
    # (made different from the file's here, to tell them apart); src/b is read from disk.
    tracker.transfer.content("context", "src/a", memoryview(b"as sent"))
    tracker.transfer.finished("context")
    tracker.finish([])
    saved = store.load(KEY)
    assert saved is not None
    entries = saved.files["context"].entries
    assert entries["src/a"].sha256 == hashlib.sha256(b"as sent").hexdigest()
    assert entries["src/b"].sha256 == hashlib.sha256(b"b on disk").hexdigest()
