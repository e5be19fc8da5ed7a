"""Splitting a parsed Dockerfile into global ARGs and build stages."""

from __future__ import annotations

from collections.abc import Sequence

from buildwright._values import valueclass
from buildwright.dockerfile.instructions import ArgInstruction, FromInstruction, Instruction
from buildwright.errors import DockerfileError

NO_STAGE_MESSAGE = "no build stage in current context"
NO_STAGES_MESSAGE = "dockerfile contains no stages to build"


@valueclass
class StageDefinition:
    """One stage: its 0-based `index`, lower-cased `name` ("" if unnamed), FROM and commands."""

    index: int
    name: str
    from_instruction: FromInstruction
    commands: tuple[Instruction, ...]

    @property
    def display_name(self) -> str:
        """The name used in progress output: the stage name, or `stage-<index>`."""
        return self.name or f"stage-{self.index}"


def split_stages(
    instructions: Sequence[Instruction], source_lines: Sequence[str] = ()
) -> tuple[tuple[ArgInstruction, ...], tuple[StageDefinition, ...]]:
    """Return the ARGs before the first FROM and the stages, in file order.

    Raises DockerfileError for an instruction other than ARG before the first FROM, and when
    there is no FROM at all.
    """
    meta_args: list[ArgInstruction] = []
    stages: list[tuple[FromInstruction, list[Instruction]]] = []
    for instruction in instructions:
        if isinstance(instruction, FromInstruction):
            stages.append((instruction, []))
        elif not stages:
            if isinstance(instruction, ArgInstruction):
                meta_args.append(instruction)
            else:
                raise DockerfileError(NO_STAGE_MESSAGE, instruction.location, source_lines)
        else:
            stages[-1][1].append(instruction)
    if not stages:
        raise DockerfileError(NO_STAGES_MESSAGE, None, source_lines)
    return tuple(meta_args), tuple(
        StageDefinition(index, from_.stage_name, from_, tuple(commands))
        for index, (from_, commands) in enumerate(stages)
    )
