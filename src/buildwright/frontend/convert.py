"""Dockerfile -> one LLB graph + the image config, in the phases of the reference frontend.

1. split the Dockerfile into global ARGs and stages; expand each FROM with the global args;
2. build the stage graph (bases, COPY --from sources, implicit image stages), pick the target;
3. resolve the base images of the reachable stages in one batch (the engine does it concurrently);
4. dispatch the reachable stages in file order, each instruction returning a new stage value;
5. marshal the target's state; the image config is the target stage's.

Dispatch runs once: the build context (and each local named context) enters the graph as a late
state, bound to its source op after dispatch, when the paths the build reads from it are known
and the upload can be limited to them (the reference fills a mutable output in the same way).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from buildwright import llb
from buildwright._frozen import replace
from buildwright._values import valueclass
from buildwright.dockerfile import (
    AddInstruction,
    CopyInstruction,
    Dockerfile,
    Instruction,
    OnbuildInstruction,
    RunInstruction,
    ShellLex,
    WorkdirInstruction,
    parse_onbuild_trigger,
    split_stages,
)
from buildwright.errors import DockerfileError, LLBError
from buildwright.frontend import paths
from buildwright.frontend.args import default_args, meta_args, proxy_env, source_date_epoch
from buildwright.frontend.contexts import LayoutImage, NamedContext, find_context, remote_state
from buildwright.frontend.dispatch import (
    apply_base_config,
    dispatch_instruction,
    expand_instruction,
    inherit_stage,
    start_stage,
)
from buildwright.frontend.image import ImageConfig
from buildwright.frontend.options import CompiledBuild, FrontendOptions, StagePlan
from buildwright.frontend.platform_names import platform_id
from buildwright.frontend.resolver import ImageRequest, ImageResolveError, ImageResolver, ResolvedImage
from buildwright.frontend.runmount import mount_order_error
from buildwright.frontend.stage_build import DispatchContext, DispatchRules, StageBuild
from buildwright.frontend.stages import (
    SCRATCH,
    StageGraph,
    StageNode,
    register_stages,
    select_target,
    with_triggers,
)
from buildwright.frontend.syntax import check_syntax
from buildwright.llb.platform import Platform
from buildwright.location import SourceRange

# Instructions that are numbered steps in progress names (with a FROM of an image).
_STEP_INSTRUCTIONS = (AddInstruction, CopyInstruction, RunInstruction, WorkdirInstruction)
# RUN mounts that read no stage (secrets and SSH agents come from the session).
_NO_SOURCE_MOUNTS = frozenset({"secret", "ssh"})
_CACHE_MOUNT = "cache"


@valueclass
class _Base:
    """What a stage starts from: an image reference (None for scratch), its config and platform."""

    ref: str | None
    image: ImageConfig
    platform: Platform
    from_step: int = 1  # the step number the reference gives the FROM (see start_stage)
    # A named build context standing for the base: an image state, or a local directory whose
    # source is made at dispatch (it follows the paths read from it).
    state: llb.State | None = None
    local: NamedContext | None = None
    base_config: bytes | None = None  # the resolved image's config, creation time kept


@valueclass
class StageSetup:
    """Phases 1-2: the stage graph with FROMs expanded by the global args, and the target."""

    lex: ShellLex
    global_args: Mapping[str, str]
    target_platform: Platform
    graph: StageGraph
    target_index: int


@contextmanager
def errors_located_in(dockerfile: Dockerfile) -> Iterator[None]:
    """The frontend's error boundary: a Dockerfile error leaving it carries the file's lines.

    The error itself is completed, never rebuilt, so its class and cause stay for `--debug`.
    """
    try:
        yield
    except DockerfileError as exc:
        exc.attach(source_lines=dockerfile.lines, filename=dockerfile.filename)
        raise


def plan_stages(dockerfile: Dockerfile, options: FrontendOptions) -> StageSetup:
    """The stage graph and target of `dockerfile` for `options`; needs no engine (also for `graph`)."""
    with errors_located_in(dockerfile):
        return _plan_stages(dockerfile, options)


def _plan_stages(dockerfile: Dockerfile, options: FrontendOptions) -> StageSetup:
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
            exc.attach(from_.location, dockerfile.lines)
            raise
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
        # A named context with the stage's name replaces the whole stage.
        replaced = find_context(options.named_contexts, stage.name) if stage.name else None
        nodes.append(
            StageNode(
                index=stage.index,
                name=stage.name,
                base_name=base_name,
                platform=platform,
                from_instruction=from_,
                commands=() if replaced else tuple(stage.commands),
                context=replaced,
            )
        )
    graph = register_stages(nodes)
    target_index = select_target(graph, options.target).index
    return StageSetup(lex, global_args, target_platform, graph, target_index)


def compile_dockerfile(
    dockerfile: Dockerfile, options: FrontendOptions, resolver: ImageResolver, *, rules: DispatchRules | None = None
) -> CompiledBuild:
    """Compile `dockerfile` for `options.target`, resolving base images through `resolver`.

    `rules` are the build checks to run on the instructions as they are dispatched.
    """
    with errors_located_in(dockerfile):
        return _compile_dockerfile(dockerfile, options, resolver, rules)


@valueclass
class Dispatched:
    """Phases 1-4 done: every reachable stage dispatched (the late context states still unbound)."""

    setup: StageSetup
    graph: StageGraph
    target: StageNode
    reachable: tuple[StageNode, ...]
    builds: Mapping[int, StageBuild]


def dispatch_dockerfile(dockerfile: Dockerfile, options: FrontendOptions, resolver: ImageResolver) -> Dispatched:
    """The stages `compile_dockerfile` would marshal, for reports on them (`--call=outline`)."""
    with errors_located_in(dockerfile):
        check_syntax(dockerfile, options.build_args)
        setup = plan_stages(dockerfile, options)
        graph, target, reachable, builds, *_ = _dispatch_stages(dockerfile, options, resolver, setup, None)
        return Dispatched(setup, graph, target, tuple(reachable), builds)


def _dispatch_stages(
    dockerfile: Dockerfile,
    options: FrontendOptions,
    resolver: ImageResolver,
    setup: StageSetup,
    rules: DispatchRules | None,
) -> tuple[
    StageGraph,
    StageNode,
    Sequence[StageNode],
    dict[int, StageBuild],
    dict[int, _Base],
    dict[int, set[str]],
    dict[int, tuple[NamedContext, llb.LateState]],
    llb.LateState,
]:
    lex, global_args, target_platform = setup.lex, setup.global_args, setup.target_platform
    graph, target_index = setup.graph, setup.target_index

    # ONBUILD triggers can make stages reachable (COPY --from in a trigger): resolve, add the
    # triggers, and go again until nothing new is reached, as the reference does.
    bases: dict[int, _Base] = {}
    initialized: set[int] = set()
    rounds: dict[int, int] = {}
    while True:
        for node in graph.stages:
            if not node.implicit and node.base is None and node.index not in bases and node.base_name != SCRATCH:
                rounds[node.index] = rounds.get(node.index, 0) + 1
        reachable = graph.reachable_from(graph.stages[target_index])
        pending = [node for node in reachable if node.index not in bases]
        resolved = _resolve_bases(graph, pending, options, target_platform, resolver)
        bases.update({i: replace(b, from_step=rounds.get(i, 1)) for i, b in resolved.items()})
        graph, new_deps = _init_onbuild_triggers(graph, reachable, bases, initialized, dockerfile)
        if not new_deps:
            break
    # Triggers replaced stage values in the graph: take the reachable stages from the final graph.
    target = graph.stages[target_index]
    reachable = graph.reachable_from(target)
    dispatched: Sequence[StageNode] = reachable
    if options.all_stages:
        # Every stage, as the reference's check without a target; only reachable ones ran triggers.
        others = [node for node in graph.stages if node.index not in bases]
        bases.update(_resolve_bases(graph, others, options, target_platform, resolver))
        dispatched = graph.stages
    context = DispatchContext(
        dockerfile=dockerfile,
        lex=lex,
        global_args=global_args,
        build_args=options.build_args,
        target_platform=target_platform,
        llb_caps=options.llb_caps,
        proxy_env=proxy_env(options.build_args),
        epoch=source_date_epoch(options.build_args),
        multi_platform=options.multi_platform,
        run_defaults=options.run_defaults.resolve(options.build_args, options.llb_caps),
        image_resolve_mode=options.image_resolve_mode,
        rules=rules,
    )

    # One pass: the context and each local named context are late states, bound once dispatch
    # has learned which of their paths the build reads (the upload is narrowed to those). The
    # paths read from a named local context are keyed by the stage at the root of the reading
    # stage's FROM chain, which shares them as the reference's stages do.
    read_paths: dict[int, set[str]] = {}
    main_context = llb.LateState()
    local_contexts: dict[int, tuple[NamedContext, llb.LateState]] = {}
    builds = _dispatch_all(graph, dispatched, bases, context, main_context.state, options, read_paths, local_contexts)
    return graph, target, reachable, builds, bases, read_paths, local_contexts, main_context


def _compile_dockerfile(
    dockerfile: Dockerfile, options: FrontendOptions, resolver: ImageResolver, rules: DispatchRules | None
) -> CompiledBuild:
    check_syntax(dockerfile, options.build_args)
    setup = plan_stages(dockerfile, options)
    graph, target, reachable, builds, bases, read_paths, local_contexts, main_context = _dispatch_stages(
        dockerfile, options, resolver, setup, rules
    )
    target_platform = setup.target_platform
    read_paths.setdefault(_chain_root(graph, target), set()).add("/")
    context_paths: set[str] = set()
    for build in builds.values():
        context_paths |= build.context_paths
    main_context.bind(
        options.context_state
        if options.context_state is not None
        else llb.local(
            options.context_name,
            session_id=options.session_id,
            exclude_patterns=options.ignore_patterns,
            shared_key_hint=options.context_name,
            follow_paths=_follow_paths(context_paths),
            custom_name="[internal] load build context",
        )
    )
    for index, (named, late) in local_contexts.items():
        late.bind(_local_context_state(named, read_paths.get(index, set()), options))
    final = builds[target.index]

    image = final.image
    if options.labels:
        image = replace(image, config=image.config.with_labels(list(options.labels.items())))
    if options.target_platform is not None:
        image = _with_target_platform(image, options.target_platform)
    # The source map carries the file's bytes as they are (a bytes field, so invalid UTF-8 is fine).
    text = "".join(f"{line}\n" for line in dockerfile.lines)
    source = llb.SourceMap(dockerfile.filename, text.encode("utf-8", "surrogateescape"))
    try:
        definition = final.state.marshal(platform=target_platform, caps=options.llb_caps, source_maps=[source])
    except LLBError as exc:
        # A string field the wire cannot carry (invalid UTF-8): name the instruction it came from.
        if exc.location is None:
            raise
        message = f"failed to marshal LLB definition: {exc.message}"
        raise DockerfileError(message, exc.location, dockerfile.lines) from exc
    names = graph.display_names
    # By index: comparing the stage values would compare their instructions, for every pair.
    reached = {s.index for s in reachable}
    plan = StagePlan(
        target=names[target.index] or target.name or "default",
        reachable=tuple(names[s.index] or s.base_name for s in reachable),
        pruned=tuple(names[s.index] or s.base_name for s in graph.stages if s.index not in reached),
    )
    root_base = bases.get(_chain_root(graph, target))
    return CompiledBuild(
        definition=definition,
        image_config=image.to_json(),
        stages=plan,
        base_image_config=root_base.base_config if root_base is not None else None,
    )


def _dispatch_all(
    graph: StageGraph,
    reachable: Sequence[StageNode],
    bases: Mapping[int, _Base],
    context: DispatchContext,
    context_state: llb.State,
    options: FrontendOptions,
    read_paths: dict[int, set[str]],
    local_contexts: dict[int, tuple[NamedContext, llb.LateState]],
) -> dict[int, StageBuild]:
    builds: dict[int, StageBuild] = {}
    no_cache_stages = {name.lower() for name in options.no_cache_stages}
    # Images named only by COPY --from depend on nothing: start them first.
    ordered = sorted(reachable, key=lambda node: not node.implicit)
    for node in ordered:
        display = graph.display_names[node.index]
        ignore_cache = options.no_cache or (bool(node.name) and node.name in no_cache_stages)
        if node.implicit or node.context is not None:
            # Images named only by COPY --from, and stages replaced by a named context, are not dispatched.
            base = bases[node.index]
            state = _base_state(base, node.index, local_contexts)
            builds[node.index] = start_stage(
                node, display, base.ref, base.image, base.platform, 0, False, context, base_state=state
            )
            continue
        cmd_total = _count_steps(node, bases)
        root = _chain_root(graph, node)
        if node.base is not None:
            build = inherit_stage(builds[node.base], node, display, cmd_total, ignore_cache)
        else:
            base = bases[node.index]
            build = start_stage(
                node,
                display,
                base.ref,
                base.image,
                base.platform,
                cmd_total,
                ignore_cache,
                context,
                from_step=base.from_step,
                from_total=cmd_total - node.onbuild_count,
                base_state=_base_state(base, node.index, local_contexts, platform=base.platform),
            )
        build = apply_base_config(build)
        if context.rules is not None:
            context.rules.stage(build)
        for position, (command, sources) in enumerate(zip(node.commands, node.sources, strict=True)):
            if build.onbuild_step != (position < node.onbuild_count):
                build = replace(build, onbuild_step=position < node.onbuild_count)
            # Expanded first, as the reference does: its errors come before a stage order error.
            command = expand_instruction(build, command, context)
            source_builds = []
            for index in sources:
                if index not in builds or (not graph.stages[index].implicit and index >= node.index):
                    source_name = graph.stages[index].name or str(index)
                    if isinstance(command, RunInstruction):
                        raise mount_order_error(command, source_name, context)
                    raise DockerfileError(
                        f'cannot copy from stage "{source_name}", it needs to be defined before current stage '
                        f'"{display or node.name}"',
                        command.location,
                        context.dockerfile.lines,
                    )
                source_builds.append(builds[index])
            build = dispatch_instruction(build, command, tuple(source_builds), context_state, context)
            _record_read_paths(read_paths, graph, root, command, sources)
        builds[node.index] = replace(build, onbuild_step=False) if build.onbuild_step else build
    return builds


def _chain_root(graph: StageGraph, node: StageNode) -> int:
    while node.base is not None:
        node = graph.stages[node.base]
    return node.index


def _base_state(
    base: _Base,
    index: int,
    local_contexts: dict[int, tuple[NamedContext, llb.LateState]],
    *,
    platform: Platform | None = None,
) -> llb.State | None:
    """The state of a named context base: its image, or a late state for its local directory.

    A local directory a stage starts FROM carries the stage's platform, as the reference sets
    on every named context it loads as a base (an image or remote context already has it).
    """
    if base.local is None:
        return base.state
    late = llb.LateState()
    local_contexts[index] = (base.local, late)
    return late.state if platform is None else late.state.with_platform(platform)


def _local_context_state(named: NamedContext, follow: set[str], options: FrontendOptions) -> llb.State:
    """A named local context's directory, narrowed to the paths the build reads from it."""
    local_name = named.local_name or named.name
    return llb.local(
        local_name,
        session_id=options.session_id,
        shared_key_hint=f"context:{named.name}",
        exclude_patterns=named.excludes,
        follow_paths=_follow_paths(follow),
        custom_name=f"[context {named.name}] load from client",
    )


def _record_read_paths(
    read_paths: dict[int, set[str]],
    graph: StageGraph,
    root: int,
    command: Instruction,
    sources: tuple[int, ...],
) -> None:
    # What a named local context must send: the paths COPY --from and RUN mounts read from it
    # (recorded on the FROM chain of the stage read, as the reference shares them); a RUN may read
    # anything of its own stage. `command` is expanded.
    if isinstance(command, RunInstruction):
        read_paths.setdefault(root, set()).add("/")
        for spec, index in zip(command.mounts, sources, strict=False):
            if spec.type in _NO_SOURCE_MOUNTS or not (spec.from_stage or spec.type == _CACHE_MOUNT):
                continue
            found = read_paths.setdefault(_chain_root(graph, graph.stages[index]), set())
            found.add(paths.join("/", spec.source))
    elif isinstance(command, CopyInstruction) and sources:
        found = read_paths.setdefault(_chain_root(graph, graph.stages[sources[0]]), set())
        found.update(paths.join("/", src) for src in command.sources)


def _count_steps(node: StageNode, bases: Mapping[int, _Base]) -> int:
    base = bases.get(node.index)
    from_image = base is not None and (base.ref is not None or base.state is not None or base.local is not None)
    total = 1 if node.base is None and from_image else 0
    # Every trigger counts as a step, whatever its instruction (the reference adds their number).
    own = node.commands[node.onbuild_count :]
    return total + node.onbuild_count + sum(isinstance(command, _STEP_INSTRUCTIONS) for command in own)


def _init_onbuild_triggers(
    graph: StageGraph,
    reachable: Sequence[StageNode],
    bases: dict[int, _Base],
    initialized: set[int],
    dockerfile: Dockerfile,
) -> tuple[StageGraph, bool]:
    """Put the inherited ONBUILD triggers before each reachable stage's commands.

    A stage FROM an image runs the image's triggers (then drops them from its config); a stage
    FROM another stage of this Dockerfile runs that stage's own ONBUILD instructions. Images read
    only by COPY --from, and stages replaced by a named context, get their triggers parsed (and
    the stages those read) but never run, as in the reference.
    """
    new_deps = False
    for node in reachable:
        if node.index in initialized:
            continue
        initialized.add(node.index)
        if node.base is None:
            base = bases[node.index]
            expressions = base.image.config.on_build
            if expressions:
                config = replace(base.image.config, on_build=())
                bases[node.index] = replace(base, image=replace(base.image, config=config))
        else:
            parent = graph.stages[node.base]
            expressions = tuple(c.expression for c in parent.commands if isinstance(c, OnbuildInstruction))
        if not expressions:
            continue
        location = _node_location(graph, node)
        if location is None:
            continue  # only stages nothing reads have no location, and those are not reachable
        try:
            triggers = [parse_onbuild_trigger(expression, location) for expression in expressions]
        except DockerfileError as exc:
            exc.attach(location, dockerfile.lines)
            raise
        graph, added = with_triggers(graph, node.index, triggers)
        new_deps = new_deps or added
    return graph, new_deps


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
    contexts: list[tuple[int, NamedContext, ImageRequest]] = []
    for node in reachable:
        if node.base is not None:
            continue
        platform = node.platform or target_platform
        named = node.context
        if named is None and node.base_name != SCRATCH:
            named = find_context(options.named_contexts, node.base_name)
        if named is not None and named.layout is not None:
            bases[node.index] = _layout_base(graph, node, named, named.layout, platform, options)
            continue
        if named is not None:
            image_ref = named.image_ref
            try:
                remote = remote_state(named) if image_ref is None else None
            except DockerfileError as exc:
                exc.attach(_node_location(graph, node))
                raise
            if remote is not None:
                # A git checkout or a downloaded file: no image config either.
                image = _context_image(node, None, platform)
                bases[node.index] = _Base(None, image, platform, state=remote.with_platform(platform))
            elif image_ref is None:
                # A local directory: no image config, the empty one of the platform.
                bases[node.index] = _Base(None, _context_image(node, None, platform), platform, local=named)
            elif image_ref == SCRATCH:
                bases[node.index] = _Base(None, _context_image(node, None, platform), platform, state=llb.scratch())
            else:
                request = ImageRequest(_parse_ref(image_ref, node), platform, options.image_resolve_mode)
                contexts.append((node.index, named, request))
            continue
        if node.base_name == SCRATCH:
            bases[node.index] = _Base(None, ImageConfig.empty(platform), platform)
            continue
        ref = _parse_ref(node.base_name, node)
        # A multi-platform build says which platform each resolution is for (as the reference does).
        log_name = f"[{platform_id(platform)} internal] load metadata for {ref}" if options.multi_platform else None
        requests.append((node.index, ImageRequest(ref, platform, options.image_resolve_mode, log_name)))
    if not requests and not contexts:
        return bases
    unique = list(dict.fromkeys([request for _, request in requests] + [request for _, _, request in contexts]))
    try:
        resolved = resolver.resolve_image_configs(unique)
    except ImageResolveError as exc:
        # As the reference: the image as written in the Dockerfile, the engine's reason, the FROM line.
        failing = next((index for index, request in requests if request.ref == exc.ref), None)
        if failing is None:
            raise
        node = graph.stages[failing]
        raise DockerfileError(f"{node.base_name}: {exc.detail}", _node_location(graph, node)) from exc
    answers: dict[ImageRequest, ResolvedImage] = dict(zip(unique, resolved, strict=True))
    # Read once per image, however many stages start from it (the values are frozen, so shared).
    images: dict[ImageRequest, tuple[ImageConfig, str | None, bytes]] = {}
    for index, request in requests:
        known = images.get(request)
        if known is None:
            answer = answers[request]
            base_image = ImageConfig.from_json(answer.config)
            ref = llb.normalize_image_ref(answer.ref or request.ref)
            if answer.digest and "@" not in ref:
                ref = f"{ref}@{answer.digest}"
            image = replace(base_image, created=None)
            # An image with no layers at all (only empty history) is scratch, as the reference treats it.
            is_scratch = not image.diff_ids and all(h.empty_layer for h in image.history)
            known = images[request] = (image, None if is_scratch else ref, base_image.to_json())
        image, base_ref, base_config = known
        platform = request.platform or target_platform
        if graph.stages[index].platform is None and options.target_platform is None:
            platform = _auto_detect_platform(image, platform, options.build_platforms)
        bases[index] = _Base(base_ref, image, platform, base_config=base_config)
    for index, named, request in contexts:
        answer = answers[request]
        platform = request.platform or target_platform
        # The reference keeps the reference the engine answered, not pinned by digest, and names
        # the source after the context.
        state = llb.image(
            answer.ref or request.ref,
            platform=platform,
            custom_name=f"[context {named.name}] {named.image_ref}",
        ).with_image_config(answer.config)
        node = graph.stages[index]
        base_image = ImageConfig.from_json(answer.config)
        image = _context_image(node, replace(base_image, created=None), platform)
        if node.context is not None and image.os and image.architecture:
            platform = image.platform
        bases[index] = _Base(
            None, image, platform, state=state.with_platform(platform), base_config=base_image.to_json()
        )
    return bases


def _layout_base(
    graph: StageGraph,
    node: StageNode,
    named: NamedContext,
    layout: LayoutImage,
    platform: Platform,
    options: FrontendOptions,
) -> _Base:
    """An `oci-layout://` context: the image the client serves from its layout, named as the
    reference frontend names it (the context's name with the layout's digest)."""
    config = layout.config_for(platform_id(platform))
    if config is None:
        raise DockerfileError(
            f"build context {named.name}: the OCI layout has no image for {platform_id(platform)}",
            _node_location(graph, node),
        )
    name = llb.normalize_image_ref(named.name).removesuffix(":latest")
    state = llb.oci_layout(
        f"{name}@{layout.digest}",
        session_id=options.session_id,
        store_id=layout.store_id,
        platform=platform,
        custom_name=f"[context {named.name}] OCI load from client",
    ).with_image_config(config)
    base_image = ImageConfig.from_json(config)
    image = _context_image(node, replace(base_image, created=None), platform)
    if node.context is not None and image.os and image.architecture:
        platform = image.platform
    return _Base(None, image, platform, state=state.with_platform(platform), base_config=base_image.to_json())


def _auto_detect_platform(image: ImageConfig, target: Platform, supported: Sequence[Platform]) -> Platform:
    # With no --platform anywhere, a base image of another OS/arch that a worker can run is built
    # on that worker platform rather than the default one, as the reference does.
    if image.os == target.os and image.architecture == target.architecture:
        return target
    for candidate in supported:
        if candidate.os == image.os and candidate.architecture == image.architecture:
            return candidate
    return target


def _context_image(node: StageNode, image: ImageConfig | None, platform: Platform) -> ImageConfig:
    # A stage replaced by a context keeps the context's config as is (none for a directory); a
    # base image or COPY --from source gets the platform's empty config when the context has none.
    if image is not None:
        return image
    return ImageConfig() if node.context is not None else ImageConfig.empty(platform)


def _node_location(graph: StageGraph, node: StageNode) -> SourceRange | None:
    # An implicit stage has no FROM: the reference points at the first instruction reading it.
    if node.from_instruction is not None:
        return node.from_instruction.location
    for stage in graph.stages:
        for command, sources in zip(stage.commands, stage.sources, strict=True):
            if node.index in sources:
                return command.location
    return None


def _parse_ref(name: str, node: StageNode) -> str:
    try:
        return llb.normalize_image_ref(name)
    except LLBError as exc:
        location = node.from_instruction.location if node.from_instruction else None
        raise DockerfileError(f'failed to parse stage name "{name}": {exc}', location) from exc


def _with_target_platform(image: ImageConfig, platform: Platform) -> ImageConfig:
    # An explicit --platform decides the result's platform, whatever the last base image was.
    same_os_arch = image.os == platform.os and image.architecture == platform.architecture
    image = replace(image, os=platform.os, architecture=platform.architecture)
    if platform.variant or not same_os_arch:
        image = replace(image, variant=platform.variant)
    if platform.os_version or not same_os_arch:
        image = replace(image, os_version=platform.os_version)
    return image
