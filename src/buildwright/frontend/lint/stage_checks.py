"""The checks made while a stage's instructions are dispatched: rules fired by the compilation.

`StageRules` is the `DispatchRules` the converters call as they dispatch each stage (see
frontend.stage_build), so a build's checks read the environment, SHELL and ARGs the compilation
itself keeps and walk nothing of their own. Each expanded word reports the variables it could
not find (UndefinedVar); the first WORKDIR and CMD/ENTRYPOINT/HEALTHCHECK usage are tracked per
stage here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field

from buildwright import _golang
from buildwright._values import valueclass
from buildwright.dockerfile import (
    AddInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    PatternMatcher,
    WorkdirInstruction,
)
from buildwright.frontend.lint import rules
from buildwright.frontend.lint.findings import Finding
from buildwright.frontend.lint.rules import Rule
from buildwright.frontend.stage_build import NON_ENV_ARGS, StageBuild
from buildwright.location import SourceRange

_SECRET = re.compile(
    r"(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)", re.IGNORECASE
)
_SECRET_ALLOWED = re.compile(r"(?:_|^)(?:public)(?:_|$)", re.IGNORECASE)
_WINDOWS_ABS = re.compile(r"^(?:[A-Za-z]:)?[\\/]")


@valueclass(frozen=False)
class _Stage:
    """What the rules keep per stage besides what the compilation keeps."""

    workdir_set: bool  # a WORKDIR ran in this stage or an ancestor stage of this Dockerfile
    # Where CMD, ENTRYPOINT and HEALTHCHECK were last seen in this stage.
    used: dict[str, SourceRange] = field(default_factory=dict)


class StageRules:
    """The dispatch-time findings of one compilation, in the order they fire (every rule: the
    check configuration is applied by whoever reads `findings`)."""

    def __init__(self, ignore_patterns: Sequence[str] = ()) -> None:
        self.findings: list[Finding] = []
        self._ignore = PatternMatcher(tuple(ignore_patterns)) if ignore_patterns else None
        self._stages: dict[int, _Stage] = {}
        self._stage = _Stage(workdir_set=False)

    def _report(self, rule: Rule, message: str, location: SourceRange) -> None:
        self.findings.append(Finding(rule, message, location))

    def stage(self, build: StageBuild) -> None:
        base = self._stages.get(build.node.base) if build.node.base is not None else None
        self._stage = self._stages[build.node.index] = _Stage(workdir_set=base is not None and base.workdir_set)

    def expanded(self, build: StageBuild, location: SourceRange, unmatched: Sequence[frozenset[str]]) -> None:
        if unmatched:
            self._undefined(build.state.env, build.build_args, location, unmatched)

    def arg(
        self,
        location: SourceRange,
        key: str,
        env: Mapping[str, str],
        declared: Sequence[tuple[str, str | None]],
        unmatched: frozenset[str] | None,
    ) -> None:
        self._secret("ARG", key, location)
        if unmatched:
            self._undefined(env, declared, location, (unmatched,))

    def port(self, location: SourceRange, raw: str, proto: str, mapped: bool) -> None:
        if proto != proto.lower():
            message = f"Defined protocol '{raw}' in EXPOSE instruction should be lowercase"
            self._report(rules.EXPOSE_PROTO_CASING, message, location)
        if mapped:
            self._report(
                rules.EXPOSE_INVALID_FORMAT,
                f"EXPOSE instruction should not define an IP address or host-port mapping, found '{raw}'",
                location,
            )

    def instruction(self, build: StageBuild, instruction: Instruction) -> None:
        location = instruction.location
        if isinstance(instruction, EnvInstruction):
            for pair in instruction.pairs:
                if pair.no_delim:
                    self._report(rules.LEGACY_KEY_VALUE_FORMAT, _legacy_message(instruction.keyword), location)
                self._secret("ENV", pair.key, location)
        elif isinstance(instruction, LabelInstruction):
            for pair in instruction.pairs:
                if pair.no_delim:
                    self._report(rules.LEGACY_KEY_VALUE_FORMAT, _legacy_message(instruction.keyword), location)
        elif isinstance(instruction, (CmdInstruction, EntrypointInstruction)):
            self._used_once(instruction)
            if instruction.prepend_shell and not build.image.config.shell:
                self._report(
                    rules.JSON_ARGS_RECOMMENDED,
                    f"JSON arguments recommended for {instruction.keyword} to prevent unintended behavior related to "
                    "OS signals",
                    location,
                )
        elif isinstance(instruction, HealthcheckInstruction):
            self._used_once(instruction)
        elif isinstance(instruction, WorkdirInstruction):
            if not self._stage.workdir_set and not _is_abs(instruction.path, build.platform.os):
                self._report(
                    rules.WORKDIR_RELATIVE_PATH,
                    f"Relative workdir {_golang.quote(instruction.path)} can have unexpected results if the base "
                    "image changes",
                    location,
                )
            self._stage.workdir_set = True
        elif isinstance(instruction, (CopyInstruction, AddInstruction)):
            self._copy_sources(instruction)

    def _undefined(
        self,
        env: Mapping[str, str],
        declared_args: Sequence[tuple[str, str | None]],
        location: SourceRange,
        per_word: Sequence[frozenset[str]],
    ) -> None:
        declared = {key for key, _ in declared_args}
        for unmatched in per_word:
            for name in sorted(unmatched):
                if name in declared or name in NON_ENV_ARGS:
                    continue
                suggestion = _golang.suggest(name, env, case_sensitive=True)
                self._report(
                    rules.UNDEFINED_VAR,
                    rules.with_suggestion(f"Usage of undefined variable '${name}'", suggestion, "$"),
                    location,
                )

    def _used_once(self, instruction: Instruction) -> None:
        # The earlier instruction is the one that has no effect, so it is the one reported.
        key = instruction.name
        previous = self._stage.used.get(key)
        if previous is not None:
            self._report(
                rules.MULTIPLE_INSTRUCTIONS_DISALLOWED,
                f"Multiple {instruction.keyword} instructions should not be used in the same stage because only the "
                "last one will be used",
                previous,
            )
        self._stage.used[key] = instruction.location

    def _secret(self, instruction: str, key: str, location: SourceRange) -> None:
        if _SECRET.search(key) and not _SECRET_ALLOWED.search(key):
            self._report(
                rules.SECRETS_USED_IN_ARG_OR_ENV,
                f"Do not use ARG or ENV instructions for sensitive data ({instruction} {_golang.quote(key)})",
                location,
            )

    def _copy_sources(self, instruction: CopyInstruction | AddInstruction) -> None:
        # Only files read from the main build context can be excluded by its .dockerignore.
        if self._ignore is None or (isinstance(instruction, CopyInstruction) and instruction.from_stage):
            return
        is_add = isinstance(instruction, AddInstruction)
        verb = "Add" if is_add else "Copy"
        for source in instruction.sources:
            if is_add and _is_remote(source):
                continue
            if self._ignore.matches_or_parent_matches(source):
                self._report(
                    rules.COPY_IGNORED_FILE,
                    f"Attempting to {verb} file {_golang.quote(source)} that is excluded by .dockerignore",
                    instruction.location,
                )


def _is_remote(source: str) -> bool:
    return "://" in source or source.startswith("git@")


def _legacy_message(keyword: str) -> str:
    return f'"{keyword} key=value" should be used instead of legacy "{keyword} key value" format'


def _is_abs(path: str, os_name: str) -> bool:
    if os_name == "windows":
        return bool(_WINDOWS_ABS.match(path))
    return path.startswith("/")
