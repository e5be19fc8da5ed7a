"""The Dockerfile frontend: a parsed Dockerfile in, one LLB graph and an image config out."""

from __future__ import annotations

from buildwright.frontend.contexts import NamedContext
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.options import CompiledBuild, FrontendOptions, StagePlan
from buildwright.frontend.resolver import ImageRequest, ImageResolver, ResolvedImage

__all__ = [
    "CompiledBuild",
    "FrontendOptions",
    "ImageRequest",
    "ImageResolver",
    "NamedContext",
    "ResolvedImage",
    "StagePlan",
    "compile_dockerfile",
]
