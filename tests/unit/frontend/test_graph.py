"""The display stage graph: built, side-by-side and pruned stages, and the edges between them."""

from __future__ import annotations

import pytest

from buildwright.dockerfile import parse_dockerfile
from buildwright.errors import BuildConfigError, DockerfileError
from buildwright.frontend import FrontendOptions, NamedContext
from buildwright.frontend.graph import BuildGraph, EdgeKind, NodeKind, build_graph

DOCKERFILE = """\
ARG BASE=busybox:latest
FROM ${BASE} AS base
RUN echo base > /base

FROM busybox:latest AS tools
RUN echo tools > /tools

FROM base AS build
COPY --from=tools /tools /t
RUN --mount=type=bind,from=tools,target=/d cat /d/tools
RUN --mount=type=cache,target=/c --mount=type=secret,id=s true

FROM base AS test
COPY --from=build /t /t

FROM scratch AS final
COPY --from=build /base /base
COPY --from=busybox:latest /bin/busybox /bin/busybox
"""


def _graph(source: str = DOCKERFILE, **options: object) -> BuildGraph:
    return build_graph(parse_dockerfile(source), FrontendOptions(**options))  # type: ignore[arg-type]


def _names(graph: BuildGraph) -> dict[str, int]:
    return {node.name: node.index for node in graph.nodes}


def _edges(graph: BuildGraph) -> set[tuple[str, str, EdgeKind]]:
    names = {node.index: node.name for node in graph.nodes}
    return {(names[e.source], names[e.dest], e.kind) for e in graph.edges}


def test_edges_of_every_kind() -> None:
    graph = _graph()
    assert _edges(graph) == {
        ("base", "build", EdgeKind.FROM),
        ("tools", "build", EdgeKind.COPY),
        ("tools", "build", EdgeKind.MOUNT),
        ("base", "test", EdgeKind.FROM),
        ("build", "test", EdgeKind.COPY),
        ("build", "final", EdgeKind.COPY),
        ("busybox:latest", "final", EdgeKind.COPY),
    }


def test_levels_pruned_and_target() -> None:
    graph = _graph()
    levels = [[node.name for node in level] for level in graph.levels()]
    assert levels == [["base", "tools", "busybox:latest"], ["build"], ["final"]]
    assert [node.name for node in graph.pruned()] == ["test"]
    assert graph.node(graph.target).name == "final"


def test_stages_on_one_level_have_no_path_between_them() -> None:
    graph = _graph()
    reach: dict[int, set[int]] = {node.index: set() for node in graph.nodes}
    changed = True
    while changed:
        changed = False
        for edge in graph.edges:
            before = len(reach[edge.dest])
            reach[edge.dest] |= {edge.source} | reach[edge.source]
            changed = changed or len(reach[edge.dest]) != before
    for level in graph.levels():
        for a in level:
            for b in level:
                assert a.index not in reach[b.index]


def test_target_prunes_what_it_does_not_need() -> None:
    graph = _graph(target="build")
    assert {node.name for node in graph.nodes if node.built} == {"base", "tools", "build"}
    assert {node.name for node in graph.pruned()} == {"test", "final", "busybox:latest"}
    assert graph.node(graph.target).name == "build"


def test_nodes_carry_kind_base_and_line() -> None:
    graph = _graph()
    names = _names(graph)
    base = graph.node(names["base"])
    assert (base.kind, base.base, base.line) == (NodeKind.STAGE, "busybox:latest", 2)
    assert graph.node(names["build"]).base == ""  # it starts from a stage
    image = graph.node(names["busybox:latest"])
    assert (image.kind, image.line) == (NodeKind.IMAGE, None)


def test_mounts_without_from_add_no_stage() -> None:
    graph = _graph("FROM busybox\nRUN --mount=type=cache,target=/c --mount=type=secret,id=s true\n")
    assert [node.name for node in graph.nodes] == ["stage-0"]
    assert graph.edges == ()


def test_build_args_expand_from() -> None:
    graph = _graph(build_args={"BASE": "debian:bookworm"})
    assert graph.node(_names(graph)["base"]).base == "debian:bookworm"


def test_stage_index_and_onbuild_of_a_stage() -> None:
    source = (
        "FROM busybox AS a\nONBUILD COPY --from=b /x /x\nFROM busybox AS b\nFROM a AS c\n"
        "FROM busybox\nCOPY --from=0 /y /y\n"
    )
    graph = _graph(source, target="c")
    edges = _edges(graph)
    assert ("a", "c", EdgeKind.FROM) in edges
    assert ("b", "c", EdgeKind.COPY) in edges  # from the inherited ONBUILD trigger
    assert {node.name for node in graph.nodes if node.built} == {"a", "b", "c"}
    whole = _graph(source)
    assert ("a", "stage-3", EdgeKind.COPY) in _edges(whole)


def test_named_context_replaces_a_stage() -> None:
    source = "FROM busybox AS deps\nRUN true\nFROM busybox\nCOPY --from=deps /x /x\n"
    contexts = {"deps": NamedContext("deps", "docker-image://debian:bookworm")}
    graph = _graph(source, named_contexts=contexts)
    deps = graph.node(_names(graph)["deps"])
    assert (deps.kind, deps.base) == (NodeKind.CONTEXT, "docker-image://debian:bookworm")


def test_unknown_target_and_cycles_are_errors() -> None:
    with pytest.raises(BuildConfigError, match='target stage "nope" could not be found'):
        _graph(target="nope")
    with pytest.raises(DockerfileError, match="circular dependency"):
        _graph("FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n")
