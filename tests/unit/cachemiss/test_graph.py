"""Reading a compiled definition back as steps: names, instructions, lines, reads, stable keys."""

from __future__ import annotations

from buildwright.cachemiss.graph import ContextRead, Kind
from tests.unit.cachemiss.helpers import DIGEST_A, DIGEST_B, graph_of, step_named

DOCKERFILE = """\
FROM busybox AS build
ARG VERSION=1.2
COPY src/ /src/
COPY a.txt b*.c /in/
RUN --mount=type=bind,source=conf,target=/conf echo $VERSION
FROM busybox
COPY --from=build /src /x
RUN echo done
"""


def test_steps_carry_name_instruction_line_and_kind() -> None:
    graph = graph_of(DOCKERFILE)
    run = step_named(graph, "[build 4/4] RUN")
    assert run.kind == Kind.EXEC
    assert run.instruction == "RUN --mount=type=bind,source=conf,target=/conf echo $VERSION"
    assert run.line == 5
    assert "VERSION=1.2" in run.env
    assert run.label == "build 4/4" and run.slot == "build 4"
    base = step_named(graph, "[build 1/4] FROM")
    assert base.kind == Kind.IMAGE
    assert base.image == "docker.io/library/busybox:latest"
    assert base.image_digest == DIGEST_A
    assert graph.head is not None


def test_context_reads_of_copy_and_bind_mount() -> None:
    graph = graph_of(DOCKERFILE)
    assert step_named(graph, "[build 2/4] COPY src/").reads == (ContextRead("context", ("src",)),)
    assert step_named(graph, "[build 3/4] COPY a.txt").reads == (ContextRead("context", ("a.txt", "b*.c")),)
    assert step_named(graph, "[build 4/4] RUN").reads == (ContextRead("context", ("conf",)),)
    # A COPY from another stage reads no context.
    assert step_named(graph, "[stage-1 2/3] COPY --from=build").reads == ()
    assert graph.local_sources().keys() == {"context"}


def test_internal_and_context_steps_are_not_user_steps() -> None:
    graph = graph_of(DOCKERFILE)
    local = next(step for step in graph.steps if step.kind == Kind.LOCAL)
    assert not local.is_step
    assert local.local_name == "context"
    assert all(step.is_step for step in graph.steps if step.kind != Kind.LOCAL)


def test_keys_ignore_the_session_id() -> None:
    one = graph_of(DOCKERFILE, session_id="first")
    two = graph_of(DOCKERFILE, session_id="second")
    assert [s.digest for s in one.steps] != [s.digest for s in two.steps]  # the local source moved
    assert [s.key for s in one.steps] == [s.key for s in two.steps]


def test_keys_move_with_the_step_and_everything_below_it() -> None:
    before = graph_of(DOCKERFILE)
    after = graph_of(DOCKERFILE.replace("echo done", "echo done again"))
    keys_before = {s.name: s.key for s in before.steps}
    keys_after = {s.name: s.key for s in after.steps}
    assert keys_after["[stage-1 3/3] RUN echo done again"] not in keys_before.values()
    assert keys_after["[build 2/4] COPY src/ /src/"] == keys_before["[build 2/4] COPY src/ /src/"]
    moved = graph_of(DOCKERFILE, digest=DIGEST_B)
    assert {s.key for s in moved.steps if s.is_step}.isdisjoint({s.key for s in before.steps if s.is_step})


def test_no_cache_marks_every_step_and_the_filter_only_its_stage() -> None:
    everything = graph_of(DOCKERFILE, no_cache=True)
    # Sources are read again anyway; every step after them is marked.
    assert all(step.ignore_cache for step in everything.steps if step.kind in (Kind.EXEC, Kind.FILE))
    filtered = graph_of(DOCKERFILE, no_cache_stages=("build",))
    marked = {step.label for step in filtered.steps if step.ignore_cache}
    assert marked == {"build 2/4", "build 3/4", "build 4/4"}


def test_exec_steps_name_their_cache_record_after_the_command() -> None:
    graph = graph_of(DOCKERFILE)
    assert step_named(graph, "[stage-1 3/3] RUN").cache_description == "mount / from exec /bin/sh -c echo done"
    copy = step_named(graph, "[build 2/4] COPY")
    assert copy.cache_description == copy.name


def test_a_dockerignore_edit_moves_the_source_not_the_steps_reading_it() -> None:
    before = graph_of(DOCKERFILE)
    after = graph_of(DOCKERFILE, ignore_patterns=("*.tmp",))
    local_before = next(s for s in before.steps if s.kind == Kind.LOCAL)
    local_after = next(s for s in after.steps if s.kind == Kind.LOCAL)
    assert local_before.key != local_after.key
    assert step_named(before, "[build 2/4]").key == step_named(after, "[build 2/4]").key
