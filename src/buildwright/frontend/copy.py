"""COPY and ADD: one FileOp of copy actions from the context, a stage, an image, a download, a git
repository or an inline document; with `--link`, that FileOp runs on scratch and is merged on top.

The op shapes follow the engine's frontend (Dockerfile 1.19, `dispatchCopy`): which source kinds
are allowed, the copy options each kind gets, the names and progress groups, the history text.
"""

from __future__ import annotations

import hashlib

from buildwright import llb
from buildwright._frozen import replace
from buildwright._golang import quote
from buildwright._values import valueclass
from buildwright.dockerfile import AddInstruction, CopyInstruction
from buildwright.errors import DockerfileError
from buildwright.frontend import paths
from buildwright.frontend.chmod import parse_chmod
from buildwright.frontend.gitref import GitRef, parse_git_ref
from buildwright.frontend.http_source import check_digest, download_filename, has_http_scheme
from buildwright.frontend.stage_build import COMMAND_DESCRIPTION_KEY, DispatchContext, StageBuild, commit, progress_text

_INLINE_DOCUMENT_NAME = "[internal] preparing inline document"
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"

CopyLike = CopyInstruction | AddInstruction


@valueclass
class _Copies:
    """One instruction's copy actions as they are chained, and what its git sources carry forward.

    The reference lets a git URL's `keep-git-dir`/`checksum` stand for the sources after it too.
    """

    instruction: CopyLike
    dest: str
    mode: int | str | None
    step_name: str
    action: llb.FileAction | None = None
    keep_git_dir: bool | None = None
    checksum: str = ""

    def options(self, *, attempt_unpack: bool = False, from_filesystem: bool = False) -> llb.CopyInfo:
        """Copy options every source kind shares; paths in a filesystem also follow symlinks,
        copy directory contents and may be wildcards (matching nothing is fine)."""
        return llb.CopyInfo(
            mode=self.mode,
            chown=self.instruction.chown or None,
            exclude_patterns=tuple(self.instruction.excludes),
            create_dest_path=True,
            attempt_unpack=attempt_unpack,
            follow_symlinks=from_filesystem,
            copy_dir_contents_only=from_filesystem,
            allow_wildcard=from_filesystem,
            allow_empty_wildcard=from_filesystem,
        )

    def then(self, source: llb.State, src: str, info: llb.CopyInfo) -> _Copies:
        """Chain one more copy of `src` in `source` to the destination."""
        if self.action is None:
            return replace(self, action=llb.copy(source, src, self.dest, info))
        return replace(self, action=self.action.copy(source, src, self.dest, info))


def dispatch_copy(
    build: StageBuild,
    instruction: CopyLike,
    sources: tuple[StageBuild, ...],
    context_state: llb.State,
    context: DispatchContext,
) -> StageBuild:
    """Lower one COPY/ADD; `sources` holds the `--from` stage when there is one."""
    is_add = isinstance(instruction, AddInstruction)
    dest = paths.relative_to_workdir(build.state.dir, instruction.dest)
    mode = parse_chmod(instruction.chmod) if instruction.chmod else None
    checksum = instruction.checksum if isinstance(instruction, AddInstruction) else ""
    if checksum:
        if len(instruction.sources) != 1:
            raise DockerfileError("checksum can't be specified for multiple sources")
        if not has_http_scheme(instruction.sources[0]) and not _is_git(instruction.sources[0]):
            raise DockerfileError("checksum requires HTTP(S) or Git sources")

    history = ["ADD" if is_add else "COPY"]
    if instruction.chown:
        history.append(f"--chown={instruction.chown}")
    if instruction.chmod:
        history.append(f"--chmod={instruction.chmod}")

    text = progress_text(context, instruction.original, build.env())
    name = build.step_label(text)
    keep_git_dir = instruction.keep_git_dir if isinstance(instruction, AddInstruction) else None
    copies = _Copies(instruction, dest, mode, name, keep_git_dir=keep_git_dir, checksum=checksum)
    source_state = sources[0].state if sources else context_state
    for src in instruction.sources:
        history.append(src)
        copies = _copy_source(copies, src, source_state)
    for heredoc in instruction.heredocs:
        history.append(f"<<{heredoc.name}")
        document = llb.scratch().file(
            # A bytes field: the reference writes the heredoc's bytes as they are, valid UTF-8 or not.
            llb.mkfile(heredoc.name, 0o644, heredoc.data.encode("utf-8", "surrogateescape")),
            custom_name=_INLINE_DOCUMENT_NAME,
            platform=build.platform,
        )
        copies = copies.then(document, heredoc.name, copies.options())
    if copies.action is None:
        raise DockerfileError("no sources to copy")
    history.append(instruction.dest)

    state = _apply(build, instruction, copies.action, text, context)
    context_paths = build.context_paths | _context_paths(instruction, sources)
    history_text = " ".join(history) + " # buildkit"
    return commit(build, history_text, layer=True, state=state, context_paths=context_paths, cmd_index=build.next_step)


def _copy_source(copies: _Copies, src: str, source_state: llb.State) -> _Copies:
    """Chain the copy of one source path: a git repository, a download, or a path in `source_state`."""
    instruction = copies.instruction
    is_add = isinstance(instruction, AddInstruction)
    parsed = parse_git_ref(src)
    if parsed.error is not None and parsed.is_git:
        raise DockerfileError(parsed.error)
    if parsed.ref is not None and not parsed.ref.indistinguishable_from_local:
        if not is_add:
            raise DockerfileError("source can't be a git ref for COPY")
        return _copy_git(copies, parsed.ref)
    if has_http_scheme(src):
        if not is_add:
            raise DockerfileError("source can't be a URL for COPY")
        filename = download_filename(src)
        download = llb.http(
            src,
            filename=filename,
            checksum=check_digest(copies.checksum) if copies.checksum else None,
            custom_name=copies.step_name,
            # The reference describes downloads with a command text it cannot print: empty.
            description={COMMAND_DESCRIPTION_KEY: ""},
            # Not in the reference: the range (source map only, never a cache key) lets a failed
            # download name its Dockerfile line.
            location=instruction.location,
        )
        unpack = instruction.unpack if isinstance(instruction, AddInstruction) else None
        return copies.then(download, filename, copies.options(attempt_unpack=bool(unpack)))
    unpack = instruction.unpack if isinstance(instruction, AddInstruction) else None
    info = copies.options(attempt_unpack=is_add if unpack is None else unpack, from_filesystem=True)
    return copies.then(source_state, paths.normalize("/", src, keep_slash=False), info)


def _copy_git(copies: _Copies, ref: GitRef) -> _Copies:
    keep_git_dir = copies.keep_git_dir
    if keep_git_dir is not None and ref.keep_git_dir is not None and keep_git_dir != ref.keep_git_dir:
        raise DockerfileError("inconsistent keep-git-dir configuration")
    if ref.keep_git_dir is not None:
        keep_git_dir = ref.keep_git_dir
    checksum = copies.checksum
    if checksum and ref.checksum and checksum != ref.checksum:
        raise DockerfileError(f"checksum mismatch {quote(checksum)} != {quote(ref.checksum)}")
    checksum = ref.checksum or checksum
    repository = llb.git(
        ref.remote,
        "",
        ref=ref.ref,
        subdir=ref.subdir or None,
        keep_git_dir=bool(keep_git_dir),
        checksum=checksum or None,
        skip_submodules=ref.submodules is False,
        custom_name=copies.step_name,
        # Not in the reference, as for downloads: a failed checkout names its Dockerfile line.
        location=copies.instruction.location,
    )
    copies = replace(copies, keep_git_dir=keep_git_dir, checksum=checksum)
    return copies.then(repository, "/", copies.options())


def _apply(
    build: StageBuild,
    instruction: CopyLike,
    action: llb.FileAction,
    text: str,
    context: DispatchContext,
) -> llb.State:
    """Run the copies on the stage, or with `--link` on scratch, merged onto the stage."""
    # Unlike RUN, the reference gives copy ops no command description: only a name and a location.
    name = build.step_label(text)
    caps = context.llb_caps
    # Unknown caps (compiling without an engine) and --chmod keep the plain copy, as the reference does.
    if not instruction.link or instruction.chmod or caps is None or llb.caps.MERGE_OP not in caps:
        return build.state.file(
            action,
            custom_name=name,
            location=instruction.location,
            ignore_cache=build.ignore_cache,
        )
    link_name = build.step_label("LINK " + text)
    group_id = _progress_group_id(context, build, instruction, name)
    layer = llb.scratch().file(
        action,
        custom_name=name,
        location=instruction.location,
        ignore_cache=build.ignore_cache,
        progress_group=llb.ProgressGroup(group_id, name, weak=True),
        platform=build.platform,
    )
    merged = llb.merge(
        [build.state, layer],
        custom_name=link_name,
        location=instruction.location,
        ignore_cache=build.ignore_cache,
        progress_group=llb.ProgressGroup(group_id, name, weak=False),
    )
    # The merge keeps the stage's settings (env, workdir...) even when the stage was scratch.
    return build.state.with_output(merged.output)


def _context_paths(instruction: CopyLike, sources: tuple[StageBuild, ...]) -> frozenset[str]:
    # Only paths read from the main context narrow its upload; a --from stage is not the context.
    # ADD leaves out downloads only: git sources count, as in the reference.
    if sources:
        return frozenset()
    used = instruction.sources
    if isinstance(instruction, AddInstruction):
        used = tuple(src for src in used if not has_http_scheme(src))
    return frozenset(paths.join("/", src) for src in used)


def _is_git(source: str) -> bool:
    parsed = parse_git_ref(source)
    return parsed.ref is not None and parsed.is_git


def _progress_group_id(context: DispatchContext, build: StageBuild, instruction: CopyLike, name: str) -> str:
    # The reference draws a random id; any id unique within the build groups the same two vertexes,
    # and a derived one keeps compiling deterministic. It lives in op metadata, outside cache keys.
    seed = f"{context.dockerfile.filename}\0{build.node.index}\0{instruction.location}\0{name}".encode()
    number = int.from_bytes(hashlib.sha256(seed).digest()[:16], "big")
    digits = []
    for _ in range(25):
        number, rest = divmod(number, 36)
        digits.append(_BASE36[rest])
    return "".join(digits)
