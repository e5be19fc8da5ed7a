"""The parsed Dockerfile as one value, and `parse_dockerfile` that produces it."""

from __future__ import annotations

import dataclasses

from buildwright._values import valueclass
from buildwright.dockerfile import parser
from buildwright.dockerfile.directives import Directive, SyntaxDirective, detect_syntax
from buildwright.dockerfile.instruction_parser import parse_instruction
from buildwright.dockerfile.instructions import ArgInstruction, FromInstruction, Instruction
from buildwright.dockerfile.stages import NO_STAGE_MESSAGE
from buildwright.errors import DockerfileError
from buildwright.location import SourceRange


@valueclass
class Dockerfile:
    """A parsed Dockerfile.

    Attributes:
        filename: the name used in error locations.
        lines: the source lines (BOM removed), for error snippets.
        directives: the parser directives found at the top.
        escape: the effective escape character.
        syntax: the `# syntax` frontend reference (also found after a shebang, `//`, or JSON).
        nodes: the untyped parser nodes, one per instruction.
        instructions: the typed instructions, in file order.
        warnings: parser warnings (NoEmptyContinuation).
    """

    filename: str
    lines: tuple[str, ...]
    directives: tuple[Directive, ...]
    escape: str
    syntax: SyntaxDirective | None
    nodes: tuple[parser.Node, ...]
    instructions: tuple[Instruction, ...]
    warnings: tuple[parser.ParseWarning, ...]

    def directive(self, name: str) -> Directive | None:
        """The directive `name` (`syntax`, `escape`, `check`), if present."""
        for found in self.directives:
            if found.name == name:
                return found
        return None


def parse_dockerfile(source: bytes | str, filename: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile text into typed instructions; raises DockerfileError like the reference."""
    if len(source) == 0:
        raise DockerfileError("the Dockerfile cannot be empty")
    text = parser.decode_source(source)
    result = parser.parse(text, filename)
    instructions: list[Instruction] = []
    seen_from = False
    for node in result.nodes:
        instruction = parse_instruction(node, filename, result.lines)
        if isinstance(instruction, FromInstruction):
            seen_from = True
        elif not seen_from and not isinstance(instruction, ArgInstruction):
            raise DockerfileError(NO_STAGE_MESSAGE, instruction.location, result.lines)
        instructions.append(instruction)
    return Dockerfile(
        filename=filename,
        lines=result.lines,
        directives=result.directives,
        escape=result.escape,
        syntax=detect_syntax(text),
        nodes=result.nodes,
        instructions=tuple(instructions),
        warnings=result.warnings,
    )


def parse_onbuild_trigger(expression: str, location: SourceRange) -> Instruction:
    """Parse one ONBUILD trigger taken from a base image config, as the reference does.

    The trigger is parsed as a file of its own (default escape character) and must hold exactly
    one instruction, which may not be FROM. The result, and any error, is located at
    `location` (the FROM line of the stage that inherits the trigger).
    """
    try:
        result = parser.parse(expression, location.filename)
    except DockerfileError as exc:
        raise DockerfileError(exc.message, location) from exc
    if len(result.nodes) != 1:
        raise DockerfileError("onbuild trigger should be a single expression", location)
    node = dataclasses.replace(result.nodes[0], start_line=location.start_line, end_line=location.end_line)
    instruction = parse_instruction(node, location.filename, line_prefix=False)
    if isinstance(instruction, FromInstruction):
        # The reference's message names its Go type.
        raise DockerfileError("*instructions.Stage is not a command type", location)
    return instruction
