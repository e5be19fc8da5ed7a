"""RUN: one exec over the stage's root, with its mounts, network mode and heredoc script.

A RUN whose whole command is one heredoc (`RUN <<EOF`) runs the document as the script: through
the shell as `sh -c <body>`, or, when the body starts with `#!`, as an executable file mounted
read-only under `/dev/pipes/`. Any other heredoc shape is handed to the shell verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from buildwright import _gopath, llb
from buildwright.dockerfile import RunInstruction
from buildwright.dockerfile.heredocs import chomp, heredoc_or_none
from buildwright.errors import DockerfileError
from buildwright.frontend.run_options import SHM_DIR
from buildwright.frontend.runmount import dispatch_run_mounts, masked_secret_env
from buildwright.frontend.stage_build import (
    COMMAND_DESCRIPTION_KEY,
    DEFAULT_SHELL,
    DispatchContext,
    StageBuild,
    commit,
    progress_text,
)
from buildwright.llb import caps
from buildwright.llb.exec import Mount, NetMode

PIPES_DIR = "/dev/pipes/"
INLINE_DOCUMENT_NAME = "[internal] preparing inline document"
_NETWORK = {"none": NetMode.NONE, "host": NetMode.HOST}
_DEVICE_UNSUPPORTED = "device feature is only supported in Dockerfile frontend 1.14.0-labs or later"


def dispatch_run(
    build: StageBuild,
    instruction: RunInstruction,
    sources: Sequence[StageBuild],
    context_state: llb.State,
    context: DispatchContext,
) -> StageBuild:
    """Lower one (already expanded) RUN; `sources` holds one stage per `--mount`, in order."""
    args = tuple(instruction.command)
    extra: list[llb.Mount | llb.SecretMount | llb.SSHMount] = []
    custom_name = instruction.original
    if instruction.heredocs:
        args, script_mount, summary = _heredoc_command(build, instruction)
        if script_mount is not None:
            extra.append(script_mount)
        if summary is not None:
            custom_name += f" ({summary})"
    if instruction.prepend_shell:
        shell = build.image.config.shell or DEFAULT_SHELL
        args = (*shell, " ".join(args))

    run_mounts = dispatch_run_mounts(build, instruction, sources, context_state, context)
    defaults = context.run_defaults
    network = defaults.network  # --network of the build, unless the RUN names one
    if instruction.network != "default":
        if instruction.network not in _NETWORK:
            raise DockerfileError(f'unsupported network mode "{instruction.network}"')
        network = _NETWORK[instruction.network]
    if instruction.devices and (context.llb_caps is None or caps.EXEC_META_CDI in context.llb_caps):
        # The engine's stable frontend has no RUN --device; it refuses it here, at dispatch.
        raise DockerfileError(_DEVICE_UNSUPPORTED)

    env = build.env()
    name_env = masked_secret_env(instruction, env)
    name = build.step_label(progress_text(context, custom_name, name_env, raw=True))
    mounts = [*extra, *run_mounts.mounts]
    if defaults.shm_size > 0:
        mounts.append(llb.tmpfs(SHM_DIR, size=defaults.shm_size))
    exec_state = build.state.run(
        list(args),
        mounts=mounts,
        network=network,
        hostname=defaults.hostname or None,
        extra_hosts=defaults.extra_hosts,
        ulimits=defaults.ulimits,
        cgroup_parent=defaults.cgroup_parent or None,
        proxy_env=context.proxy_env,
        custom_name=name,
        description={COMMAND_DESCRIPTION_KEY: instruction.original},
        location=instruction.location,
        ignore_cache=build.ignore_cache,
    )
    history = "RUN " + run_command_string(args, build.build_args, env) + " # buildkit"
    return commit(
        build,
        history,
        layer=True,
        state=exec_state.root(),
        context_paths=build.context_paths | run_mounts.context_paths,
        mount_uses=build.mount_uses + run_mounts.uses,
        cmd_index=build.next_step,
    )


def _heredoc_command(
    build: StageBuild, instruction: RunInstruction
) -> tuple[tuple[str, ...], Mount | None, str | None]:
    """The command of a RUN with heredocs, the script mount it may need, and the progress summary."""
    args = instruction.command
    if len(args) != 1 or not instruction.prepend_shell:
        raise DockerfileError(f"parsing produced an invalid run command: [{' '.join(args)}]")
    files = instruction.heredocs
    if heredoc_or_none(args[0]) is None:
        # Several documents, or a command around one: the shell reads them itself.
        full = args[0] + "".join(f"\n{doc.content}{doc.name}" for doc in files)
        return (full,), None, None
    first = files[0]
    data = chomp(first.content) if first.chomp else first.content
    summary = _summarize(first.content)
    if build.image.os != "windows" and first.content.startswith("#!"):
        script = (
            llb.scratch()
            .with_dir("/")
            .file(
                llb.mkfile(first.name, 0o755, data.encode("utf-8", "surrogateescape")),
                custom_name=INLINE_DOCUMENT_NAME,
                platform=build.platform,
            )
        )
        mount = llb.bind(PIPES_DIR, script, selector="/", readonly=True)
        return (_gopath.join(PIPES_DIR, first.name),), mount, summary
    return (data,), None, summary


def _summarize(document: str) -> str:
    lines = document.strip().replace("\r\n", "\n").split("\n")
    return lines[0] + ("..." if len(lines) > 1 else "")


def run_command_string(
    args: Sequence[str], build_args: tuple[tuple[str, str | None], ...], env: Mapping[str, str]
) -> str:
    """The history text of a RUN: `|N k=v ...` for the stage's ARGs (first position, last value), then args."""
    entries: dict[str, str] = {}
    for key, value in build_args:
        current = env.get(key)
        entries[key] = f"{key}={current if current is not None else (value or '')}"
    words = [f"|{len(entries)}", *entries.values()] if entries else []
    return " ".join([*words, *args])
