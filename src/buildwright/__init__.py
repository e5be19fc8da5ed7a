"""buildwright: a BuildKit-native image builder. Dockerfile -> one LLB graph -> a BuildKit engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildwright._lazy import lazy_exports
from buildwright.errors import (
    BuildCancelled,
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

if TYPE_CHECKING:
    from buildwright.aio import AsyncBuild, AsyncEngine, aconnect
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
    from buildwright.bakerun import bake
    from buildwright.engine import BuildSpec, Engine, connect
    from buildwright.explain_build import Cause, CauseKind, Explanation, StepExplanation, explain
    from buildwright.options import BuildOptions, OutputOptions
    from buildwright.pipeline import Container, Directory, image, local, scratch

# Imported on first use: see buildwright/_lazy.py.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "buildwright.aio": ("AsyncBuild", "AsyncEngine", "aconnect"),
        "buildwright.api": (
            "BuildResult",
            "CheckResult",
            "EngineOptions",
            "StepResult",
            "build",
            "check",
            "compile",
            "parse_build_args",
        ),
        "buildwright.bakerun": ("bake",),
        "buildwright.explain_build": ("Cause", "CauseKind", "Explanation", "StepExplanation", "explain"),
        "buildwright.engine": ("BuildSpec", "Engine", "connect"),
        "buildwright.options": ("BuildOptions", "OutputOptions"),
        "buildwright.pipeline": ("Container", "Directory", "image", "local", "scratch"),
    },
)

__version__ = "0.1.0"

__all__ = [
    "AsyncBuild",
    "AsyncEngine",
    "BuildCancelled",
    "BuildConfigError",
    "BuildFailed",
    "BuildOptions",
    "BuildResult",
    "BuildSpec",
    "BuildwrightError",
    "Cause",
    "CauseKind",
    "CheckResult",
    "Container",
    "Directory",
    "DockerfileError",
    "Engine",
    "EngineError",
    "EngineLostError",
    "EngineOptions",
    "EngineUnavailableError",
    "Explanation",
    "LLBError",
    "OutputError",
    "OutputOptions",
    "StepExplanation",
    "StepResult",
    "UsageError",
    "aconnect",
    "bake",
    "build",
    "check",
    "compile",
    "connect",
    "explain",
    "image",
    "local",
    "parse_build_args",
    "scratch",
]
