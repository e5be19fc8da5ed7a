"""A leg's fingerprint: the digests of its LLB vertices, compiled before placement.

buildwright compiles the Dockerfile itself, so the farm knows each leg's graph before choosing a
node. Compiled with a fixed session id, the digests are the same in every session; source ops are
left out (every node has the base image and the context after its first build, so they say
nothing about where the expensive steps are cached).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from buildwright._pb import ops_pb2
from buildwright.client import BuildkitClient, GatewayContext
from buildwright.client.dockerconfig import DockerConfig
from buildwright.farm.requests import Leg, NamedBuild, build_platforms
from buildwright.frontend import CompiledBuild, compile_dockerfile
from buildwright.frontend.lint import CachingResolver
from buildwright.frontend.platforms import compile_platforms
from buildwright.inputs import read_inputs
from buildwright.llb.definition import Definition
from buildwright.llb.vertex import digest_of
from buildwright.options import split_keywords

# The session id of graphs compiled only to be compared, never solved: fixed, so a leg's digests
# are the same in every session and on every node.
_FINGERPRINT_SESSION = "buildwright-fingerprint"
Compiler = Callable[[GatewayContext], tuple[CompiledBuild, ...]]


def vertices(definition: Definition) -> frozenset[str]:
    """The digests of the graph's steps other than sources (and the result pointer)."""
    found = set()
    for raw in definition.ops:
        op = ops_pb2.Op.FromString(raw)
        if op.WhichOneof("op") in ("source", None):
            continue
        found.add(digest_of(raw))
    return frozenset(found)


def compiler_of(build: NamedBuild) -> Compiler:
    """What a build of `build` would compile (one graph per platform), as a function of a gateway
    session; its inputs are read and checked now, before any engine is asked."""
    keywords = {k: v for k, v in build.options.items() if k != "context"}
    options, _ = split_keywords(keywords)
    inputs = read_inputs(build.options["context"], options)

    def compile_in(gateway: GatewayContext) -> tuple[CompiledBuild, ...]:
        here = inputs.fetched(gateway)  # a remote context is fetched first, as a build does
        frontend = replace(here.frontend_options(gateway), session_id=_FINGERPRINT_SESSION)
        resolver = CachingResolver(gateway.resolver)
        if here.multi_platform:
            built = compile_platforms(here.dockerfile, frontend, here.platforms, resolver)
            return tuple(part.compiled for part in built.builds)
        return (compile_dockerfile(here.dockerfile, frontend, resolver),)

    return compile_in


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
