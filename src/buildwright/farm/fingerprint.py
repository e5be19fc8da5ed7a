"""A leg's fingerprint: the digests of its LLB vertices, compiled before placement.

buildwright compiles the Dockerfile itself, so the farm knows each leg's graph before choosing a
node. Compiled without a session id, the digests are the same in every session; source ops are
left out (every node has the base image and the context after its first build, so they say
nothing about where the expensive steps are cached).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from buildwright._pb import ops_pb2
from buildwright.api import session_free_compiler
from buildwright.client import BuildkitClient, GatewayContext
from buildwright.client.dockerconfig import DockerConfig
from buildwright.farm.requests import Leg, NamedBuild, build_platforms
from buildwright.frontend import CompiledBuild
from buildwright.llb.definition import Definition
from buildwright.llb.vertex import digest_of

# The `buildwright.build()` options that change the graph (the others change what is done with it).
_GRAPH_OPTIONS = (
    "dockerfile",
    "target",
    "build_args",
    "labels",
    "no_cache",
    "platform",
    "build_contexts",
    "no_cache_filter",
    "pull",
)


def vertices(definition: Definition) -> frozenset[str]:
    """The digests of the graph's steps other than sources (and the result pointer)."""
    found = set()
    for raw in definition.ops:
        op = ops_pb2.Op.FromString(raw)
        if op.WhichOneof("op") in ("source", None):
            continue
        found.add(digest_of(raw))
    return frozenset(found)


def compiler_of(build: NamedBuild) -> Callable[[GatewayContext], tuple[CompiledBuild, ...]]:
    """The build's compile function (its inputs read and checked now, before any engine is asked)."""
    options: Mapping[str, Any] = build.options
    return session_free_compiler(options["context"], **{k: options[k] for k in _GRAPH_OPTIONS if k in options})


def fingerprints(
    client: BuildkitClient, builds: Sequence[NamedBuild], env: Mapping[str, str] | None = None
) -> dict[Leg, frozenset[str]]:
    """Every leg's vertex digests, compiled in one gateway session on `client` (base images resolve there)."""
    compilers = [(build, compiler_of(build)) for build in builds]

    def compile_all(gateway: GatewayContext) -> dict[Leg, frozenset[str]]:
        out: dict[Leg, frozenset[str]] = {}
        for build, compile_in in compilers:
            platforms: Sequence[str | None] = build_platforms(build) or (None,)
            for platform, compiled in zip(platforms, compile_in(gateway), strict=True):
                out[Leg(build.name, platform)] = vertices(compiled.definition)
        return out

    return client.compile(compile_all, registry_auth=DockerConfig.load(env))
