"""The cause of each step that runs: every kind, in its order, and the prediction's walk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from buildwright.cachemiss import arg_names
from buildwright.cachemiss.causes import UNLESS_SAME_CONTENT, Cause, CauseKind, attribute, compare, judged, predict
from buildwright.cachemiss.context import DirSnapshot
from buildwright.cachemiss.graph import Kind, Step, StepGraph
from buildwright.cachemiss.record import BuildKey, BuildRecord
from buildwright.dockerfile import parse_dockerfile
from tests.unit.cachemiss.helpers import DIGEST_B, graph_of, snapshot, step_named

KEY = BuildKey("/ctx", "", "", "")
DOCKERFILE = """\
FROM busybox AS build
ARG VERSION=1.2
COPY src/ /src/
RUN echo build $VERSION
FROM busybox
ENV MODE=fast
COPY --from=build /src /x
RUN echo final
"""
FILES = {"context": snapshot({"src/main.c": "x" * 120, "src/util.c": "u"}, dirs=["src"])}


def _record(
    graph: StepGraph, files: Mapping[str, DirSnapshot] = FILES, build_args: Mapping[str, str] | None = None
) -> BuildRecord:
    ran = frozenset(step.key for step in graph.steps)
    return BuildRecord(KEY, graph, ran, files, build_args or {}, started=1.0, finished=2.0)


def _explain(
    text: str,
    previous: BuildRecord | None,
    *,
    files: Mapping[str, DirSnapshot] = FILES,
    build_args: Mapping[str, str] | None = None,
    holds: frozenset[str] | None = None,
    **options: Any,
) -> tuple[StepGraph, dict[str, Cause], frozenset[str]]:
    """Compare `text` compiled now with `previous`: the causes of what the prediction runs."""
    args = build_args or {}
    graph = graph_of(text, build_args=args, session_id="now", **options)
    changes = compare(graph, previous, files, args, arg_names(parse_dockerfile(text)))
    run = predict(graph, changes, lambda step: holds is None or step.key in holds)
    return graph, attribute(graph, changes, run, no_cache=bool(options.get("no_cache"))), run


def _by_label(graph: StepGraph, causes: Mapping[str, Cause]) -> dict[str, tuple[CauseKind, str]]:
    return {graph.by_digest()[d].label: (c.kind, c.text) for d, c in causes.items()}


def test_nothing_changed_nothing_runs() -> None:
    previous = _record(graph_of(DOCKERFILE))
    _, causes, run = _explain(DOCKERFILE, previous)
    assert run == frozenset() and causes == {}


def test_no_record_runs_every_step_but_the_base_images() -> None:
    graph, causes, run = _explain(DOCKERFILE, None)
    ran = {graph.by_digest()[d] for d in run}
    assert {step.kind for step in ran} == {Kind.FILE, Kind.EXEC}
    assert {c.kind for c in causes.values()} == {CauseKind.NO_RECORD}


def test_a_changed_file_names_the_path_and_its_dependents_follow() -> None:
    previous = _record(graph_of(DOCKERFILE))
    files = {"context": snapshot({"src/main.c": "y" * 131, "src/util.c": "u"}, dirs=["src"])}
    graph, causes, _ = _explain(DOCKERFILE, previous, files=files)
    assert _by_label(graph, causes) == {
        "build 2/3": (CauseKind.FILES, "src/main.c changed (size 120 -> 131)"),
        "build 3/3": (CauseKind.PARENT, "after [build 2/3]"),
        "stage-1 2/3": (CauseKind.PARENT, "after [build 3/3]"),
        "stage-1 3/3": (CauseKind.PARENT, "after [stage-1 2/3]"),
    }


def test_files_added_under_the_copy_source() -> None:
    previous = _record(graph_of(DOCKERFILE))
    files = {
        "context": snapshot({"src/main.c": "x" * 120, "src/util.c": "u", "src/n1": "1", "src/n2": "2"}, dirs=["src"])
    }
    graph, causes, _ = _explain(DOCKERFILE, previous, files=files)
    assert _by_label(graph, causes)["build 2/3"] == (CauseKind.FILES, "2 files added under src/")


def test_an_unread_file_changes_nothing() -> None:
    previous = _record(graph_of(DOCKERFILE))
    files = {"context": snapshot({"src/main.c": "x" * 120, "src/util.c": "u", "README": "new"}, dirs=["src"])}
    _, _, run = _explain(DOCKERFILE, previous, files=files)
    assert run == frozenset()


def test_a_base_image_that_moved() -> None:
    previous = _record(graph_of(DOCKERFILE))
    graph, causes, _ = _explain(DOCKERFILE, previous, digest=DIGEST_B)
    found = _by_label(graph, causes)
    old = step_named(previous.graph, "[build 1/3] FROM").image_digest
    assert found["build 1/3"] == (CauseKind.BASE_IMAGE, f"busybox:latest now {DIGEST_B} was {old}")
    assert found["build 2/3"] == (CauseKind.PARENT, "after [build 1/3]")
    # Both stages' FROM busybox are one op; the second stage's steps follow it too.
    assert found["stage-1 2/3"] == (CauseKind.PARENT, "after [build 1/3]")


def test_a_changed_build_arg() -> None:
    previous = _record(graph_of(DOCKERFILE, build_args={"VERSION": "1.2"}), build_args={"VERSION": "1.2"})
    graph, causes, _ = _explain(DOCKERFILE, previous, build_args={"VERSION": "1.3"})
    found = _by_label(graph, causes)
    assert found["build 3/3"] == (CauseKind.BUILD_ARG, "ARG VERSION=1.2 -> 1.3")
    assert "build 2/3" not in found  # the COPY before does not see the arg


def test_a_changed_env() -> None:
    previous = _record(graph_of(DOCKERFILE))
    graph, causes, _ = _explain(DOCKERFILE.replace("MODE=fast", "MODE=slow"), previous)
    found = _by_label(graph, causes)
    # The ENV line itself is no step; the first step that sees it names the value.
    assert found["stage-1 3/3"] == (CauseKind.ENV, "ENV MODE=fast -> slow")


def test_an_edited_instruction_gives_old_and_new_text() -> None:
    previous = _record(graph_of(DOCKERFILE))
    graph, causes, _ = _explain(DOCKERFILE.replace("echo final", "echo final2"), previous)
    assert _by_label(graph, causes) == {
        "stage-1 3/3": (CauseKind.INSTRUCTION, "instruction edited: 'RUN echo final' -> 'RUN echo final2'")
    }


def test_an_inserted_step_is_new_and_its_followers_run_after_it() -> None:
    previous = _record(graph_of(DOCKERFILE))
    edited = DOCKERFILE.replace("RUN echo final", "RUN echo inserted\nRUN echo final")
    graph, causes, _ = _explain(edited, previous)
    found = _by_label(graph, causes)
    assert found["stage-1 3/4"] == (CauseKind.NEW_STEP, "new step")
    assert found["stage-1 4/4"] == (CauseKind.PARENT, "after [stage-1 3/4]")


def test_no_cache_and_the_no_cache_filter() -> None:
    previous = _record(graph_of(DOCKERFILE))
    graph, causes, _ = _explain(DOCKERFILE, previous, no_cache=True)
    assert set(_by_label(graph, causes).values()) == {(CauseKind.NO_CACHE, "--no-cache")}
    graph, causes, _ = _explain(DOCKERFILE, previous, no_cache_stages=("build",))
    # The filtered stage ignores its cache; what depends on it has no key to find its own by.
    assert _by_label(graph, causes) == {
        "build 2/3": (CauseKind.NO_CACHE, "--no-cache-filter"),
        "build 3/3": (CauseKind.NO_CACHE, "--no-cache-filter"),
        "stage-1 2/3": (CauseKind.PARENT, "after [build 3/3]"),
        "stage-1 3/3": (CauseKind.PARENT, "after [stage-1 2/3]"),
    }


def test_a_cache_the_engine_no_longer_holds() -> None:
    previous_graph = graph_of(DOCKERFILE)
    previous = _record(previous_graph)
    gone = step_named(previous_graph, "[stage-1 3/3]").key
    held = frozenset(step.key for step in previous_graph.steps) - {gone}
    graph, causes, run = _explain(DOCKERFILE, previous, holds=held)
    # The engine runs every step above a gone one again; the first of them names the cause.
    assert _by_label(graph, causes) == {
        "build 2/3": (
            CauseKind.CACHE_GONE,
            "same step as last build, but the engine no longer holds its cache (pruned or evicted)",
        ),
        "build 3/3": (CauseKind.PARENT, "after [build 2/3]"),
        "stage-1 2/3": (CauseKind.PARENT, "after [build 3/3]"),
        "stage-1 3/3": (CauseKind.PARENT, "after [stage-1 2/3]"),
    }
    # A step below a cached one is not needed: the walk stops at the cached result.
    gone_early = step_named(previous_graph, "[build 3/3]").key
    _, causes, run = _explain(DOCKERFILE, previous, holds=frozenset(s.key for s in previous_graph.steps) - {gone_early})
    assert run == frozenset()


def test_most_specific_cause_first() -> None:
    # A file change and an arg change on the same COPY: the files are named.
    text = "FROM busybox\nARG V=1\nCOPY src/ /src/\nRUN echo $V\n"
    previous = _record(graph_of(text, build_args={"V": "1"}), build_args={"V": "1"})
    files = {"context": snapshot({"src/main.c": "z" * 120, "src/util.c": "u", "src/x": "x"}, dirs=["src"])}
    graph, causes, _ = _explain(text, previous, files=files, build_args={"V": "2"})
    found = _by_label(graph, causes)
    assert found["2/3"] == (CauseKind.FILES, "1 file changed, 1 file added under src/")
    assert found["3/3"] == (CauseKind.BUILD_ARG, "ARG V=1 -> 2")


def test_a_build_steps_cause_is_its_parent_when_the_parent_ran() -> None:
    graph = graph_of(DOCKERFILE)
    previous = _record(graph)
    changes: dict[str, Cause | None] = {step.digest: None for step in graph.steps}
    copy = step_named(graph, "[build 2/3]")
    run = step_named(graph, "[build 3/3]")
    # The engine ran both (a cache gone under the COPY): the RUN ran after it.
    causes = attribute(graph, changes, {copy.digest, run.digest})
    assert causes[run.digest] == Cause(CauseKind.PARENT, "after [build 2/3]", parent=copy.digest)
    assert causes[copy.digest].kind is CauseKind.CACHE_GONE
    assert previous.graph is graph


def test_a_predicted_copy_from_a_step_that_runs_may_still_be_found_by_content() -> None:
    previous = _record(graph_of(DOCKERFILE, build_args={"VERSION": "1.2"}))
    graph = graph_of(DOCKERFILE, build_args={"VERSION": "1.3"}, session_id="now")
    changes = compare(graph, previous, FILES, {"VERSION": "1.3"}, arg_names(parse_dockerfile(DOCKERFILE)))
    run = predict(graph, changes, lambda step: True)
    copy = step_named(graph, "[stage-1 2/3]")
    assert copy.copied_from and copy.digest in run
    # Only its copy source runs again: predicted, the engine may find it by content.
    predicted = attribute(graph, changes, run, predicted=True)[copy.digest]
    assert predicted.kind is CauseKind.PARENT
    assert predicted.text == "after [build 3/3]" + UNLESS_SAME_CONTENT
    # After the build, the engine said what it did: no hedge.
    assert attribute(graph, changes, run)[copy.digest].text == "after [build 3/3]"
    # The RUN after it runs on top of its result: that is no content lookup.
    final = attribute(graph, changes, run, predicted=True)[step_named(graph, "[stage-1 3/3]").digest]
    assert final.text == "after [stage-1 2/3]"


def test_a_copy_onto_a_step_that_runs_is_not_hedged() -> None:
    text = "FROM busybox AS build\nARG V=1\nRUN echo $V > /a\nFROM build\nCOPY --from=build /a /b\n"
    previous = _record(graph_of(text, build_args={"V": "1"}))
    graph = graph_of(text, build_args={"V": "2"}, session_id="now")
    changes = compare(graph, previous, FILES, {"V": "2"}, arg_names(parse_dockerfile(text)))
    run = predict(graph, changes, lambda step: True)
    # The COPY copies onto the RUN's result too (its stage is built on it): it runs.
    copy = next(step for step in graph.steps if step.instruction.startswith("COPY"))
    assert not copy.copied_from
    assert attribute(graph, changes, run, predicted=True)[copy.digest].text.startswith("after [")
    assert UNLESS_SAME_CONTENT not in attribute(graph, changes, run, predicted=True)[copy.digest].text


def test_the_walk_judges_the_unchanged_steps_it_reaches_whatever_the_answers() -> None:
    previous_graph = graph_of(DOCKERFILE)
    previous = _record(previous_graph)
    graph = graph_of(DOCKERFILE, session_id="now")
    unchanged = compare(graph, previous, FILES, {}, arg_names(parse_dockerfile(DOCKERFILE)))
    # Nothing changed: the result alone is asked about.
    assert [step.label for step in judged(graph, unchanged)] == ["stage-1 3/3"]
    edited = DOCKERFILE.replace("RUN echo final", "RUN echo final, edited")
    graph = graph_of(edited, session_id="now")
    changes = compare(graph, previous, FILES, {}, arg_names(parse_dockerfile(edited)))
    asked = [step.label for step in judged(graph, changes)]
    assert asked == ["stage-1 2/3"]  # the edited RUN runs; the COPY under it is asked about
    for answer in (True, False):
        seen: list[str] = []

        def holds(step: Step, seen: list[str] = seen, answer: bool = answer) -> bool:
            seen.append(step.label)
            return answer

        predict(graph, changes, holds)
        assert seen == asked
