"""The stage graph of a Dockerfile: names, dependencies, the target and what it reaches.

Phases here are pure functions over frozen values: stages are registered in file order (an
`FROM <name>` binds to an earlier stage of that name), commands are scanned for `COPY --from`
dependencies (creating implicit image stages), cycles are rejected and the target's reachable
set is computed. Nothing is resolved or converted here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from buildwright import _golang
from buildwright._frozen import replace
from buildwright._values import valueclass
from buildwright.dockerfile import CopyInstruction, FromInstruction, Instruction, RunInstruction
from buildwright.errors import BuildConfigError, DockerfileError
from buildwright.frontend.contexts import NamedContext
from buildwright.llb.platform import Platform

SCRATCH = "scratch"


@valueclass
class StageNode:
    """One stage: a FROM of the Dockerfile, or an image named only by `COPY --from`."""

    index: int
    name: str  # the lower-cased `AS` name, "" when unnamed
    base_name: str  # the FROM argument after global-ARG expansion
    platform: Platform | None
    from_instruction: FromInstruction | None  # None for implicit `COPY --from=<image>` stages
    commands: tuple[Instruction, ...]
    base: int | None = None  # index of the stage this one is FROM
    sources: tuple[tuple[int, ...], ...] = ()  # per command: stages it reads from
    onbuild_count: int = 0  # the first `onbuild_count` commands are ONBUILD triggers it inherited
    # A named build context replacing this whole stage (`FROM ... AS <name>`); it then has no commands.
    context: NamedContext | None = None

    @property
    def implicit(self) -> bool:
        return self.from_instruction is None

    @property
    def deps(self) -> frozenset[int]:
        return frozenset(index for per_command in self.sources for index in per_command)


@valueclass
class StageGraph:
    """All stages in file order (implicit image stages after them) and the display names."""

    stages: tuple[StageNode, ...]
    display_names: tuple[str, ...]

    def find(self, name: str) -> StageNode | None:
        """The LAST stage with this name (case-insensitive), as COPY --from and --target bind."""
        wanted = name.lower()
        found = None
        for stage in self.stages:
            if stage.name and stage.name == wanted:
                found = stage
        return found

    def reachable_from(self, target: StageNode) -> tuple[StageNode, ...]:
        """Stages the target needs, in file order (so each comes after what it needs)."""
        seen: set[int] = set()
        pending = [target.index]
        while pending:
            index = pending.pop()
            if index in seen:
                continue
            seen.add(index)
            stage = self.stages[index]
            if stage.base is not None:
                pending.append(stage.base)
            pending.extend(stage.deps)
        return tuple(stage for stage in self.stages if stage.index in seen)


def register_stages(stage_nodes: Sequence[StageNode]) -> StageGraph:
    """Build the graph: bases bound by name, COPY --from sources resolved, cycles rejected."""
    by_name: dict[str, int] = {}
    bound: list[StageNode] = []
    for node in stage_nodes:
        base = None if node.context is not None else by_name.get(node.base_name)
        bound.append(replace(node, base=base))
        if node.name:
            by_name[node.name] = node.index
    refs = _StageRefs(list(bound), by_name)

    resolved: list[StageNode] = []
    for node in bound:
        per_command: list[tuple[int, ...]] = []
        for command in node.commands:
            per_command.append(tuple(_command_sources(command, refs)))
        resolved.append(replace(node, sources=tuple(per_command)))
    all_stages = tuple(resolved) + tuple(refs.stages[len(resolved) :])
    display = _display_names(all_stages)
    _check_cycles(all_stages, display)
    return StageGraph(stages=all_stages, display_names=display)


def with_triggers(graph: StageGraph, index: int, triggers: Sequence[Instruction]) -> tuple[StageGraph, bool]:
    """The graph with ONBUILD `triggers` put before the commands of stage `index`.

    Triggers may read other stages (`COPY --from`, `RUN --mount from=`), naming stages of this
    Dockerfile or images, which become implicit stages; the flag says whether any trigger reads a
    stage, in which case what is reachable must be worked out again, as the reference does.
    """
    stages = list(graph.stages)
    named = {stage.name: stage.index for stage in stages if stage.name and not stage.implicit}
    refs = _StageRefs(stages, named, {stage.base_name: stage.index for stage in stages if stage.implicit})
    node = stages[index]
    sources = [tuple(_command_sources(command, refs)) for command in triggers]
    stages[index] = replace(
        node,
        commands=(*triggers, *node.commands),
        sources=(*sources, *node.sources),
        onbuild_count=node.onbuild_count + len(triggers),
    )
    # Stages added now are implicit image stages, which have no display name.
    display = graph.display_names + ("",) * (len(stages) - len(graph.stages))
    _check_cycles(stages, display)
    return StageGraph(stages=tuple(stages), display_names=display), any(sources)


class _StageRefs:
    """The stages a `--from` may name: those of the file (by name, the last of a name wins) and the
    implicit image stages made so far, which it adds to on first use."""

    def __init__(self, stages: list[StageNode], named: dict[str, int], implicit: dict[str, int] | None = None) -> None:
        self.stages = stages
        self.named = named
        self.implicit = implicit if implicit is not None else {}
        self.explicit = sum(1 for stage in stages if not stage.implicit)

    def find(self, ref: str) -> int:
        """The last stage named `ref`, else the implicit image stage for `ref` (created on first use)."""
        found = self.named.get(ref.lower())
        if found is not None:
            return found
        if ref not in self.implicit:
            self.implicit[ref] = len(self.stages)
            self.stages.append(
                StageNode(
                    index=len(self.stages),
                    name="",
                    base_name=ref,
                    platform=None,
                    from_instruction=None,
                    commands=(),
                )
            )
        return self.implicit[ref]


def _command_sources(command: Instruction, refs: _StageRefs) -> list[int]:
    if isinstance(command, RunInstruction):
        # One source per mount, in order; a mount without `from=` reads an implicit scratch stage
        # (the reference adds one too, so a single-stage Dockerfile then has `stage-0` names).
        return [refs.find(mount.from_stage or SCRATCH) for mount in command.mounts]
    if not isinstance(command, CopyInstruction) or not command.from_stage:
        return []
    ref = command.from_stage
    if "$" in ref:
        raise DockerfileError(
            "variable expansion is not supported for --from, define a new stage with FROM using ARG "
            "from global scope as a workaround",
            command.location,
        )
    if ref.isdigit():
        index = int(ref)
        if index >= refs.explicit:
            raise DockerfileError(f"invalid stage index {index}", command.location)
        return [index]
    return [refs.find(ref)]


def _check_cycles(stages: Sequence[StageNode], display_names: Sequence[str]) -> None:
    """Reject stages that read from themselves through COPY --from / RUN --mount from= chains.

    The error names the stage the search started from and points at the first instruction
    of the loop, as the reference does.
    """
    done: set[int] = set()
    for stage in stages:
        first = _first_step_of_loop(stage, stages, done)
        if first is not None:
            name = display_names[stage.index] or stage.name or str(stage.index)
            raise DockerfileError(f"circular dependency detected on stage: {name}", first.location)


def _first_step_of_loop(start: StageNode, stages: Sequence[StageNode], done: set[int]) -> Instruction | None:
    # Depth first from `start` on an explicit stack (a chain of stages reading the next one can
    # be thousands long); returns the instruction of `start` through which a loop was reached.
    if start.index in done:
        return None
    done.add(start.index)
    path = {start.index}
    frames: list[tuple[int, Iterator[tuple[Instruction, int]], Instruction | None]] = [
        (start.index, _reads(start), None)
    ]
    while frames:
        index, reads, first = frames[-1]
        step = next(reads, None)
        if step is None:
            frames.pop()
            path.discard(index)
            continue
        command, source = step
        through = command if first is None else first
        if source in path:
            return through
        if source in done:
            continue
        done.add(source)
        path.add(source)
        frames.append((source, _reads(stages[source]), through))
    return None


def _reads(stage: StageNode) -> Iterator[tuple[Instruction, int]]:
    for command, sources in zip(stage.commands, stage.sources, strict=False):
        for index in sources:
            yield command, index


def _display_names(stages: Sequence[StageNode]) -> tuple[str, ...]:
    # With exactly one stage (implicit ones included) progress names carry no stage prefix.
    if len(stages) == 1:
        return ("",)
    names = []
    for stage in stages:
        if stage.implicit:
            names.append("")
        else:
            names.append(stage.name or f"stage-{stage.index}")
    return tuple(names)


def select_target(graph: StageGraph, target: str | None) -> StageNode:
    """The stage to build: `--target` by name (case-insensitive), else the last stage of the file."""
    explicit = [stage for stage in graph.stages if not stage.implicit]
    if not target:
        return explicit[-1]
    found = graph.find(target)
    if found is None:
        names = [stage.name for stage in explicit if stage.name]
        message = f'target stage "{target}" could not be found'
        raise BuildConfigError(_golang.with_suggestion(message, target, names, case_sensitive=True))
    return found
