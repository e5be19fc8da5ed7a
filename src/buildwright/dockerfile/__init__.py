"""The Dockerfile layer: parsing, typed instructions, variable expansion and `.dockerignore`.

Pure Python, no engine: behaviour follows the reference BuildKit Dockerfile frontend
(`frontend/dockerfile/parser`, `instructions`, `shell`) and moby/patternmatcher.
"""

from __future__ import annotations

from buildwright.dockerfile.directives import Directive, SyntaxDirective, detect_directive, detect_syntax
from buildwright.dockerfile.document import Dockerfile, parse_dockerfile, parse_onbuild_trigger
from buildwright.dockerfile.expansion import EnvExpander, Expander
from buildwright.dockerfile.heredocs import Heredoc
from buildwright.dockerfile.ignore import MatchInfo, Pattern, PatternMatcher, read_ignore_patterns
from buildwright.dockerfile.instructions import (
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    Device,
    EntrypointInstruction,
    EnvInstruction,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    HeredocSource,
    Instruction,
    KeyValue,
    KeyValueOptional,
    LabelInstruction,
    MaintainerInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    StopSignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)
from buildwright.dockerfile.lexer import ShellLex, WordResult
from buildwright.dockerfile.mounts import MountSpec, parse_mount
from buildwright.dockerfile.parser import Node, ParseWarning
from buildwright.dockerfile.stages import StageDefinition, split_stages

__all__ = [
    "AddInstruction",
    "ArgInstruction",
    "CmdInstruction",
    "CopyInstruction",
    "Device",
    "Directive",
    "Dockerfile",
    "EntrypointInstruction",
    "EnvExpander",
    "EnvInstruction",
    "Expander",
    "ExposeInstruction",
    "FromInstruction",
    "HealthcheckInstruction",
    "Heredoc",
    "HeredocSource",
    "Instruction",
    "KeyValue",
    "KeyValueOptional",
    "LabelInstruction",
    "MaintainerInstruction",
    "MatchInfo",
    "MountSpec",
    "Node",
    "OnbuildInstruction",
    "ParseWarning",
    "Pattern",
    "PatternMatcher",
    "RunInstruction",
    "ShellInstruction",
    "ShellLex",
    "StageDefinition",
    "StopSignalInstruction",
    "SyntaxDirective",
    "UserInstruction",
    "VolumeInstruction",
    "WordResult",
    "WorkdirInstruction",
    "detect_directive",
    "detect_syntax",
    "parse_dockerfile",
    "parse_mount",
    "parse_onbuild_trigger",
    "read_ignore_patterns",
    "split_stages",
]
