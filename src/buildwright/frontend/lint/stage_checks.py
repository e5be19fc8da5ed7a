"""The checks made while a stage's instructions are dispatched, over a simulated environment.

The reference runs these rules inside its converter; here the converter's environment flow is
replayed without building anything: the stage env starts from the base image config (or the
base stage), ENV and ARG change it in order, and each expanded word reports the variables it
could not find (UndefinedVar). SHELL, the first WORKDIR and CMD/ENTRYPOINT/HEALTHCHECK usage
are tracked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from buildwright import _golang
from buildwright.dockerfile import (
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvInstruction,
    ExposeInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    PatternMatcher,
    ShellInstruction,
    ShellLex,
    WorkdirInstruction,
)
from buildwright.errors import DockerfileError
from buildwright.frontend.lint import rules
from buildwright.frontend.lint.reporter import Halt, Reporter
from buildwright.location import SourceRange

# ARGs that never reach the environment, and that UndefinedVar never reports.
NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})

_SECRET = re.compile(
    r"(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)", re.IGNORECASE
)
_SECRET_ALLOWED = re.compile(r"(?:_|^)(?:public)(?:_|$)", re.IGNORECASE)
_WINDOWS_ABS = re.compile(r"^(?:[A-Za-z]:)?[\\/]")


@dataclass(slots=True)
class StageEnv:
    """What the dispatch of a stage carries from instruction to instruction (and to child stages).

    Attributes:
        env: the variables in the order of their last assignment (the reference's env list).
        shell: the image config's SHELL (empty: none set, so shell-form CMD gets a warning).
        workdir_set: a WORKDIR ran in this stage or an ancestor stage of this Dockerfile.
        build_args: the ARG names declared in this stage and its ancestor stages.
        os: the stage's platform OS (decides what an absolute WORKDIR is).
    """

    env: dict[str, str]
    shell: tuple[str, ...] = ()
    workdir_set: bool = False
    build_args: list[str] = field(default_factory=list)
    os: str = "linux"

    def copy(self) -> StageEnv:
        return StageEnv(dict(self.env), self.shell, self.workdir_set, list(self.build_args), self.os)

    def set(self, key: str, value: str) -> None:
        self.env.pop(key, None)
        self.env[key] = value


@dataclass(frozen=True, slots=True)
class DispatchInputs:
    """What every instruction check may read."""

    lex: ShellLex
    build_args: Mapping[str, str]
    global_args: Mapping[str, str]
    ignore: PatternMatcher | None


@dataclass(slots=True)
class _UsedOnce:
    # Where CMD, ENTRYPOINT and HEALTHCHECK were last seen in this stage.
    seen: dict[str, SourceRange] = field(default_factory=dict)


class _RecordingExpander:
    """An Expander that keeps, per expanded word, the variable names it did not find."""

    def __init__(self, env: Mapping[str, str], lex: ShellLex) -> None:
        self._env = env
        self._lex = lex
        self.unmatched: list[frozenset[str]] = []

    @property
    def escape(self) -> str:
        return self._lex.escape

    def word(self, word: str) -> str:
        result = self._lex.process(word, self._env)
        self.unmatched.append(result.unmatched)
        return result.result

    def words(self, word: str) -> list[str]:
        # EXPOSE expands with word splitting and the reference does not report its variables.
        return list(self._lex.process(word, self._env).words)

    def heredoc(self, text: str) -> str:
        result = ShellLex("\\", skip_process_quotes=True).process(text, self._env)
        self.unmatched.append(result.unmatched)
        return result.result


def dispatch_stage(
    state: StageEnv,
    commands: Sequence[Instruction],
    inputs: DispatchInputs,
    reporter: Reporter,
) -> StageEnv:
    """Run the instruction checks of one stage over `state` (changed in place and returned)."""
    used = _UsedOnce()
    for command in commands:
        _dispatch(state, command, inputs, reporter, used)
        reporter.mark(command.location)
    return state


def _dispatch(
    state: StageEnv, command: Instruction, inputs: DispatchInputs, reporter: Reporter, used: _UsedOnce
) -> None:
    if isinstance(command, ArgInstruction):
        _arg(state, command, inputs, reporter)
        return
    expander = _RecordingExpander(dict(state.env), inputs.lex)
    try:
        expanded = command.expand(expander)
    except DockerfileError as exc:
        _report_unmatched(state, command.location, expander.unmatched, reporter)
        raise Halt(exc) from exc
    _report_unmatched(state, command.location, expander.unmatched, reporter)

    location = command.location
    if isinstance(expanded, EnvInstruction):
        for pair in expanded.pairs:
            if pair.no_delim:
                reporter.report(rules.LEGACY_KEY_VALUE_FORMAT, _legacy_message(command.keyword), location)
            _check_secret("ENV", pair.key, location, reporter)
            state.set(pair.key, pair.value)
    elif isinstance(expanded, LabelInstruction):
        for pair in expanded.pairs:
            if pair.no_delim:
                reporter.report(rules.LEGACY_KEY_VALUE_FORMAT, _legacy_message(command.keyword), location)
    elif isinstance(expanded, (CmdInstruction, EntrypointInstruction)):
        _used_once(command, used, reporter)
        if expanded.prepend_shell and not state.shell:
            reporter.report(
                rules.JSON_ARGS_RECOMMENDED,
                f"JSON arguments recommended for {command.keyword} to prevent unintended behavior related to OS "
                "signals",
                location,
            )
    elif isinstance(expanded, HealthcheckInstruction):
        _used_once(command, used, reporter)
    elif isinstance(expanded, ShellInstruction):
        state.shell = tuple(expanded.shell)
    elif isinstance(expanded, WorkdirInstruction):
        if not state.workdir_set and not _is_abs(expanded.path, state.os):
            reporter.report(
                rules.WORKDIR_RELATIVE_PATH,
                f"Relative workdir {_golang.quote(expanded.path)} can have unexpected results if the base image "
                "changes",
                location,
            )
        state.workdir_set = True
    elif isinstance(expanded, (CopyInstruction, AddInstruction)):
        _copy_sources(expanded, inputs, reporter)
    elif isinstance(expanded, ExposeInstruction):
        for port in expanded.ports:
            _expose(port, location, reporter)


def _arg(state: StageEnv, command: ArgInstruction, inputs: DispatchInputs, reporter: Reporter) -> None:
    for arg in command.args:
        _check_secret("ARG", arg.key, command.location, reporter)
        value = arg.value
        if arg.key in inputs.build_args:
            value = inputs.build_args[arg.key]
        elif value is not None:
            # Only a default that is actually used is expanded (and checked).
            try:
                result = inputs.lex.process(value, state.env)
            except DockerfileError as exc:
                raise Halt(exc) from exc
            _report_unmatched(state, command.location, [result.unmatched], reporter)
            value = result.result
        elif arg.key in inputs.global_args:
            value = inputs.global_args[arg.key]
        if value is not None and arg.key not in NON_ENV_ARGS:
            state.set(arg.key, value)
        state.build_args.append(arg.key)


def _report_unmatched(
    state: StageEnv, location: SourceRange, per_word: Sequence[frozenset[str]], reporter: Reporter
) -> None:
    declared = set(state.build_args)
    for unmatched in per_word:
        for name in sorted(unmatched):
            if name in declared or name in NON_ENV_ARGS:
                continue
            suggestion = _golang.suggest(name, state.env, case_sensitive=True)
            reporter.report(
                rules.UNDEFINED_VAR,
                rules.with_suggestion(f"Usage of undefined variable '${name}'", suggestion, "$"),
                location,
            )


def _used_once(command: Instruction, used: _UsedOnce, reporter: Reporter) -> None:
    # The earlier instruction is the one that has no effect, so it is the one reported.
    key = command.name
    previous = used.seen.get(key)
    if previous is not None:
        reporter.report(
            rules.MULTIPLE_INSTRUCTIONS_DISALLOWED,
            f"Multiple {command.keyword} instructions should not be used in the same stage because only the last "
            "one will be used",
            previous,
        )
    used.seen[key] = command.location


def _check_secret(instruction: str, key: str, location: SourceRange, reporter: Reporter) -> None:
    if _SECRET.search(key) and not _SECRET_ALLOWED.search(key):
        reporter.report(
            rules.SECRETS_USED_IN_ARG_OR_ENV,
            f"Do not use ARG or ENV instructions for sensitive data ({instruction} {_golang.quote(key)})",
            location,
        )


def _copy_sources(command: CopyInstruction | AddInstruction, inputs: DispatchInputs, reporter: Reporter) -> None:
    # Only files read from the main build context can be excluded by its .dockerignore.
    if inputs.ignore is None or (isinstance(command, CopyInstruction) and command.from_stage):
        return
    is_add = isinstance(command, AddInstruction)
    verb = "Add" if is_add else "Copy"
    for source in command.sources:
        if is_add and _is_remote(source):
            continue
        if inputs.ignore.matches_or_parent_matches(source):
            reporter.report(
                rules.COPY_IGNORED_FILE,
                f"Attempting to {verb} file {_golang.quote(source)} that is excluded by .dockerignore",
                command.location,
            )


def _is_remote(source: str) -> bool:
    return "://" in source or source.startswith("git@")


def _expose(port: str, location: SourceRange, reporter: Reporter) -> None:
    # `[ip:][hostPort:]containerPort[/proto]`, split as the reference's EXPOSE parser does.
    parts = port.split(":")
    ip = ":".join(parts[:-2]) if len(parts) > 2 else ""
    host_port = parts[-2] if len(parts) > 1 else ""
    number, _, proto = parts[-1].partition("/")
    if not number:
        raise Halt(DockerfileError(f"invalid port: {_golang.quote(port)}: no port specified", location))
    if proto.lower() not in ("", "tcp", "udp", "sctp"):
        raise Halt(DockerfileError(f"invalid port: {_golang.quote(port)}: invalid proto: {proto}", location))
    if proto != proto.lower():
        reporter.report(
            rules.EXPOSE_PROTO_CASING, f"Defined protocol '{port}' in EXPOSE instruction should be lowercase", location
        )
    if ip or host_port:
        reporter.report(
            rules.EXPOSE_INVALID_FORMAT,
            f"EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'",
            location,
        )


def _legacy_message(keyword: str) -> str:
    return f'"{keyword} key=value" should be used instead of legacy "{keyword} key value" format'


def _is_abs(path: str, os_name: str) -> bool:
    if os_name == "windows":
        return bool(_WINDOWS_ABS.match(path))
    return path.startswith("/")
