"""The stage graph of a Dockerfile as something to look at: stages, edges, levels, pruning.

Built from the converter's own phases (`plan_stages`: global-ARG expansion, stage registration,
target selection, reachability), so it shows exactly the stages a build would send. No engine
is needed: base images are shown by name, unresolved, and ONBUILD triggers of base images are
unknown here (those of stages of the same Dockerfile are applied).

Levels group the stages the target needs by the longest chain of stages below them: stages on one
level have no path between them, so the engine may build them side by side.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from buildwright._values import valueclass
from buildwright.dockerfile import (
    CopyInstruction,
    Dockerfile,
    OnbuildInstruction,
    RunInstruction,
    parse_onbuild_trigger,
)
from buildwright.errors import DockerfileError
from buildwright.frontend.convert import plan_stages
from buildwright.frontend.options import FrontendOptions
from buildwright.frontend.stages import StageGraph, StageNode, with_triggers


class NodeKind(enum.Enum):
    STAGE = "stage"  # a FROM of the Dockerfile
    IMAGE = "image"  # an image read only by COPY --from / RUN --mount from=
    CONTEXT = "context"  # a stage replaced by a named build context


class EdgeKind(enum.Enum):
    FROM = "from"  # FROM <stage>
    COPY = "copy"  # COPY --from=<stage>
    MOUNT = "mount"  # RUN --mount=...,from=<stage>


@valueclass
class GraphNode:
    """One stage. `base` is the image a stage starts from ("" when it starts from a stage)."""

    index: int
    name: str
    kind: NodeKind
    base: str
    line: int | None
    built: bool
    level: int
    platform: str = ""


@valueclass
class GraphEdge:
    """`source` is read by `dest` (both node indices) at Dockerfile `line`."""

    source: int
    dest: int
    kind: EdgeKind
    line: int | None


@valueclass
class BuildGraph:
    """The stages of one Dockerfile for one target, with what reads what."""

    filename: str
    target: int
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]

    def node(self, index: int) -> GraphNode:
        for node in self.nodes:
            if node.index == index:
                return node
        raise KeyError(index)

    def levels(self) -> tuple[tuple[GraphNode, ...], ...]:
        """The built stages by level, lowest first; each level in file order."""
        built = [node for node in self.nodes if node.built]
        depth = max((node.level for node in built), default=-1)
        return tuple(tuple(node for node in built if node.level == level) for level in range(depth + 1))

    def pruned(self) -> tuple[GraphNode, ...]:
        """Stages the target does not need: never sent to the engine."""
        return tuple(node for node in self.nodes if not node.built)

    def inputs(self, index: int) -> tuple[GraphEdge, ...]:
        return tuple(edge for edge in self.edges if edge.dest == index)


def build_graph(dockerfile: Dockerfile, options: FrontendOptions) -> BuildGraph:
    """The display graph of `dockerfile` for `options.target` (build args, named contexts apply)."""
    setup = plan_stages(dockerfile, options)
    graph = _with_stage_triggers(setup.graph, dockerfile)
    target = graph.stages[setup.target_index]
    reachable = {stage.index for stage in graph.reachable_from(target)}
    edges = _edges(graph)
    shown = _shown_stages(graph, edges, reachable)
    levels = _levels(shown, edges)
    nodes = tuple(
        GraphNode(
            index=stage.index,
            name=_name(graph, stage),
            kind=_kind(stage),
            base="" if stage.base is not None else _base_label(stage),
            line=stage.from_instruction.location.start_line if stage.from_instruction else None,
            built=stage.index in reachable,
            level=levels[stage.index],
            platform=str(stage.platform) if stage.platform else "",
        )
        for stage in graph.stages
        if stage.index in shown
    )
    return BuildGraph(
        filename=dockerfile.filename,
        target=setup.target_index,
        nodes=nodes,
        edges=tuple(edge for edge in edges if edge.source in shown and edge.dest in shown),
    )


def _with_stage_triggers(graph: StageGraph, dockerfile: Dockerfile) -> StageGraph:
    """Apply the ONBUILD triggers a stage inherits from another stage of this Dockerfile.

    Parents come before children in file order, so one pass in order sees every trigger.
    """
    for node in graph.stages:
        if node.base is None or node.from_instruction is None:
            continue
        parent = graph.stages[node.base]
        expressions = [c.expression for c in parent.commands if isinstance(c, OnbuildInstruction)]
        if not expressions:
            continue
        location = node.from_instruction.location
        try:
            triggers = [parse_onbuild_trigger(expression, location) for expression in expressions]
        except DockerfileError as exc:
            exc.attach(location, dockerfile.lines)
            raise
        graph, _ = with_triggers(graph, node.index, triggers)
    return graph


def _edges(graph: StageGraph) -> list[GraphEdge]:
    edges: list[GraphEdge] = []
    for stage in graph.stages:
        if stage.base is not None and stage.from_instruction is not None:
            edges.append(GraphEdge(stage.base, stage.index, EdgeKind.FROM, stage.from_instruction.location.start_line))
        for command, sources in zip(stage.commands, stage.sources, strict=True):
            line = command.location.start_line
            if isinstance(command, RunInstruction):
                # Mounts without `from=` read an implicit scratch (or the context): no stage edge.
                for mount, source in zip(command.mounts, sources, strict=False):
                    if mount.from_stage:
                        edges.append(GraphEdge(source, stage.index, EdgeKind.MOUNT, line))
            elif isinstance(command, CopyInstruction):
                edges.extend(GraphEdge(source, stage.index, EdgeKind.COPY, line) for source in sources)
    # One edge per (source, dest, kind), at its first line: copying twice from a stage is one arrow.
    unique: dict[tuple[int, int, EdgeKind], GraphEdge] = {}
    for edge in edges:
        unique.setdefault((edge.source, edge.dest, edge.kind), edge)
    return list(unique.values())


def _shown_stages(graph: StageGraph, edges: Sequence[GraphEdge], reachable: set[int]) -> set[int]:
    # Implicit stages only exist for what reads them; the scratch made for `from`-less mounts
    # reads nothing and is read by no edge, so it is left out.
    read = {edge.source for edge in edges}
    return {stage.index for stage in graph.stages if not stage.implicit or stage.index in read}


def _levels(shown: set[int], edges: Sequence[GraphEdge]) -> dict[int, int]:
    inputs: dict[int, list[int]] = {index: [] for index in shown}
    for edge in edges:
        if edge.source in shown and edge.dest in shown:
            inputs[edge.dest].append(edge.source)
    levels: dict[int, int] = {}
    # Depth first on an explicit stack: a chain of stages each reading the next can be thousands
    # long. Stage graphs are acyclic (register_stages rejects cycles), so this ends.
    for root in sorted(shown):
        pending = [root]
        while pending:
            index = pending[-1]
            if index in levels:
                pending.pop()
                continue
            unknown = [source for source in inputs[index] if source not in levels]
            if unknown:
                pending.extend(unknown)
                continue
            levels[index] = 1 + max((levels[source] for source in inputs[index]), default=-1)
            pending.pop()
    return levels


def _name(graph: StageGraph, stage: StageNode) -> str:
    if stage.implicit:
        return stage.base_name
    return stage.name or graph.display_names[stage.index] or f"stage-{stage.index}"


def _kind(stage: StageNode) -> NodeKind:
    if stage.context is not None:
        return NodeKind.CONTEXT
    return NodeKind.IMAGE if stage.implicit else NodeKind.STAGE


def _base_label(stage: StageNode) -> str:
    if stage.context is not None:
        return stage.context.value
    return stage.base_name
