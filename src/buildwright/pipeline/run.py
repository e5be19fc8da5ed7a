"""Run a pipeline `Container` on the engine: the session shares its client directories, the
gateway compiles it, and the image is exported to the engine's store."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import BinaryIO

from buildwright.client import BuildRequest, GatewayContext, node_id, shared_key_for
from buildwright.client.dockerconfig import DockerConfig
from buildwright.client.outputs import OutputSpec, parse_output, plan_exports
from buildwright.engine import Engine, EventCallback, engine_for
from buildwright.options import EngineOptions
from buildwright.pipeline.compiler import CompiledPipeline, LocalNames, PipelineCompiler
from buildwright.pipeline.container import Container
from buildwright.results import BuildResult


def build_container(
    container: Container,
    *,
    tags: Sequence[str] = (),
    outputs: Sequence[str | OutputSpec] = (),
    push: bool = False,
    output_stream: BinaryIO | None = None,
    engine: EngineOptions | Engine | None = None,
    no_cache: bool = False,
    on_event: EventCallback | None = None,
) -> BuildResult:
    """Build `container` as an image (stored under `tags`); see `Container.build`."""
    if isinstance(tags, str):
        tags = [tags]
    locals_ = LocalNames.collect(container)
    first = next(iter(locals_.dirs.values()), None)
    with engine_for(engine) as opened:
        env = opened.options.env
        exports = plan_exports(
            tuple(parse_output(o) if isinstance(o, str) else o for o in outputs), tags=list(tags), push=push
        )
        request = BuildRequest(
            local_dirs=dict(locals_.dirs),
            exports=exports,
            output_stream=output_stream,
            shared_key=shared_key_for(first, node_id(env)) if first is not None else "",
            # Base images in private registries, and pushes, use the docker config's credentials.
            registry_auth=DockerConfig.load(env),
        )

        def compile_for(gateway: GatewayContext) -> CompiledPipeline:
            return PipelineCompiler(gateway, locals_, no_cache=no_cache).compile(container)

        started = time.monotonic()
        result = opened.run(request, compile_for, on_event)
    return BuildResult(
        image_id=result.image_digest,
        metadata=dict(result.exporter_response),
        steps=result.steps,
        duration=time.monotonic() - started,
    )
