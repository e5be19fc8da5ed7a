"""Dockerfile -> one LLB graph + the image config, in the phases of the reference frontend.

1. split the Dockerfile into global ARGs and stages; expand each FROM with the global args;
2. build the stage graph (bases, COPY --from sources, implicit image stages), pick the target;
3. resolve the base images of the reachable stages in one batch (the engine does it concurrently);
4. dispatch the reachable stages in file order, each instruction returning a new stage value;
5. marshal the target's state; the image config is the target stage's.

Dispatch runs twice: the first pass learns which context paths the build reads, so the context
source can be limited to them (the reference fills the context in after dispatch instead).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from buildwright import llb
from buildwright.dockerfile import (
    AddInstruction,
    CopyInstruction,
    Dockerfile,
    RunInstruction,
    ShellLex,
    WorkdirInstruction,
    split_stages,
)
from buildwright.errors import DockerfileError, LLBError
from buildwright.frontend import paths
from buildwright.frontend.args import default_args, meta_args
from buildwright.frontend.dispatch import apply_base_config, dispatch_instruction, inherit_stage, start_stage
from buildwright.frontend.image import ImageConfig
from buildwright.frontend.options import CompiledBuild, FrontendOptions, StagePlan
from buildwright.frontend.resolver import ImageRequest, ImageResolver, ResolvedImage
from buildwright.frontend.stage_build import DispatchContext, StageBuild
from buildwright.frontend.stages import SCRATCH, StageGraph, StageNode, register_stages, select_target
from buildwright.llb.platform import Platform

# Instructions that are numbered steps in progress names (with a FROM of an image).
_STEP_INSTRUCTIONS = (AddInstruction, CopyInstruction, RunInstruction, WorkdirInstruction)


@dataclass(frozen=True, slots=True)
class _Base:
    """What a stage starts from: an image reference (None for scratch), its config and platform."""

    ref: str | None
    image: ImageConfig
    platform: Platform


def compile_dockerfile(dockerfile: Dockerfile, options: FrontendOptions, resolver: ImageResolver) -> CompiledBuild:
    """Compile `dockerfile` for `options.target`, resolving base images through `resolver`."""
    meta, definitions = split_stages(dockerfile.instructions, dockerfile.lines)
    lex = ShellLex(escape=dockerfile.escape)
    build_platform = options.build_platforms[0]
    target_platform = options.target_platform or build_platform
    target_name = options.target or definitions[-1].name or ""
    global_args = meta_args(
        default_args(build_platform, target_platform, options.build_args, target_name),
        meta,
        options.build_args,
        lex,
    )

    nodes = []
    for stage in definitions:
        from_ = stage.from_instruction
        env = dict(global_args)
        try:
            base_name = lex.process_word(from_.image, env)
        except DockerfileError as exc:
            raise DockerfileError(exc.message, from_.location, dockerfile.lines) from None
        if not base_name:
            raise DockerfileError(f"base name ({from_.image}) should not be blank", from_.location, dockerfile.lines)
        platform = None
        if from_.platform:
            expanded = lex.process_word(from_.platform, env)
            if not expanded:
                raise DockerfileError(
                    f"empty platform value from expression {from_.platform}", from_.location, dockerfile.lines
                )
            platform = Platform.parse(expanded)
        nodes.append(
            StageNode(
                index=stage.index,
                name=stage.name,
                base_name=base_name,
                platform=platform,
                from_instruction=from_,
                commands=tuple(stage.commands),
            )
        )
    graph = register_stages(nodes)
    target = select_target(graph, options.target)
    reachable = graph.reachable_from(target)

    bases = _resolve_bases(graph, reachable, options, target_platform, resolver)
    context = DispatchContext(
        dockerfile=dockerfile,
        lex=lex,
        global_args=global_args,
        build_args=options.build_args,
        target_platform=target_platform,
        llb_caps=options.llb_caps,
    )

    # First pass: learn which context paths are read, to narrow the context upload.
    probe = _dispatch_all(graph, reachable, bases, context, llb.scratch(), options)
    context_paths: set[str] = set()
    for build in probe.values():
        context_paths |= build.context_paths
    context_state = llb.local(
        options.context_name,
        session_id=options.session_id,
        exclude_patterns=options.ignore_patterns,
        shared_key_hint=options.context_name,
        follow_paths=_follow_paths(context_paths),
        custom_name="[internal] load build context",
    )
    builds = _dispatch_all(graph, reachable, bases, context, context_state, options)
    final = builds[target.index]

    image = final.image
    if options.labels:
        image = replace(image, config=image.config.with_labels(list(options.labels.items())))
    if options.target_platform is not None:
        image = _with_target_platform(image, options.target_platform)
    source = llb.SourceMap(dockerfile.filename, "".join(f"{line}\n" for line in dockerfile.lines).encode())
    definition = final.state.marshal(platform=target_platform, caps=options.llb_caps, source_maps=[source])
    names = graph.display_names
    plan = StagePlan(
        target=names[target.index] or target.name or "default",
        reachable=tuple(names[s.index] or s.base_name for s in reachable),
        pruned=tuple(names[s.index] or s.base_name for s in graph.stages if s not in reachable),
    )
    return CompiledBuild(definition=definition, image_config=image.to_json(), stages=plan)


def _dispatch_all(
    graph: StageGraph,
    reachable: Sequence[StageNode],
    bases: Mapping[int, _Base],
    context: DispatchContext,
    context_state: llb.State,
    options: FrontendOptions,
) -> dict[int, StageBuild]:
    builds: dict[int, StageBuild] = {}
    no_cache_stages = {name.lower() for name in options.no_cache_stages}
    # Images named only by COPY --from depend on nothing: start them first.
    ordered = sorted(reachable, key=lambda node: not node.implicit)
    for node in ordered:
        display = graph.display_names[node.index]
        ignore_cache = options.no_cache or (bool(node.name) and node.name in no_cache_stages)
        if node.implicit:
            base = bases[node.index]
            builds[node.index] = start_stage(node, "", base.ref, base.image, base.platform, 0, False, context)
            continue
        cmd_total = _count_steps(node, bases)
        if node.base is not None:
            build = inherit_stage(builds[node.base], node, display, cmd_total, ignore_cache)
        else:
            base = bases[node.index]
            build = start_stage(node, display, base.ref, base.image, base.platform, cmd_total, ignore_cache, context)
        build = apply_base_config(build)
        for command, sources in zip(node.commands, node.sources, strict=True):
            source_builds = []
            for index in sources:
                if index not in builds or (not graph.stages[index].implicit and index >= node.index):
                    source_name = graph.stages[index].name or str(index)
                    raise DockerfileError(
                        f'cannot copy from stage "{source_name}", it needs to be defined before current stage '
                        f'"{display or node.name}"',
                        command.location,
                        context.dockerfile.lines,
                    )
                source_builds.append(builds[index])
            build = dispatch_instruction(build, command, tuple(source_builds), context_state, context)
        builds[node.index] = build
    return builds


def _count_steps(node: StageNode, bases: Mapping[int, _Base]) -> int:
    total = 1 if node.base is None and bases[node.index].ref is not None else 0
    return total + sum(isinstance(command, _STEP_INSTRUCTIONS) for command in node.commands)


def _follow_paths(context_paths: set[str]) -> tuple[str, ...]:
    if not context_paths or "/" in context_paths:
        return ()
    return tuple(sorted(paths.join(".", p) for p in context_paths))


def _resolve_bases(
    graph: StageGraph,
    reachable: Sequence[StageNode],
    options: FrontendOptions,
    target_platform: Platform,
    resolver: ImageResolver,
) -> dict[int, _Base]:
    bases: dict[int, _Base] = {}
    requests: list[tuple[int, ImageRequest]] = []
    for node in reachable:
        if node.base is not None:
            continue
        platform = node.platform or target_platform
        if node.base_name == SCRATCH:
            bases[node.index] = _Base(None, ImageConfig.empty(platform), platform)
            continue
        try:
            ref = llb.normalize_image_ref(node.base_name)
        except LLBError as exc:
            location = node.from_instruction.location if node.from_instruction else None
            raise DockerfileError(f'failed to parse stage name "{node.base_name}": {exc}', location) from None
        requests.append((node.index, ImageRequest(ref, platform, options.image_resolve_mode)))
    if not requests:
        return bases
    unique = list(dict.fromkeys(request for _, request in requests))
    answers: dict[ImageRequest, ResolvedImage] = dict(zip(unique, resolver.resolve_image_configs(unique), strict=True))
    for index, request in requests:
        answer = answers[request]
        image = ImageConfig.from_json(answer.config)
        ref = llb.normalize_image_ref(answer.ref or request.ref)
        if answer.digest and "@" not in ref:
            ref = f"{ref}@{answer.digest}"
        platform = request.platform or target_platform
        # An image with no layers at all (only empty history) is scratch, as the reference treats it.
        is_scratch = not image.diff_ids and all(h.empty_layer for h in image.history)
        bases[index] = _Base(None if is_scratch else ref, image, platform)
    return bases


def _with_target_platform(image: ImageConfig, platform: Platform) -> ImageConfig:
    # An explicit --platform decides the result's platform, whatever the last base image was.
    same_os_arch = image.os == platform.os and image.architecture == platform.architecture
    image = replace(image, os=platform.os, architecture=platform.architecture)
    if platform.variant or not same_os_arch:
        image = replace(image, variant=platform.variant)
    if platform.os_version or not same_os_arch:
        image = replace(image, os_version=platform.os_version)
    return image
