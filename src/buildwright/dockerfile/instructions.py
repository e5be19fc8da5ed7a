"""Typed instructions: one frozen dataclass per Dockerfile instruction.

Every instruction keeps its `location` (line range), `original` text and `keyword` as written.
`expand(expander)` returns a copy with exactly the fields the reference expands at dispatch
(see docs on each class); fields it does not expand are left as parsed.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Self

from buildwright._frozen import replace
from buildwright._values import valueclass
from buildwright.dockerfile.expansion import Expander
from buildwright.dockerfile.heredocs import Heredoc
from buildwright.dockerfile.lexer import ShellLex
from buildwright.dockerfile.mounts import MountError, MountSpec, parse_mount
from buildwright.errors import DockerfileError
from buildwright.location import SourceRange

COPY_FROM_EXPANSION_ERROR = (
    "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope "
    "as a workaround"
)


@valueclass
class KeyValue:
    """An ENV/LABEL pair; `no_delim` marks the legacy `KEY value` form."""

    key: str
    value: str
    no_delim: bool = False


@valueclass
class KeyValueOptional:
    """An ARG entry: `value` is None for a bare `ARG name`."""

    key: str
    value: str | None = None
    doc_comment: str = ""


@valueclass
class HeredocSource:
    """A COPY/ADD source given inline: `name` is the heredoc delimiter, `data` the (chomped) body."""

    name: str
    data: str
    expand: bool


@valueclass
class Device:
    """A `RUN --device` entry."""

    name: str
    required: bool = False


@valueclass(kw_only=True)
class Instruction:
    """Fields shared by every instruction."""

    location: SourceRange
    original: str
    keyword: str
    comments: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The lower-case instruction name (`run`, `copy`...)."""
        return self.keyword.lower()

    def expand(self, expander: Expander) -> Self:
        """Return a copy with the fields the reference expands expanded (none by default).

        Errors (bad substitution, `--from` with a variable, invalid `--mount`) are raised as
        DockerfileError located at this instruction.
        """
        try:
            return self._expand(expander)
        except DockerfileError as exc:
            exc.attach(self.location)
            raise

    def _expand(self, expander: Expander) -> Self:
        return self

    def _fail(self, message: str) -> DockerfileError:
        return DockerfileError(message, self.location)


@valueclass(kw_only=True)
class FromInstruction(Instruction):
    """`FROM [--platform=p] image [AS name]`; `image` and `platform` expand with global ARGs."""

    image: str
    stage_name: str = ""
    platform: str = ""
    as_keyword: str = ""
    stage_name_as_written: str = ""
    doc_comment: str = ""

    def _expand(self, expander: Expander) -> Self:
        return replace(self, image=expander.word(self.image), platform=expander.word(self.platform))


@valueclass(kw_only=True)
class RunInstruction(Instruction):
    """`RUN`: shell form (`prepend_shell`) or exec form.

    Before `expand()`, `mounts` hold only what the parse-time pass reads (`from`); `expand()`
    re-parses `mount_values` with the expander and fills every field.
    """

    command: tuple[str, ...]
    prepend_shell: bool
    heredocs: tuple[Heredoc, ...] = ()
    mount_values: tuple[str, ...] = ()
    mounts: tuple[MountSpec, ...] = ()
    network: str = "default"
    security: str = "sandbox"
    devices: tuple[Device, ...] = ()
    flags_used: frozenset[str] = field(default_factory=frozenset)

    def _expand(self, expander: Expander) -> Self:
        try:
            mounts = tuple(parse_mount(value, expander.word) for value in self.mount_values)
        except MountError as exc:
            raise self._fail(str(exc)) from exc
        return replace(self, mounts=mounts)


@valueclass(kw_only=True)
class CmdInstruction(Instruction):
    """`CMD`: never expanded."""

    command: tuple[str, ...]
    prepend_shell: bool
    heredocs: tuple[Heredoc, ...] = ()


@valueclass(kw_only=True)
class EntrypointInstruction(Instruction):
    """`ENTRYPOINT`: never expanded; `command` is None for an empty argument list."""

    command: tuple[str, ...] | None
    prepend_shell: bool
    heredocs: tuple[Heredoc, ...] = ()


@valueclass(kw_only=True)
class ShellInstruction(Instruction):
    """`SHELL ["exe", "arg"]`: never expanded."""

    shell: tuple[str, ...]


@valueclass(kw_only=True)
class _CopyBase(Instruction):
    sources: tuple[str, ...]
    dest: str
    heredocs: tuple[HeredocSource, ...] = ()
    chown: str = ""
    chmod: str = ""
    link: bool = False
    excludes: tuple[str, ...] = ()

    def _expand_common(self, expander: Expander, **extra: str) -> Self:
        chown = expander.word(self.chown)
        chmod = expander.word(self.chmod)
        expanded: dict[str, Any] = {key: expander.word(value) for key, value in extra.items()}
        sources = tuple(expander.word(source) for source in self.sources)
        dest = expander.word(self.dest)
        heredocs = tuple(replace(doc, data=expander.heredoc(doc.data)) if doc.expand else doc for doc in self.heredocs)
        return replace(self, chown=chown, chmod=chmod, sources=sources, dest=dest, heredocs=heredocs, **expanded)


@valueclass(kw_only=True)
class CopyInstruction(_CopyBase):
    """`COPY`: sources, dest, `--chown`, `--chmod` and expandable heredoc bodies are expanded.

    `--exclude` is kept literal; a `--from` value that any expansion would change is an error.
    """

    from_stage: str = ""

    def _expand(self, expander: Expander) -> Self:
        if self.from_stage and ShellLex(expander.escape).process_word(self.from_stage, {}) != self.from_stage:
            raise self._fail(COPY_FROM_EXPANSION_ERROR)
        return self._expand_common(expander)


@valueclass(kw_only=True)
class AddInstruction(_CopyBase):
    """`ADD`: as COPY plus `--checksum` expanded; `keep_git_dir`/`unpack` are None when not given."""

    checksum: str = ""
    keep_git_dir: bool | None = None
    unpack: bool | None = None

    def _expand(self, expander: Expander) -> Self:
        return self._expand_common(expander, checksum=self.checksum)


@valueclass(kw_only=True)
class ArgInstruction(Instruction):
    """`ARG k[=v] ...`: `expand()` expands default values only (keys never are)."""

    args: tuple[KeyValueOptional, ...]

    def _expand(self, expander: Expander) -> Self:
        return replace(
            self,
            args=tuple(arg if arg.value is None else replace(arg, value=expander.word(arg.value)) for arg in self.args),
        )


@valueclass(kw_only=True)
class EnvInstruction(Instruction):
    """`ENV`: keys and values expanded, all against the environment before the instruction."""

    pairs: tuple[KeyValue, ...]

    def _expand(self, expander: Expander) -> Self:
        return replace(self, pairs=_expand_pairs(self.pairs, expander))


@valueclass(kw_only=True)
class LabelInstruction(Instruction):
    """`LABEL`: keys and values expanded."""

    pairs: tuple[KeyValue, ...]

    def _expand(self, expander: Expander) -> Self:
        return replace(self, pairs=_expand_pairs(self.pairs, expander))


@valueclass(kw_only=True)
class WorkdirInstruction(Instruction):
    """`WORKDIR path`: expanded."""

    path: str

    def _expand(self, expander: Expander) -> Self:
        return replace(self, path=expander.word(self.path))


@valueclass(kw_only=True)
class UserInstruction(Instruction):
    """`USER user[:group]`: expanded, not validated."""

    user: str

    def _expand(self, expander: Expander) -> Self:
        return replace(self, user=expander.word(self.user))


@valueclass(kw_only=True)
class ExposeInstruction(Instruction):
    """`EXPOSE`: ports sorted as strings at parse time; expansion splits words (`$PORTS`)."""

    ports: tuple[str, ...]

    def _expand(self, expander: Expander) -> Self:
        return replace(self, ports=tuple(word for port in self.ports for word in expander.words(port)))


@valueclass(kw_only=True)
class VolumeInstruction(Instruction):
    """`VOLUME`: each entry expanded."""

    volumes: tuple[str, ...]

    def _expand(self, expander: Expander) -> Self:
        return replace(self, volumes=tuple(expander.word(volume) for volume in self.volumes))


@valueclass(kw_only=True)
class StopSignalInstruction(Instruction):
    """`STOPSIGNAL`: expanded (validated by the converter)."""

    signal: str

    def _expand(self, expander: Expander) -> Self:
        return replace(self, signal=expander.word(self.signal))


@valueclass(kw_only=True)
class HealthcheckInstruction(Instruction):
    """`HEALTHCHECK NONE` (`test == ("NONE",)`) or `HEALTHCHECK [opts] CMD ...`.

    Durations are nanoseconds, 0 when not given. Never expanded.
    """

    test: tuple[str, ...]
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


@valueclass(kw_only=True)
class MaintainerInstruction(Instruction):
    """`MAINTAINER`: never expanded."""

    maintainer: str


@valueclass(kw_only=True)
class OnbuildInstruction(Instruction):
    """`ONBUILD <instruction>`: `expression` is the trigger text (heredoc bodies appended)."""

    expression: str


def _expand_pairs(pairs: tuple[KeyValue, ...], expander: Expander) -> tuple[KeyValue, ...]:
    out: list[KeyValue] = []
    for pair in pairs:
        key = expander.word(pair.key)
        value = expander.word(pair.value)
        out.append(KeyValue(key, value, pair.no_delim))
    return tuple(out)
