"""Pipelines in Python: lazy `Container`/`Directory` values compiled to LLB without a Dockerfile,
and `Engine`, one engine connection shared by many (concurrent) builds."""

from buildwright.engine import BuildSpec, Engine, connect
from buildwright.pipeline.compiler import CompiledPipeline, LocalNames, PipelineCompiler
from buildwright.pipeline.container import Container, Directory, image, local, scratch
from buildwright.pipeline.run import build_container

__all__ = [
    "BuildSpec",
    "CompiledPipeline",
    "Container",
    "Directory",
    "Engine",
    "LocalNames",
    "PipelineCompiler",
    "build_container",
    "connect",
    "image",
    "local",
    "scratch",
]
