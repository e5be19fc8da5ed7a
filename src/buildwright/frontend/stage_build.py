"""The value a stage is while it is dispatched, and what every converter shares."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import UTC, datetime
from typing import Any, Protocol

from buildwright import llb
from buildwright._frozen import replace
from buildwright._values import valueclass
from buildwright.dockerfile import Dockerfile, Instruction, ShellLex
from buildwright.errors import DockerfileError
from buildwright.frontend.image import ContainerConfig, ImageConfig
from buildwright.frontend.platform_names import step_prefix
from buildwright.frontend.run_options import RunDefaults
from buildwright.frontend.stages import StageNode
from buildwright.llb.platform import Platform
from buildwright.location import SourceRange

COMMAND_DESCRIPTION_KEY = "com.docker.dockerfile.v1.command"
DEFAULT_SHELL = ("/bin/sh", "-c")
# ARGs that steer the frontend and never reach a RUN environment.
NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})


class DispatchRules(Protocol):
    """The build checks that fire while the stages are dispatched (frontend.lint implements them).

    The converters call these at the points the reference runs its rules, with the stage as it
    is before the instruction takes effect; the rules only observe and never change the LLB.
    """

    def stage(self, build: StageBuild) -> None:
        """A stage's dispatch begins: its base config is applied, no instruction has run."""
        ...

    def expanded(self, build: StageBuild, location: SourceRange, unmatched: Sequence[frozenset[str]]) -> None:
        """An instruction's words were expanded; `unmatched` holds, per word, the names not found."""
        ...

    def instruction(self, build: StageBuild, instruction: Instruction) -> None:
        """An instruction is about to be converted (`instruction` is expanded)."""
        ...

    def arg(
        self,
        location: SourceRange,
        key: str,
        env: Mapping[str, str],
        declared: Sequence[tuple[str, str | None]],
        unmatched: frozenset[str] | None,
    ) -> None:
        """One `ARG` entry, with the environment and declared args the entries before it left;
        `unmatched` is what its default's expansion did not find (None: the default was not used)."""
        ...

    def port(self, location: SourceRange, raw: str, proto: str, mapped: bool) -> None:
        """One EXPOSE port was split: its protocol as written and whether it maps an IP or host port."""
        ...


@valueclass
class DispatchContext:
    """What every converter may read: the Dockerfile, the lexer, the global args, the target platform."""

    dockerfile: Dockerfile
    lex: ShellLex
    global_args: Mapping[str, str]
    build_args: Mapping[str, str]
    target_platform: Platform
    llb_caps: frozenset[str] | None = None
    # SOURCE_DATE_EPOCH: the time of new history entries and of WORKDIR directories.
    epoch: datetime | None = None
    # Proxy build args for every RUN (ExecOp meta.proxy_env, outside the cache key); None when none given.
    proxy_env: llb.ProxyEnv | None = None
    # How base images resolve ("default", "pull", "local"); the reference records it on each FROM image op.
    image_resolve_mode: str = "default"
    # Build-wide RUN settings, already resolved for this engine (frontend.run_options).
    run_defaults: RunDefaults = field(default_factory=RunDefaults)
    # A multi-platform build: step names and image resolutions carry the platform.
    multi_platform: bool = False
    # The build checks to run during dispatch (None: none, nothing is recorded for them).
    rules: DispatchRules | None = None

    def error(self, message: str, instruction: Instruction) -> DockerfileError:
        return DockerfileError(message, instruction.location, self.dockerfile.lines)


@valueclass
class ArgUse:
    """An ARG the stage declared, for `--call=outline`: its value as dispatched and its doc comment.

    `inherited` marks a bare `ARG name` that takes the global value: the outline then keeps the
    global declaration's value and description, as the reference does.
    """

    key: str
    value: str | None
    description: str
    location: SourceRange
    inherited: bool


@valueclass
class MountUse:
    """A secret or SSH mount a RUN of the stage uses, for `--call=outline`."""

    kind: str  # "secret" or "ssh"
    id: str
    required: bool
    location: SourceRange


@valueclass
class StageBuild:
    """A stage part-way through dispatch: its LLB state, image config and bookkeeping."""

    node: StageNode
    display_name: str
    state: llb.State
    image: ImageConfig
    platform: Platform
    cmd_total: int
    cmd_index: int = 0
    build_args: tuple[tuple[str, str | None], ...] = ()
    ignore_cache: bool = False
    cmd_set: bool = False
    onbuild_step: bool = False  # the instruction being dispatched is an inherited ONBUILD trigger
    epoch: datetime | None = None  # SOURCE_DATE_EPOCH, stamped on the history entries this stage adds
    context_paths: frozenset[str] = field(default_factory=frozenset)
    # A multi-platform build names every step after its platform (`[linux/arm64 stage 1/2] ...`).
    platform_prefix: bool = False
    # What `--call=outline` reports, in dispatch order (never part of the LLB).
    arg_uses: tuple[ArgUse, ...] = ()
    mount_uses: tuple[MountUse, ...] = ()

    def step_label(self, text: str) -> str:
        """The progress name `[stage i/n] TEXT` of the next step (the stage's `next_step`)."""
        if self.cmd_total == 0:
            return text
        width = int(1 + math.log10(self.cmd_total))
        prefix = f"{step_prefix(self.platform, self.env())} " if self.platform_prefix else ""
        prefix += f"{self.display_name} " if self.display_name else ""
        onbuild = "ONBUILD " if self.onbuild_step else ""
        return f"[{prefix}{self.next_step:>{width}}/{self.cmd_total}] {onbuild}{text}"

    @property
    def next_step(self) -> int:
        """The `cmd_index` once the next step is named: a converter passes it to `commit`, so
        naming a step costs no copy of the stage of its own."""
        return self.cmd_index + 1 if self.cmd_total else self.cmd_index

    def env(self) -> dict[str, str]:
        return self.state.env.as_dict()


def commit(
    build: StageBuild,
    created_by: str,
    *,
    layer: bool = False,
    config: ContainerConfig | None = None,
    **changes: Any,
) -> StageBuild:
    """The stage with `changes` made and a history entry for `created_by` added to its image,
    whose container config becomes `config` when one is given.

    The changes are made here, in the one copy of the stage (and of its image) that adds the
    entry: a stage is copied several times per instruction, and each copy of its many fields
    counts on a large file.
    """
    created = None if build.epoch is None else go_time(build.epoch)
    image: ImageConfig = changes.pop("image", build.image)
    image = image.with_history(created_by, empty_layer=not layer, created=created, config=config)
    return replace(build, image=image, **changes)


def go_time(moment: datetime) -> str:
    """A UTC time as Go's encoding/json writes a time.Time (RFC 3339, fraction only when non-zero)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"


def progress_text(context: DispatchContext, original: str, env: Mapping[str, str], *, raw: bool = False) -> str:
    """The instruction text shown in progress: variables expanded, keyword upper-cased."""
    try:
        lex = context.lex.with_options(raw_quotes=True, skip_unset_env=True) if raw else context.lex
        text = lex.process_word(original, env)
    except DockerfileError:
        text = original
    keyword, sep, rest = text.partition(" ")
    return keyword.upper() + sep + rest
