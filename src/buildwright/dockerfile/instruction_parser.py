"""Nodes to typed instructions: argument counts, flags and per-instruction rules.

Mirrors the reference's `instructions.ParseInstruction`, including the order in which checks
run (so the first error reported is the same) and the message texts. Every error is raised as
a DockerfileError at the node's line range, with the reference's
`dockerfile parse error on line N: ` prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from buildwright import _golang
from buildwright._csvfields import CSVFieldError, csv_fields
from buildwright._durations import DurationError, parse_duration
from buildwright.dockerfile import keywords
from buildwright.dockerfile.flags import FlagError, FlagKind, FlagValues, parse_flags
from buildwright.dockerfile.heredocs import Heredoc, chomp, heredoc_or_none
from buildwright.dockerfile.instructions import (
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    Device,
    EntrypointInstruction,
    EnvInstruction,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    HeredocSource,
    Instruction,
    KeyValue,
    KeyValueOptional,
    LabelInstruction,
    MaintainerInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    StopSignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)
from buildwright.dockerfile.mounts import MountError, parse_mount
from buildwright.dockerfile.parser import Node
from buildwright.errors import DockerfileError
from buildwright.location import SourceRange

_B, _S, _L = FlagKind.BOOL, FlagKind.STRING, FlagKind.STRINGS
_NO_FLAGS: Mapping[str, tuple[FlagKind, str]] = {}
_STAGE_NAME = re.compile(r"[a-z][a-z0-9\-_.]*")
_ONBUILD_PREFIX = re.compile(r"^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*", re.IGNORECASE)
_ONE_MS = 1_000_000


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_instruction(
    node: Node, filename: str = "Dockerfile", source_lines: Sequence[str] = (), *, line_prefix: bool = True
) -> Instruction:
    """Turn one node into its typed instruction; raises DockerfileError.

    With `line_prefix` (how the reference parses a whole file) messages start with
    `dockerfile parse error on line N: `; ONBUILD triggers are parsed without it.
    """
    location = SourceRange(filename, node.start_line, node.end_line)
    try:
        return _Builder(node, location).build()
    except _Invalid as exc:
        message = exc.message
        if line_prefix:
            message = f"dockerfile parse error on line {node.start_line}: {message}"
        raise DockerfileError(message, location, source_lines) from exc


class _Builder:
    def __init__(self, node: Node, location: SourceRange) -> None:
        self.node = node
        self.args = node.all_args()
        self.common: dict[str, object] = {
            "location": location,
            "original": node.original,
            "keyword": node.keyword,
            "comments": node.comments,
        }

    def flags(self, spec: Mapping[str, tuple[FlagKind, str]]) -> FlagValues:
        try:
            return parse_flags(self.node.flags, spec)
        except FlagError as exc:
            raise _Invalid(str(exc)) from exc

    def build(self) -> Instruction:
        name = self.node.keyword.lower()
        method = getattr(self, "_" + name, None) if name in keywords.ALL else None
        if method is None:
            message = _golang.with_suggestion(
                f"unknown instruction: {self.node.keyword}",
                self.node.keyword,
                [k.upper() for k in keywords.ALL],
                case_sensitive=False,
            )
            raise _Invalid(message)
        result: Instruction = method()
        return result

    def _env(self) -> Instruction:
        self.flags(_NO_FLAGS)
        return EnvInstruction(pairs=self.kvps("ENV"), **self.common)  # type: ignore[arg-type]

    def _label(self) -> Instruction:
        self.flags(_NO_FLAGS)
        return LabelInstruction(pairs=self.kvps("LABEL"), **self.common)  # type: ignore[arg-type]

    def kvps(self, name: str) -> tuple[KeyValue, ...]:
        if not self.args:
            raise _Invalid(f"{name} requires at least one argument")
        if len(self.args) % 3 != 0:
            raise _Invalid(f"Bad input to {name}, too many arguments")
        pairs: list[KeyValue] = []
        for i in range(0, len(self.args), 3):
            key, value, delim = self.args[i : i + 3]
            if key == "":
                raise _Invalid(f"{name} names can not be blank")
            pairs.append(KeyValue(key, value, delim == ""))
        return tuple(pairs)

    def _maintainer(self) -> Instruction:
        if len(self.args) != 1:
            raise _Invalid("MAINTAINER requires exactly one argument")
        self.flags(_NO_FLAGS)
        return MaintainerInstruction(maintainer=self.args[0], **self.common)  # type: ignore[arg-type]

    def sources_and_dest(self, command: str) -> tuple[tuple[str, ...], str, tuple[HeredocSource, ...]]:
        *sources, dest = self.args
        if heredoc_or_none(dest) is not None:
            raise _Invalid(f"{command} cannot accept a heredoc as a destination")
        by_name: dict[str, Heredoc] = {doc.name: doc for doc in self.node.heredocs}
        paths: list[str] = []
        contents: list[HeredocSource] = []
        for source in sources:
            heredoc = heredoc_or_none(source)
            if heredoc is None:
                paths.append(source)
                continue
            found = by_name.get(heredoc.name)
            content = found.content if found is not None else ""
            if heredoc.chomp:
                content = chomp(content)
            contents.append(HeredocSource(heredoc.name, content, heredoc.expand))
        return tuple(paths), dest, tuple(contents)

    def _add(self) -> Instruction:
        if len(self.args) < 2:
            raise _Invalid(
                "ADD requires at least two arguments, but only one was provided. Destination could not be determined"
            )
        flags = self.flags(
            {
                "chown": (_S, ""),
                "chmod": (_S, ""),
                "link": (_B, "false"),
                "keep-git-dir": (_B, "false"),
                "checksum": (_S, ""),
                "unpack": (_B, "false"),
                "exclude": (_L, ""),
            }
        )
        sources, dest, heredocs = self.sources_and_dest("ADD")
        return AddInstruction(
            sources=sources,
            dest=dest,
            heredocs=heredocs,
            chown=flags.string("chown"),
            chmod=flags.string("chmod"),
            link=flags.boolean("link"),
            excludes=flags.strings("exclude"),
            checksum=flags.string("checksum"),
            keep_git_dir=flags.optional_bool("keep-git-dir"),
            unpack=flags.optional_bool("unpack"),
            **self.common,  # type: ignore[arg-type]
        )

    def _copy(self) -> Instruction:
        if len(self.args) < 2:
            raise _Invalid(
                "COPY requires at least two arguments, but only one was provided. Destination could not be determined"
            )
        flags = self.flags(
            {
                "chown": (_S, ""),
                "from": (_S, ""),
                "chmod": (_S, ""),
                "link": (_B, "false"),
                "exclude": (_L, ""),
                # No "parents": the engine's frontend (1.19) has COPY --parents only in its labs build.
            }
        )
        sources, dest, heredocs = self.sources_and_dest("COPY")
        return CopyInstruction(
            sources=sources,
            dest=dest,
            heredocs=heredocs,
            chown=flags.string("chown"),
            chmod=flags.string("chmod"),
            link=flags.boolean("link"),
            excludes=flags.strings("exclude"),
            from_stage=flags.string("from"),
            **self.common,  # type: ignore[arg-type]
        )

    def _from(self) -> Instruction:
        args = self.args
        stage_name = ""
        if len(args) == 3 and args[1].lower() == "as":
            stage_name = args[2].lower()
            if _STAGE_NAME.fullmatch(stage_name) is None:
                raise _Invalid(
                    f"invalid name for build stage: {_golang.quote(args[2])}, "
                    "name can't start with a number or contain symbols"
                )
        elif len(args) != 1:
            raise _Invalid("FROM requires either one or three arguments")
        flags = self.flags({"platform": (_S, "")})
        return FromInstruction(
            image=args[0],
            stage_name=stage_name,
            platform=flags.string("platform"),
            as_keyword=args[1] if len(args) == 3 else "",
            stage_name_as_written=args[2] if len(args) == 3 else "",
            doc_comment=_doc_comment(self.node.comments, stage_name),
            **self.common,  # type: ignore[arg-type]
        )

    def _onbuild(self) -> Instruction:
        if not self.args:
            raise _Invalid("ONBUILD requires at least one argument")
        self.flags(_NO_FLAGS)
        trigger = _golang.trim_space(self.args[0]).upper()
        if trigger == "ONBUILD":
            raise _Invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        if trigger in ("MAINTAINER", "FROM"):
            raise _Invalid(f"{trigger} isn't allowed as an ONBUILD trigger")
        expression = _ONBUILD_PREFIX.sub("", self.node.original, count=1)
        for heredoc in self.node.heredocs:
            expression += "\n" + heredoc.content + heredoc.name
        return OnbuildInstruction(expression=expression, **self.common)  # type: ignore[arg-type]

    def _workdir(self) -> Instruction:
        if len(self.args) != 1:
            raise _Invalid("WORKDIR requires exactly one argument")
        self.flags(_NO_FLAGS)
        return WorkdirInstruction(path=self.args[0], **self.common)  # type: ignore[arg-type]

    def cmdline(self) -> tuple[str, ...]:
        if not self.args:
            return ()
        if self.node.json:
            return self.args
        return (" ".join(self.args),)

    def _run(self) -> Instruction:
        flags = self.flags(
            {
                "device": (_L, ""),
                "mount": (_L, ""),
                "network": (_S, "default"),
                # No "security": the engine's frontend (1.19) is built without RUN --security.
            }
        )
        devices: list[Device] = []
        for value in flags.strings("device"):
            devices.append(_parse_device(value))
        mounts = []
        for value in flags.strings("mount"):
            try:
                mounts.append(parse_mount(value))
            except MountError as exc:
                raise _Invalid(str(exc)) from exc
        network = flags.string("network")
        if network not in ("default", "none", "host"):
            raise _Invalid(f"invalid network mode {_golang.quote(network)}")
        return RunInstruction(
            command=self.cmdline(),
            prepend_shell=not self.node.json,
            heredocs=self.node.heredocs,
            mount_values=flags.strings("mount"),
            mounts=tuple(mounts),
            network=network,
            devices=tuple(devices),
            flags_used=flags.used,
            **self.common,  # type: ignore[arg-type]
        )

    def _cmd(self) -> Instruction:
        self.flags(_NO_FLAGS)
        return CmdInstruction(
            command=self.cmdline(),
            prepend_shell=not self.node.json,
            heredocs=self.node.heredocs,
            **self.common,  # type: ignore[arg-type]
        )

    def _entrypoint(self) -> Instruction:
        self.flags(_NO_FLAGS)
        command = self.cmdline()
        return EntrypointInstruction(
            command=command or None,
            prepend_shell=not self.node.json,
            heredocs=self.node.heredocs,
            **self.common,  # type: ignore[arg-type]
        )

    def _healthcheck(self) -> Instruction:
        if not self.args:
            raise _Invalid("HEALTHCHECK requires at least one argument")
        kind = self.args[0].upper()
        rest = self.args[1:]
        if kind == "NONE":
            if rest:
                raise _Invalid("HEALTHCHECK NONE takes no arguments")
            return HealthcheckInstruction(test=("NONE",), **self.common)  # type: ignore[arg-type]
        flags = self.flags(
            {
                "interval": (_S, ""),
                "timeout": (_S, ""),
                "start-period": (_S, ""),
                "start-interval": (_S, ""),
                "retries": (_S, ""),
            }
        )
        if kind != "CMD":
            raise _Invalid(f"Unknown type {_golang.quote(kind)} in HEALTHCHECK (try CMD)")
        command = rest if self.node.json else ((" ".join(rest),) if rest else ())
        if not command:
            raise _Invalid("Missing command after HEALTHCHECK CMD")
        test = ("CMD" if self.node.json else "CMD-SHELL", *command)
        durations = [
            _interval(name, flags.string(name)) for name in ("interval", "timeout", "start-period", "start-interval")
        ]
        retries = 0
        if flags.string("retries"):
            retries = _parse_int32(flags.string("retries"))
            if retries < 0:
                raise _Invalid(f"--retries cannot be negative ({retries})")
        return HealthcheckInstruction(
            test=test,
            interval=durations[0],
            timeout=durations[1],
            start_period=durations[2],
            start_interval=durations[3],
            retries=retries,
            **self.common,  # type: ignore[arg-type]
        )

    def _expose(self) -> Instruction:
        if not self.args:
            raise _Invalid("EXPOSE requires at least one argument")
        self.flags(_NO_FLAGS)
        # Go sorts strings by bytes; sorting UTF-8 encodings gives the same order.
        ports = tuple(sorted(self.args, key=lambda p: p.encode("utf-8", "surrogateescape")))
        return ExposeInstruction(ports=ports, **self.common)  # type: ignore[arg-type]

    def _user(self) -> Instruction:
        if len(self.args) != 1:
            raise _Invalid("USER requires exactly one argument")
        self.flags(_NO_FLAGS)
        return UserInstruction(user=self.args[0], **self.common)  # type: ignore[arg-type]

    def _volume(self) -> Instruction:
        if not self.args:
            raise _Invalid("VOLUME requires at least one argument")
        self.flags(_NO_FLAGS)
        volumes: list[str] = []
        for value in self.args:
            value = _golang.trim_space(value)
            if value == "":
                raise _Invalid("VOLUME specified can not be an empty string")
            volumes.append(value)
        return VolumeInstruction(volumes=tuple(volumes), **self.common)  # type: ignore[arg-type]

    def _stopsignal(self) -> Instruction:
        # The reference never validates STOPSIGNAL flags.
        if len(self.args) != 1:
            raise _Invalid("STOPSIGNAL requires exactly one argument")
        return StopSignalInstruction(signal=self.args[0], **self.common)  # type: ignore[arg-type]

    def _arg(self) -> Instruction:
        # The reference never validates ARG flags either.
        if not self.args:
            raise _Invalid("ARG requires at least one argument")
        entries: list[KeyValueOptional] = []
        for arg in self.args:
            if "=" in arg:
                key, _, value = arg.partition("=")
                if key == "":
                    raise _Invalid("ARG names can not be blank")
                entries.append(KeyValueOptional(key, value, _doc_comment(self.node.comments, key)))
            else:
                entries.append(KeyValueOptional(arg, None, _doc_comment(self.node.comments, arg)))
        return ArgInstruction(args=tuple(entries), **self.common)  # type: ignore[arg-type]

    def _shell(self) -> Instruction:
        self.flags(_NO_FLAGS)
        shell = self.cmdline()
        if not shell:
            raise _Invalid("SHELL requires at least one argument")
        if not self.node.json:
            raise _Invalid("SHELL requires the arguments to be in JSON form")
        return ShellInstruction(shell=shell, **self.common)  # type: ignore[arg-type]


def _doc_comment(comments: Sequence[str], name: str) -> str:
    if not name:
        return ""
    for line in comments:
        if line.startswith(name + " "):
            return line[len(name) + 1 :]
    return ""


def _interval(name: str, value: str) -> int:
    if value == "":
        return 0
    try:
        nanos = parse_duration(value)
    except DurationError as exc:
        raise _Invalid(str(exc)) from exc
    if nanos == 0:
        return 0
    if nanos < _ONE_MS:
        raise _Invalid(f"Interval {_golang.quote(name)} cannot be less than 1ms")
    return nanos


def _parse_int32(value: str) -> int:
    quoted = _golang.quote(value)
    body = value[1:] if value[:1] in ("+", "-") else value
    if not body or not body.isascii() or not body.isdigit():
        raise _Invalid(f"strconv.ParseInt: parsing {quoted}: invalid syntax")
    number = int(value)
    if not -(2**31) <= number < 2**31:
        raise _Invalid(f"strconv.ParseInt: parsing {quoted}: value out of range")
    return number


def _parse_device(value: str) -> Device:
    try:
        fields = csv_fields(value)
    except CSVFieldError as exc:
        raise _Invalid(f"failed to parse csv devices: {exc}") from exc
    name = ""
    required = False
    for item in fields:
        key, has_value, val = item.partition("=")
        key = key.lower()
        if not has_value:
            if key == "required":
                required = True
                continue
            if name == "":
                name = item
                continue
            raise _Invalid(f"invalid field '{item}' must be a key=value pair")
        if key == "name":
            if name != "":
                raise _Invalid(f"device name already set to {name}")
            name = val
        elif key == "required":
            flag = _golang.parse_bool(val)
            if flag is None:
                raise _Invalid(f"invalid value for {key}: {val}")
            required = flag
        elif name == "":
            name = item
        else:
            raise _Invalid(
                _golang.with_suggestion(
                    f"unexpected key '{key}' in '{item}'", key, ("name", "required"), case_sensitive=True
                )
            )
    return Device(name, required)
