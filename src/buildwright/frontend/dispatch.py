"""Instruction converters: each takes a stage value and an instruction and returns the next stage value.

A `StageBuild` is frozen; converters never mutate. The shapes of the LLB they emit (names,
descriptions, env order, history text) follow the reference frontend, so a step built here is
the same step the reference would build.
"""

from __future__ import annotations

from collections.abc import Mapping

from buildwright import llb
from buildwright._frozen import replace
from buildwright.dockerfile import (
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvExpander,
    EnvInstruction,
    ExposeInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    MaintainerInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    ShellLex,
    StopSignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)
from buildwright.errors import DockerfileError
from buildwright.frontend import paths
from buildwright.frontend.copy import dispatch_copy
from buildwright.frontend.gostr import go_duration, go_list, go_quote, go_quoted_list
from buildwright.frontend.image import DEFAULT_PATH, Healthcheck, ImageConfig
from buildwright.frontend.ports import parse_ports
from buildwright.frontend.run import dispatch_run
from buildwright.frontend.signals import is_valid_signal
from buildwright.frontend.stage_build import (
    COMMAND_DESCRIPTION_KEY,
    DEFAULT_SHELL,
    NON_ENV_ARGS,
    ArgUse,
    DispatchContext,
    StageBuild,
    commit,
    progress_text,
)
from buildwright.frontend.stages import StageNode
from buildwright.llb.platform import Platform


def start_stage(
    node: StageNode,
    display_name: str,
    base_ref: str | None,
    image: ImageConfig,
    platform: Platform,
    cmd_total: int,
    ignore_cache: bool,
    context: DispatchContext,
    *,
    from_step: int = 1,
    from_total: int | None = None,
    base_state: llb.State | None = None,
) -> StageBuild:
    """A stage starting from an image (`base_ref`) or from scratch (`base_ref` None).

    The reference names the FROM step when it resolves the image, before ONBUILD triggers add
    to the step count (`from_total`), and counts one step each time a stage waits through a
    resolution round unresolved (`from_step`), which happens to stages reached only by a trigger.
    A named context (`base_state`) is the stage's state as it is, and is no step of its own.
    """
    build = StageBuild(
        node=node,
        display_name=display_name,
        state=llb.scratch(),
        image=image,
        platform=platform,
        cmd_total=cmd_total if from_total is None else from_total,
        cmd_index=from_step - 1,
        ignore_cache=ignore_cache,
        epoch=context.epoch,
        platform_prefix=context.multi_platform,
    )
    if base_state is not None:
        return replace(build, state=base_state, cmd_total=cmd_total)
    if base_ref is None:
        return replace(build, cmd_total=cmd_total, cmd_index=0)
    name = build.step_label(f"FROM {base_ref}")
    from_ = node.from_instruction
    state = llb.image(
        base_ref,
        platform=platform,
        custom_name=name,
        description={COMMAND_DESCRIPTION_KEY: from_.original if from_ else ""},
        location=from_.location if from_ else None,
        resolve_mode=llb.ResolveMode(context.image_resolve_mode),
    )
    return replace(build, state=state, cmd_total=cmd_total, cmd_index=build.next_step)


def inherit_stage(
    parent: StageBuild, node: StageNode, display_name: str, cmd_total: int, ignore_cache: bool
) -> StageBuild:
    """A stage `FROM` an earlier stage: its state, config and ARGs, without its ONBUILD triggers."""
    config = replace(parent.image.config, on_build=())
    return StageBuild(
        node=node,
        display_name=display_name,
        state=parent.state,
        image=replace(parent.image, config=config),
        platform=parent.platform,
        cmd_total=cmd_total,
        build_args=parent.build_args,
        ignore_cache=ignore_cache,
        epoch=parent.epoch,
        platform_prefix=parent.platform_prefix,
    )


def apply_base_config(build: StageBuild) -> StageBuild:
    """Seed the LLB state from the image config: PATH, Env, WorkingDir, User."""
    image = build.image
    if image.config.env_value("PATH") is None and build.platform.os != "windows":
        image = replace(image, config=image.config.with_env("PATH", DEFAULT_PATH))
    state = build.state
    for item in image.config.env:
        key, _, value = item.partition("=")
        state = state.add_env(key, value)
    if image.config.working_dir:
        workdir = paths.normalize(image.config.working_dir, image.config.working_dir, keep_slash=False)
        state = state.with_dir(workdir)
    if image.config.user:
        state = state.with_user(image.config.user)
    return replace(build, image=image, state=state)


def expand_instruction(build: StageBuild, instruction: Instruction, context: DispatchContext) -> Instruction:
    """The instruction with its words expanded in the stage's environment, as the converters take it.

    The build checks see each word's expansion and then the instruction, before it is converted
    (as in the reference). ARG is returned as it is: its defaults expand one by one as they apply.
    """
    if isinstance(instruction, ArgInstruction):
        return instruction
    rules = context.rules
    try:
        if rules is None:
            return instruction.expand(EnvExpander(build.env(), context.lex))
        expander = _CheckedExpander(build.env(), context.lex)
        try:
            expanded = instruction.expand(expander)
        finally:
            # Names a failed expansion did not find are reported too, before its error.
            rules.expanded(build, instruction.location, expander.unmatched)
        rules.instruction(build, expanded)
        return expanded
    except DockerfileError as exc:
        exc.attach(instruction.location, context.dockerfile.lines)
        raise


def dispatch_instruction(
    build: StageBuild,
    instruction: Instruction,
    sources: tuple[StageBuild, ...],
    context_state: llb.State,
    context: DispatchContext,
) -> StageBuild:
    """Apply one instruction, expanded by `expand_instruction`; errors point at the instruction's lines."""
    try:
        return _dispatch(build, instruction, sources, context_state, context)
    except DockerfileError as exc:
        # Errors located already (expansion errors) keep their place and get the lines for the snippet.
        exc.attach(instruction.location, context.dockerfile.lines)
        raise


class _CheckedExpander:
    """An Expander over a stage environment keeping, per expanded word, the names it did not find.

    EXPOSE's word-splitting expansion is not reported, as in the reference.
    """

    def __init__(self, env: Mapping[str, str], lex: ShellLex) -> None:
        self._env = env
        self._lex = lex
        self.unmatched: list[frozenset[str]] = []

    @property
    def escape(self) -> str:
        return self._lex.escape

    def word(self, word: str) -> str:
        result = self._lex.process(word, self._env)
        if result.unmatched:
            self.unmatched.append(result.unmatched)
        return result.result

    def words(self, word: str) -> list[str]:
        return list(self._lex.process(word, self._env).words)

    def heredoc(self, text: str) -> str:
        result = ShellLex("\\", skip_process_quotes=True).process(text, self._env)
        if result.unmatched:
            self.unmatched.append(result.unmatched)
        return result.result


def _dispatch(
    build: StageBuild,
    instruction: Instruction,
    sources: tuple[StageBuild, ...],
    context_state: llb.State,
    context: DispatchContext,
) -> StageBuild:
    if isinstance(instruction, ArgInstruction):
        return _arg(build, instruction, context)
    if isinstance(instruction, EnvInstruction):
        return _env(build, instruction)
    if isinstance(instruction, RunInstruction):
        return _run(build, instruction, sources, context_state, context)
    if isinstance(instruction, WorkdirInstruction):
        return _workdir(build, instruction, context)
    if isinstance(instruction, (CopyInstruction, AddInstruction)):
        return dispatch_copy(build, instruction, sources, context_state, context)
    if isinstance(instruction, LabelInstruction):
        config = build.image.config.with_labels([(kv.key, kv.value) for kv in instruction.pairs])
        text = "LABEL" + "".join(f" {kv.key}={kv.value}" for kv in instruction.pairs)
        return commit(build, text, config=config)
    if isinstance(instruction, UserInstruction):
        config = replace(build.image.config, user=instruction.user)
        state = build.state.with_user(instruction.user)
        return commit(build, f"USER {instruction.user}", config=config, state=state)
    if isinstance(instruction, ExposeInstruction):
        rules = context.rules
        location = instruction.location
        observe = None if rules is None else (lambda raw, proto, mapped: rules.port(location, raw, proto, mapped))
        ports = parse_ports(list(instruction.ports), observe)
        merged = tuple(sorted(set(build.image.config.exposed_ports) | set(ports)))
        config = replace(build.image.config, exposed_ports=merged)
        return commit(build, f"EXPOSE {go_list(ports)}", config=config)
    if isinstance(instruction, CmdInstruction):
        args = _with_shell(build.image, instruction.command) if instruction.prepend_shell else instruction.command
        config = replace(build.image.config, cmd=tuple(args), args_escaped=True)
        return commit(build, f"CMD {go_quoted_list(args)}", config=config, cmd_set=True)
    if isinstance(instruction, EntrypointInstruction):
        command = instruction.command or ()
        args = _with_shell(build.image, command) if instruction.prepend_shell else command
        config = replace(build.image.config, entrypoint=tuple(args))
        if not build.cmd_set:
            config = replace(config, cmd=None)
        return commit(build, f"ENTRYPOINT {go_quoted_list(args)}", config=config)
    if isinstance(instruction, ShellInstruction):
        config = replace(build.image.config, shell=tuple(instruction.shell))
        return commit(build, f"SHELL {go_list(instruction.shell)}", config=config)
    if isinstance(instruction, VolumeInstruction):
        for volume in instruction.volumes:
            if not volume:
                raise context.error("VOLUME specified can not be an empty string", instruction)
        volumes = tuple(sorted(set(build.image.config.volumes) | set(instruction.volumes)))
        config = replace(build.image.config, volumes=volumes)
        return commit(build, f"VOLUME {go_list(instruction.volumes)}", config=config)
    if isinstance(instruction, StopSignalInstruction):
        if not is_valid_signal(instruction.signal):
            raise context.error(f"invalid signal: {instruction.signal}", instruction)
        config = replace(build.image.config, stop_signal=instruction.signal)
        return commit(build, f"STOPSIGNAL {instruction.signal}", config=config)
    if isinstance(instruction, MaintainerInstruction):
        return commit(
            build, f"MAINTAINER {instruction.maintainer}", image=replace(build.image, author=instruction.maintainer)
        )
    if isinstance(instruction, OnbuildInstruction):
        config = replace(build.image.config, on_build=(*build.image.config.on_build, instruction.expression))
        return replace(build, image=replace(build.image, config=config))
    if isinstance(instruction, HealthcheckInstruction):
        return _healthcheck(build, instruction)
    raise context.error(f"unsupported instruction {type(instruction).__name__}", instruction)


def _with_shell(image: ImageConfig, args: tuple[str, ...]) -> tuple[str, ...]:
    shell = image.config.shell or DEFAULT_SHELL
    return (*shell, " ".join(args))


def _env(build: StageBuild, instruction: EnvInstruction) -> StageBuild:
    state = build.state
    config = build.image.config
    for pair in instruction.pairs:
        state = state.add_env(pair.key, pair.value)
        config = config.with_env(pair.key, pair.value)
    text = "ENV" + "".join(f" {kv.key}={kv.value}" for kv in instruction.pairs)
    return commit(build, text, state=state, config=config)


def _arg(build: StageBuild, instruction: ArgInstruction, context: DispatchContext) -> StageBuild:
    state = build.state
    build_args = list(build.build_args)
    words = []
    uses = list(build.arg_uses)
    rules = context.rules
    for arg in instruction.args:
        value = arg.value
        inherited = False
        unmatched = None
        if arg.key in context.build_args:
            value = context.build_args[arg.key]
        elif value is not None:
            # Only a default that is used is expanded (and checked).
            try:
                result = context.lex.process(value, state.env.as_dict())
            except DockerfileError:
                if rules is not None:
                    rules.arg(instruction.location, arg.key, state.env, build_args, None)
                raise
            value, unmatched = result.result, result.unmatched
        elif arg.key in context.global_args:
            value = context.global_args[arg.key]
            inherited = True
        if rules is not None:
            rules.arg(instruction.location, arg.key, state.env, build_args, unmatched)
        if value is not None and arg.key not in NON_ENV_ARGS:
            state = state.add_env(arg.key, value)
        build_args.append((arg.key, value))
        words.append(arg.key if value is None else f"{arg.key}={value}")
        uses.append(ArgUse(arg.key, value, arg.doc_comment, instruction.location, inherited))
    return commit(build, "ARG " + " ".join(words), state=state, build_args=tuple(build_args), arg_uses=tuple(uses))


def _workdir(build: StageBuild, instruction: WorkdirInstruction, context: DispatchContext) -> StageBuild:
    workdir = paths.normalize(build.image.config.working_dir, instruction.path, keep_slash=False)
    config = replace(build.image.config, working_dir=workdir)
    state = build.state.with_dir(workdir)
    if workdir == "/":
        return commit(build, f"WORKDIR {workdir}", config=config, state=state)
    name = build.step_label(progress_text(context, instruction.original, build.env()))
    action = llb.mkdir(workdir, 0o755, make_parents=True, user=config.user or None, created_time=build.epoch)
    state = state.file(
        action,
        custom_name=name,
        description={COMMAND_DESCRIPTION_KEY: instruction.original},
        location=instruction.location,
    )
    # The reference never marks WORKDIR's mkdir to skip the cache, even with --no-cache.
    return commit(build, f"WORKDIR {workdir}", layer=True, config=config, state=state, cmd_index=build.next_step)


def _run(
    build: StageBuild,
    instruction: RunInstruction,
    sources: tuple[StageBuild, ...],
    context_state: llb.State,
    context: DispatchContext,
) -> StageBuild:
    return dispatch_run(build, instruction, sources, context_state, context)


def _healthcheck(build: StageBuild, instruction: HealthcheckInstruction) -> StageBuild:
    health = Healthcheck(
        test=tuple(instruction.test),
        interval=instruction.interval,
        timeout=instruction.timeout,
        start_period=instruction.start_period,
        start_interval=instruction.start_interval,
        retries=instruction.retries,
    )
    # The engine's frontend (1.19) prints the config with `%q`: strings and durations quoted, the
    # retry count as a Go rune literal (newer frontends switched to `%+v`).
    durations = (health.interval, health.timeout, health.start_period, health.start_interval)
    text = (
        f"HEALTHCHECK &{{{go_quoted_list(health.test)} "
        + " ".join(go_quote(go_duration(d)) for d in durations)
        + f" {_go_rune_literal(health.retries)}}}"
    )
    config = replace(build.image.config, healthcheck=health)
    return commit(build, text, config=config)


def _go_rune_literal(value: int) -> str:
    """fmt's `%q` of an integer: a single-quoted rune literal (`'\\x04'`, `'A'`)."""
    code = value if 0 <= value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else 0xFFFD
    char = chr(code)
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    return "'" + go_quote(char)[1:-1] + "'"
