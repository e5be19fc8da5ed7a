"""`--call=outline`: the build args, secrets and SSH agents a target uses, as the reference lists them.

The reference keeps, per stage, the ARG declarations it knows (the global ones, then the
stage's own) and the names the stage "uses": those its FROM expands, those it declares, and
transitively the global ARGs their defaults read. A stage FROM another stage starts from that
stage's state as it was before dispatch (globals plus its FROM's names), not after. The outline
of a target is its own list, then its base's, then the stages it reads (COPY --from, RUN
--mount from=), each name reported once, the first time it is met, sorted by line.

The values are the dispatched ones (a --build-arg, else the default expanded in the stage's
environment), so the stages are dispatched first (frontend.convert.dispatch_dockerfile).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from buildwright._golang import go_json
from buildwright._values import valueclass
from buildwright.dockerfile import ArgInstruction, Dockerfile, ShellLex, split_stages
from buildwright.frontend.args import default_args
from buildwright.frontend.convert import Dispatched
from buildwright.frontend.options import FrontendOptions
from buildwright.frontend.stage_build import StageBuild
from buildwright.frontend.stages import StageNode
from buildwright.location import SourceRange


@valueclass
class OutlineArg:
    name: str
    value: str
    description: str
    location: SourceRange


@valueclass
class OutlineMount:
    """A secret or an SSH agent a RUN of the target needs (`required` as its mount says)."""

    name: str
    required: bool
    location: SourceRange


@valueclass
class Outline:
    """What `docker buildx build --call=outline` shows for one target."""

    name: str
    description: str
    args: tuple[OutlineArg, ...]
    secrets: tuple[OutlineMount, ...]
    ssh: tuple[OutlineMount, ...]
    source: bytes

    def json(self) -> str:
        return outline_json(self)

    def text(self) -> str:
        return outline_text(self)


@valueclass
class _ArgInfo:
    value: str
    description: str
    location: SourceRange
    deps: frozenset[str] = frozenset()


@valueclass(frozen=False)
class _Capture:
    """One stage's bookkeeping (mutable while it is assembled, as the reference's maps are)."""

    all_args: dict[str, _ArgInfo] = field(default_factory=dict)
    used: dict[str, None] = field(default_factory=dict)  # insertion-ordered set
    secrets: dict[str, OutlineMount] = field(default_factory=dict)
    ssh: dict[str, OutlineMount] = field(default_factory=dict)

    def clone(self) -> _Capture:
        return _Capture(dict(self.all_args), dict(self.used), dict(self.secrets), dict(self.ssh))


def outline_of(dockerfile: Dockerfile, dispatched: Dispatched, options: FrontendOptions, source: bytes) -> Outline:
    """The outline of `dispatched.target` (dispatched with `options`)."""
    setup, graph = dispatched.setup, dispatched.graph
    meta, definitions = split_stages(dockerfile.instructions, dockerfile.lines)
    target_name = options.target or definitions[-1].name or ""
    defaults = default_args(options.build_platforms[0], setup.target_platform, options.build_args, target_name)
    global_capture = _Capture(all_args=_global_args(meta, defaults, options.build_args, setup.lex))

    # Before dispatch: each stage's capture as the reference registers it.
    initial: dict[int, _Capture] = {}
    for node in graph.stages:
        if node.implicit:
            continue
        parent = initial.get(node.base) if node.base is not None else None
        capture = (parent or global_capture).clone()
        if node.context is None:
            for name in _from_names(node, setup.lex, setup.global_args):
                capture.used[name] = None
        initial[node.index] = capture

    final: dict[int, _Capture] = {}
    for index, build in dispatched.builds.items():
        if index in initial:
            final[index] = _apply(initial[index].clone(), build)

    args: list[OutlineArg] = []
    secrets: list[OutlineMount] = []
    ssh: list[OutlineMount] = []
    _collect(dispatched.target, graph.stages, final, set(), set(), set(), args, secrets, ssh)
    from_ = dispatched.target.from_instruction
    return Outline(
        name=dispatched.target.name,
        description=from_.doc_comment if from_ is not None else "",
        args=tuple(sorted(args, key=lambda a: a.location.start_line)),
        secrets=tuple(sorted(secrets, key=lambda s: s.location.start_line)),
        ssh=tuple(sorted(ssh, key=lambda s: s.location.start_line)),
        source=source,
    )


def _global_args(
    meta: Sequence[ArgInstruction], defaults: Mapping[str, str], build_args: Mapping[str, str], lex: ShellLex
) -> dict[str, _ArgInfo]:
    # The global declarations replayed with the names each default reads (its dependencies);
    # the expansion errors were reported when the stages were planned.
    env = dict(defaults)
    out: dict[str, _ArgInfo] = {}
    for declaration in meta:
        for arg in declaration.args:
            deps: frozenset[str] = frozenset()
            value: str | None = None
            if arg.key in build_args:
                value = build_args[arg.key]
            elif arg.value is not None:
                result = lex.process(arg.value, env)
                value, deps = result.result, result.matched
                if arg.key in deps:
                    previous = out.get(arg.key)
                    deps = (deps - {arg.key}) | (previous.deps if previous else frozenset())
            if value is not None:
                env.pop(arg.key, None)
                env[arg.key] = value
            out[arg.key] = _ArgInfo(value or "", arg.doc_comment, declaration.location, deps)
    return out


def _from_names(node: StageNode, lex: ShellLex, global_args: Mapping[str, str]) -> frozenset[str]:
    from_ = node.from_instruction
    if from_ is None:
        return frozenset()
    names = lex.process(from_.image, global_args).matched
    if from_.platform:
        names |= lex.process(from_.platform, global_args).matched
    return names


def _apply(capture: _Capture, build: StageBuild) -> _Capture:
    for use in build.arg_uses:
        if not use.inherited:
            capture.all_args[use.key] = _ArgInfo(use.value or "", use.description, use.location)
        capture.used[use.key] = None
    for mount in build.mount_uses:
        found = capture.secrets if mount.kind == "secret" else capture.ssh
        found.setdefault(mount.id, OutlineMount(mount.id, mount.required, mount.location))
    return capture


def _mark_used(capture: _Capture) -> None:
    # The global ARGs that used defaults read are used too, transitively.
    visited: set[str] = set()
    pending = list(capture.used)
    while pending:
        name = pending.pop(0)
        if name in visited:
            continue
        visited.add(name)
        info = capture.all_args.get(name)
        if info is not None:
            pending.extend(sorted(info.deps))
        capture.used.setdefault(name, None)


def _collect(
    node: StageNode,
    stages: Sequence[StageNode],
    final: Mapping[int, _Capture],
    seen_args: set[str],
    seen_secrets: set[str],
    seen_ssh: set[str],
    args: list[OutlineArg],
    secrets: list[OutlineMount],
    ssh: list[OutlineMount],
) -> None:
    capture = final.get(node.index)
    if capture is None:
        return  # an image read by COPY --from: nothing declared
    _mark_used(capture)
    for name in capture.used:
        info = capture.all_args.get(name)
        if info is not None and name not in seen_args:
            args.append(OutlineArg(name, info.value, info.description, info.location))
            seen_args.add(name)
    for name, mount in capture.secrets.items():
        if name not in seen_secrets:
            secrets.append(mount)
            seen_secrets.add(name)
    for name, mount in capture.ssh.items():
        if name not in seen_ssh:
            ssh.append(mount)
            seen_ssh.add(name)
    following = [node.base] if node.base is not None else []
    following += sorted(node.deps)
    for index in following:
        _collect(stages[index], stages, final, seen_args, seen_secrets, seen_ssh, args, secrets, ssh)


def _location(location: SourceRange) -> dict[str, Any]:
    # One range per physical line, as the reference's parser reports an instruction.
    lines = range(location.start_line, location.end_line + 1)
    return {"ranges": [{"start": {"line": n}, "end": {"line": n}} for n in lines]}


def outline_json(outline: Outline) -> str:
    """The reference's subrequest JSON (Go's MarshalIndent, two spaces, empty fields left out)."""
    out: dict[str, Any] = {}
    if outline.name:
        out["name"] = outline.name
    if outline.description:
        out["description"] = outline.description
    if outline.args:
        items = []
        for arg in outline.args:
            item: dict[str, Any] = {"name": arg.name}
            if arg.description:
                item["description"] = arg.description
            if arg.value:
                item["value"] = arg.value
            item["location"] = _location(arg.location)
            items.append(item)
        out["args"] = items
    for key, mounts in (("secrets", outline.secrets), ("ssh", outline.ssh)):
        if mounts:
            entries = []
            for mount in mounts:
                entry: dict[str, Any] = {"name": mount.name}
                if mount.required:
                    entry["required"] = True
                entry["location"] = _location(mount.location)
                entries.append(entry)
            out[key] = entries
    out["sources"] = [base64.b64encode(outline.source).decode()]
    return go_json(out, indent=2)


def outline_text(outline: Outline) -> str:
    """The reference's text: the target, then tables of build args, secrets and SSH agents."""
    out: list[str] = []
    if outline.name or outline.description:
        rows: list[tuple[str, ...]] = [("TARGET:", outline.name or "(default)")]
        if outline.description:
            rows.append(("DESCRIPTION:", outline.description))
        out.append(_tabwrite(rows, padding=1) + "\n")
    if outline.args:
        args: list[tuple[str, ...]] = [("BUILD ARG", "VALUE", "DESCRIPTION")]
        args += [(a.name, a.value, a.description) for a in outline.args]
        out.append(_tabwrite(args, padding=3) + "\n")
    for title, mounts in (("SECRET", outline.secrets), ("SSH", outline.ssh)):
        if mounts:
            table = [(title, "REQUIRED")] + [(m.name, "true" if m.required else "") for m in mounts]
            out.append(_tabwrite(table, padding=3) + "\n")
    return "".join(out)


def _tabwrite(rows: Sequence[Sequence[str]], *, padding: int) -> str:
    # Go's tabwriter with minwidth 0 and ' ' padding: every cell but a row's last is padded to
    # its column's widest cell plus `padding` (the rows here all have the same cells).
    columns = len(rows[0]) - 1
    widths = [max(len(row[i]) for row in rows) + padding for i in range(columns)]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(columns)]
        lines.append("".join(cells) + row[-1] + "\n")
    return "".join(lines)
