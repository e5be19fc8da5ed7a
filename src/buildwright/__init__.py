"""buildwright: a BuildKit-native image builder. Dockerfile -> one LLB graph -> a BuildKit engine."""

from __future__ import annotations

from buildwright.api import (
    BuildResult,
    CheckResult,
    EngineOptions,
    StepResult,
    build,
    check,
    compile,
    parse_build_args,
)
from buildwright.errors import (
    BuildConfigError,
    BuildFailed,
    BuildwrightError,
    DockerfileError,
    EngineError,
    EngineLostError,
    EngineUnavailableError,
    LLBError,
    OutputError,
    UsageError,
)
from buildwright.pipeline import BuildSpec, Container, Directory, Engine, connect, image, local, scratch

__version__ = "0.1.0"

__all__ = [
    "BuildConfigError",
    "BuildFailed",
    "BuildResult",
    "BuildSpec",
    "BuildwrightError",
    "CheckResult",
    "Container",
    "Directory",
    "DockerfileError",
    "Engine",
    "EngineError",
    "EngineLostError",
    "EngineOptions",
    "EngineUnavailableError",
    "LLBError",
    "OutputError",
    "StepResult",
    "UsageError",
    "build",
    "check",
    "compile",
    "connect",
    "image",
    "local",
    "parse_build_args",
    "scratch",
]
