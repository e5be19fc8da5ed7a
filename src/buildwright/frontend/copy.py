"""COPY and ADD: one FileOp of copy actions from the context, a stage, an image or an inline document."""

from __future__ import annotations

from dataclasses import replace

from buildwright import llb
from buildwright.dockerfile import AddInstruction, CopyInstruction
from buildwright.errors import DockerfileError
from buildwright.frontend import paths
from buildwright.frontend.stage_build import COMMAND_DESCRIPTION_KEY, DispatchContext, StageBuild, commit, progress_text

_MAX_OCTAL_MODE = 0o7777


def dispatch_copy(
    build: StageBuild,
    instruction: CopyInstruction | AddInstruction,
    sources: tuple[StageBuild, ...],
    context_state: llb.State,
    context: DispatchContext,
) -> StageBuild:
    """Lower one COPY/ADD; `sources` holds the `--from` stage when there is one."""
    is_add = isinstance(instruction, AddInstruction)
    dest = paths.relative_to_workdir(build.state.dir, instruction.dest)
    mode = _parse_chmod(instruction.chmod) if instruction.chmod else None

    history = ["ADD" if is_add else "COPY"]
    if getattr(instruction, "parents", False):
        history.append("--parents")
    if instruction.chown:
        history.append(f"--chown={instruction.chown}")
    if instruction.chmod:
        history.append(f"--chmod={instruction.chmod}")

    env = build.env()
    name, build = build.step_name(progress_text(context, instruction.original, env))
    source_state = sources[0].state if sources else context_state
    action: llb.FileAction | None = None
    used_paths: set[str] = set()
    for src in instruction.sources:
        if src.startswith(("http://", "https://")) or _looks_like_git(src):
            raise context.error(
                f"{'ADD' if is_add else 'COPY'} from a URL or git source is not supported yet", instruction
            )
        history.append(src)
        used_paths.add(paths.join("/", src))
        copy = llb.CopyInfo(
            mode=mode,
            follow_symlinks=True,
            copy_dir_contents_only=True,
            attempt_unpack=is_add,
            create_dest_path=True,
            allow_wildcard=True,
            allow_empty_wildcard=True,
            exclude_patterns=tuple(instruction.excludes),
            chown=instruction.chown or None,
        )
        source_path = paths.normalize("/", src, keep_slash=False)
        action = _chain(action, source_state, source_path, dest, copy)

    for heredoc in instruction.heredocs:
        history.append(f"<<{heredoc.name}")
        document = llb.scratch().file(
            llb.mkfile(heredoc.name, 0o644, heredoc.data.encode()),
            custom_name="[internal] preparing inline document",
            platform=build.platform,
        )
        copy = llb.CopyInfo(
            mode=mode,
            create_dest_path=True,
            chown=instruction.chown or None,
            exclude_patterns=tuple(instruction.excludes),
        )
        action = _chain(action, document, heredoc.name, dest, copy)

    if action is None:
        raise context.error("no sources to copy", instruction)
    history.append(instruction.dest)
    state = build.state.file(
        action,
        custom_name=name,
        description={COMMAND_DESCRIPTION_KEY: instruction.original},
        location=instruction.location,
        ignore_cache=build.ignore_cache,
    )
    # Only paths read from the main context narrow its upload; a --from stage is not the context.
    context_paths = build.context_paths if sources else build.context_paths | used_paths
    updated = replace(build, state=state, context_paths=context_paths)
    return commit(updated, " ".join(history) + " # buildkit", layer=True)


def _chain(action: llb.FileAction | None, source: llb.State, src: str, dest: str, info: llb.CopyInfo) -> llb.FileAction:
    if action is None:
        return llb.copy(source, src, dest, info)
    return action.copy(source, src, dest, info)


def _parse_chmod(text: str) -> int:
    try:
        value = int(text, 8)
    except ValueError:
        raise DockerfileError(
            f"invalid chmod parameter: '{text}'. it should be octal string and between 0 and 07777"
        ) from None
    if value > _MAX_OCTAL_MODE or value < 0:
        raise DockerfileError(f"invalid chmod parameter: '{text}'. it should be octal string and between 0 and 07777")
    return value


def _looks_like_git(src: str) -> bool:
    return src.startswith(("git@", "git://")) or (src.startswith("ssh://") and ".git" in src)
