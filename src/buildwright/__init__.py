"""buildwright: a BuildKit-native image builder. Dockerfile -> one LLB graph -> a BuildKit engine."""

from __future__ import annotations

from buildwright.api import BuildResult, CheckResult, EngineOptions, build, check, compile, parse_build_args
from buildwright.errors import (
    BuildConfigError,
    BuildFailed,
    BuildwrightError,
    DockerfileError,
    EngineError,
    EngineUnavailableError,
    LLBError,
    OutputError,
)

__version__ = "0.1.0"

__all__ = [
    "BuildConfigError",
    "BuildFailed",
    "BuildResult",
    "BuildwrightError",
    "CheckResult",
    "DockerfileError",
    "EngineError",
    "EngineOptions",
    "EngineUnavailableError",
    "LLBError",
    "OutputError",
    "build",
    "check",
    "compile",
    "parse_build_args",
]
