"""Build records: JSON round trip, unreadable records ignored, the folder bounded oldest first."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from buildwright.cachemiss import record as record_module
from buildwright.cachemiss.context import FileMeta, read_changes
from buildwright.cachemiss.graph import ContextRead
from buildwright.cachemiss.record import BaseAnswer, BuildKey, BuildRecord, CompileInputs, RecordStore, record_from_json
from tests.unit.cachemiss.helpers import graph_of, snapshot

DOCKERFILE = """\
FROM busybox AS build
ARG VERSION=1.2
COPY src/ /src/
RUN --mount=type=bind,source=conf,target=/conf --mount=type=secret,id=token,env=TOKEN echo $VERSION
FROM busybox
COPY --from=build /src /x
"""


def _record(key: BuildKey, *, build_args: dict[str, str] | None = None) -> BuildRecord:
    graph = graph_of(DOCKERFILE, build_args=build_args or {"VERSION": "1.3"})
    files = {"context": snapshot({"src/a.c": "int main;", "src/big": 5_000_000}, dirs=["src"])}
    ran = frozenset(step.key for step in graph.steps[:3])
    compiled_from = CompileInputs(
        "d" * 64, (BaseAnswer("docker.io/library/busybox:latest", {"os": "linux"}, "local", "e" * 64),)
    )
    return BuildRecord(
        key,
        graph,
        ran,
        files,
        build_args or {"VERSION": "1.3"},
        started=10.5,
        finished=12.25,
        compiled_from=compiled_from,
    )


def test_a_record_reads_back_as_it_was_written(tmp_path: Path) -> None:
    key = BuildKey("/work/app", "/work/app/Dockerfile.dev", "build", "linux/amd64")
    written = _record(key)
    store = RecordStore(tmp_path)
    store.save(written)
    assert store.load(key) == written
    # One file per key, named from the key, and its entries beside it; the folder is private.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([key.file_name(), key.files_name()])
    assert tmp_path.stat().st_mode & 0o077 == 0


def test_each_key_has_its_own_record(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    one = BuildKey("/app", "", "", "")
    other = BuildKey("/app", "", "test", "")
    store.save(_record(one))
    assert store.load(other) is None
    store.save(_record(other, build_args={"VERSION": "9"}))
    loaded = store.load(one)
    assert loaded is not None and loaded.build_args == {"VERSION": "1.3"}


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"version": 99}', '{"version": 1, "key": {"context": "/app"}}', '{"version": 1}'],
)
def test_an_unreadable_record_is_no_record(tmp_path: Path, content: str) -> None:
    key = BuildKey("/app", "", "", "")
    (tmp_path / key.file_name()).write_text(content)
    assert RecordStore(tmp_path).load(key) is None


def test_a_record_of_another_key_in_the_file_is_not_taken(tmp_path: Path) -> None:
    key = BuildKey("/app", "", "", "")
    other = _record(BuildKey("/elsewhere", "", "", ""))
    (tmp_path / key.file_name()).write_text(json.dumps(other.to_json()))
    assert RecordStore(tmp_path).load(key) is None


def test_an_unwritable_folder_only_loses_the_record(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    RecordStore(blocker / "builds").save(_record(BuildKey("/app", "", "", "")))  # no exception


def test_the_folder_is_bounded_and_pruned_oldest_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_module, "MAX_RECORDS", 3)
    store = RecordStore(tmp_path)
    keys = [BuildKey(f"/app{i}", "", "", "") for i in range(5)]
    for age, key in enumerate(keys[:3]):
        store.save(_record(key))
        # Older records have older times (set, not slept for).
        os.utime(tmp_path / key.file_name(), (1000 + age, 1000 + age))
    store.save(_record(keys[3]))
    assert store.load(keys[0]) is None  # the oldest went
    assert all(store.load(key) is not None for key in keys[1:4])
    # Building an old key again makes it the newest: the next one to go is the next oldest.
    store.save(_record(keys[1]))
    store.save(_record(keys[4]))
    assert store.load(keys[2]) is None
    # A pruned record's entries file goes with it.
    assert {p.name for p in tmp_path.glob("*.json")} == {
        name for i in (1, 3, 4) for name in (keys[i].file_name(), keys[i].files_name())
    }


def test_the_record_is_bounded_per_directory() -> None:
    # The context's entries are capped when they are collected (test_context); a record stays a
    # small file: one compact line per entry, hashes only for small files.
    written = _record(BuildKey("/app", "", "", ""))
    entries = json.loads(json.dumps(written.files_json()))["dirs"]["context"]["entries"]
    assert entries["src/big"] == [0o644, 5_000_000, 1000, "", None]
    assert FileMeta.from_json(entries["src/a.c"]) == written.files["context"].entries["src/a.c"]
    # The record's own file names the listing, not its entries.
    assert set(written.to_json()["files"]["context"]) == {"truncated", "digest"}


def test_entries_whose_listing_is_not_the_recorded_one_are_unknown(tmp_path: Path) -> None:
    key = BuildKey("/app", "", "", "")
    store = RecordStore(tmp_path)
    store.save(_record(key))
    assert store.load_digests(key) == {"context": (_record(key).files["context"].listing_digest(), False)}
    # Without its entries file, a record's digests say nothing: a build writes the entries again.
    (tmp_path / key.files_name()).unlink()
    assert store.load_digests(key) is None
    store.save(_record(key))
    assert store.load_digests(key) is not None
    # Another build's entries file (a write interrupted between the two files): not taken.
    other = _record(key)
    moved = {"context": snapshot({"src/a.c": "int main;", "src/b.c": "x"}, dirs=["src"])}
    (tmp_path / key.files_name()).write_text(
        json.dumps(BuildRecord(key, other.graph, other.ran, moved, {}).files_json())
    )
    loaded = store.load(key)
    assert loaded is not None and loaded.files == {}
    # Kept as it is when a build says its listing did not change.
    store.save(_record(key), entries_unchanged=True)
    assert store.load(key) is not None and store.load(key).files == {}  # type: ignore[union-attr]


def test_no_secret_value_reaches_a_record() -> None:
    # A secret reaches a RUN as a mount the engine fills from the session: its id is in the
    # definition, never its value (the value is not even an input of the compile).
    written = json.dumps(_record(BuildKey("/app", "", "", "")).to_json())
    assert "token" in written  # the mount's id, so the test looks where the secret would be
    run = next(step for step in record_from_json(json.loads(written)).graph.steps if step.kind == "exec")
    assert not any(item.startswith("TOKEN=") for item in run.env)


def test_a_malformed_entry_is_left_out_of_the_comparison(tmp_path: Path) -> None:
    key = BuildKey("/app", "", "", "")
    store = RecordStore(tmp_path)
    store.save(_record(key))
    path = tmp_path / key.files_name()
    document = json.loads(path.read_text())
    document["dirs"]["context"]["entries"]["src/a.c"] = [1]
    path.write_text(json.dumps(document))
    loaded = store.load(key)
    assert loaded is not None
    now = {"context": snapshot({"src/a.c": "int main(void);", "src/big": 5_000_000}, dirs=["src"])}
    # Nothing to compare the file with: it is not named, and nothing fails.
    assert read_changes((ContextRead("context", ("src",)),), loaded.files, now) is None
