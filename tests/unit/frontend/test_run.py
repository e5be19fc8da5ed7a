"""RUN lowering without an engine: mounts, network, heredoc scripts, names and history."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from buildwright.errors import DockerfileError
from buildwright.frontend.options import CompiledBuild
from tests.unit.frontend.test_convert import compile_text, custom_names, ops


def exec_ops(compiled: CompiledBuild) -> list[dict[str, Any]]:
    return [op["op"]["exec"] for op in ops(compiled) if "exec" in op["op"]]


def last_exec(text: str, **options: Any) -> dict[str, Any]:
    compiled, _ = compile_text(text, **options)
    return exec_ops(compiled)[-1]


def mounts_by_dest(exec_op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["dest"]: m for m in exec_op["mounts"]}


def local_attrs(compiled: CompiledBuild) -> dict[str, str]:
    for op in ops(compiled):
        source = op["op"].get("source", {})
        if source.get("identifier", "").startswith("local://"):
            return source.get("attrs", {})  # type: ignore[no-any-return]
    return {}


def history(compiled: CompiledBuild) -> list[str]:
    config = json.loads(compiled.image_config)
    return [entry["created_by"] for entry in config["history"]]


def test_plain_run_keeps_single_stage_names() -> None:
    compiled, _ = compile_text("FROM busybox\nRUN echo hi\n")
    assert "[2/2] RUN echo hi" in custom_names(compiled)
    assert exec_ops(compiled)[-1]["meta"]["args"] == ["/bin/sh", "-c", "echo hi"]


def test_any_mount_adds_the_implicit_scratch_stage_to_names() -> None:
    # The reference registers a scratch stage per mount without from=, so names get `stage-0`.
    compiled, _ = compile_text("FROM busybox\nRUN --mount=type=tmpfs,target=/t true\n")
    assert "[stage-0 2/2] RUN --mount=type=tmpfs,target=/t true" in custom_names(compiled)


def test_bind_mount_from_context_reads_only_its_source() -> None:
    compiled, _ = compile_text("FROM busybox\nWORKDIR /w\nRUN --mount=source=data/x,target=rel cat rel\n")
    mount = mounts_by_dest(exec_ops(compiled)[-1])["/w/rel"]
    assert mount["readonly"] is True and mount["selector"] == "/data/x"
    assert json.loads(local_attrs(compiled)["local.followpaths"]) == ["data/x"]


def test_tmpfs_without_from_makes_the_whole_context_used() -> None:
    compiled, _ = compile_text(
        "FROM busybox\nCOPY a.txt /\nRUN --mount=type=tmpfs,target=/t,size=64m true\n"
        "RUN --mount=type=secret,id=s true\n"
    )
    assert "local.followpaths" not in local_attrs(compiled)
    tmpfs = mounts_by_dest(exec_ops(compiled)[0])["/t"]
    assert tmpfs["mountType"] == "TMPFS" and tmpfs["TmpfsOpt"]["size"] == str(64 << 20)


def test_secret_and_ssh_mounts_do_not_touch_the_context() -> None:
    compiled, _ = compile_text("FROM busybox\nCOPY a.txt /\nRUN --mount=type=secret,id=s --mount=type=ssh true\n")
    assert json.loads(local_attrs(compiled)["local.followpaths"]) == ["a.txt"]


def test_read_write_bind_mount_has_no_output_when_the_engine_can_discard_it() -> None:
    text = "FROM busybox\nRUN --mount=target=/x,rw true\n"
    assert mounts_by_dest(last_exec(text))["/x"]["output"] == "-1"
    older = frozenset({"exec.meta.base", "exec.mount.bind", "exec.mount.selector", "file.base", "source.image"})
    assert mounts_by_dest(last_exec(text, llb_caps=older))["/x"]["output"] == "1"


@pytest.mark.parametrize(
    ("mount", "build_args", "cache_id"),
    [
        ("type=cache,target=/root/.cache", {}, "//root/.cache"),
        ("type=cache,target=rel/../dir/", {}, "/dir"),
        ("type=cache,target=/c,id=mine", {"BUILDKIT_CACHE_MOUNT_NS": "ns"}, "ns/mine"),
    ],
)
def test_cache_mount_ids(mount: str, build_args: dict[str, str], cache_id: str) -> None:
    exec_op = last_exec(f"FROM busybox\nRUN --mount={mount} true\n", build_args=build_args)
    cache = next(m for m in exec_op["mounts"] if m.get("mountType") == "CACHE")
    assert cache["cacheOpt"]["ID"] == cache_id
    assert cache["output"] == "-1" and cache["input"] == "-1"


def test_cache_mount_permissions_seed_a_directory() -> None:
    compiled, _ = compile_text("FROM busybox\nRUN --mount=type=cache,target=/c,uid=10,gid=20,mode=0700 true\n")
    assert "[internal] setting cache mount permissions" in custom_names(compiled)
    mkdir = next(op["op"]["file"]["actions"][0]["mkdir"] for op in ops(compiled) if "file" in op["op"])
    assert mkdir["path"] == "/cache" and mkdir["mode"] == 0o700
    assert mkdir["owner"] == {"user": {"byID": 10}, "group": {"byID": 20}}
    cache = mounts_by_dest(exec_ops(compiled)[-1])["/c"]
    assert cache["selector"] == "/cache" and cache["cacheOpt"] == {"ID": "//c"}


def test_cache_sharing_and_from_stage() -> None:
    text = (
        "FROM busybox AS seed\nRUN true\nFROM busybox\n"
        "RUN --mount=type=cache,target=/c,from=seed,source=/s,sharing=locked true\n"
    )
    compiled, _ = compile_text(text)
    cache = mounts_by_dest(exec_ops(compiled)[-1])["/c"]
    assert cache["cacheOpt"] == {"ID": "//c", "sharing": "LOCKED"}
    assert cache["selector"] == "/s" and cache["input"] == "1"


def test_secret_defaults_and_env_only_secrets() -> None:
    exec_op = last_exec(
        "FROM busybox\nRUN --mount=type=secret,id=a/b --mount=type=secret,id=tok,env=TOKEN,required "
        "--mount=type=secret,target=/etc/x,mode=0444,uid=5 true\n"
    )
    mounts = mounts_by_dest(exec_op)
    assert mounts["/run/secrets/b"]["secretOpt"] == {"ID": "a/b", "mode": 0o400, "optional": True}
    assert mounts["/etc/x"]["secretOpt"] == {"ID": "x", "uid": 5, "mode": 0o444, "optional": True}
    assert exec_op["secretenv"] == [{"ID": "tok", "name": "TOKEN"}]
    assert not any(m["dest"].startswith("/run/secrets/tok") for m in exec_op["mounts"])


def test_secret_env_is_masked_in_the_step_name_only() -> None:
    compiled, _ = compile_text("FROM busybox\nENV TOKEN=visible\nRUN --mount=type=secret,id=t,env=TOKEN echo $TOKEN\n")
    assert any(name.endswith("RUN --mount=type=secret,id=t,env=TOKEN echo ****") for name in custom_names(compiled))
    assert "TOKEN=visible" in exec_ops(compiled)[-1]["meta"]["env"]


def test_ssh_mounts_set_the_agent_socket_env() -> None:
    exec_op = last_exec("FROM busybox\nRUN --mount=type=ssh --mount=type=ssh,id=deploy,target=/a.sock,required true\n")
    mounts = mounts_by_dest(exec_op)
    assert mounts["/run/buildkit/ssh_agent.0"]["SSHOpt"] == {"mode": 0o600, "optional": True}
    assert mounts["/a.sock"]["SSHOpt"] == {"ID": "deploy", "mode": 0o600}
    assert "SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0" in exec_op["meta"]["env"]


@pytest.mark.parametrize(("flag", "mode"), [("none", "NONE"), ("host", "HOST")])
def test_network_modes(flag: str, mode: str) -> None:
    assert last_exec(f"FROM busybox\nRUN --network={flag} true\n")["network"] == mode


def test_default_network_is_the_sandbox() -> None:
    assert "network" not in last_exec("FROM busybox\nRUN --network=default true\n")


def test_single_heredoc_runs_its_body_through_the_shell() -> None:
    compiled, _ = compile_text("FROM busybox\nRUN <<EOF\necho a\necho b\nEOF\n")
    assert exec_ops(compiled)[-1]["meta"]["args"] == ["/bin/sh", "-c", "echo a\necho b\n"]
    assert "[2/2] RUN <<EOF (echo a...)" in custom_names(compiled)
    assert history(compiled)[-1] == "RUN /bin/sh -c echo a\necho b\n # buildkit"


def test_shebang_heredoc_becomes_a_mounted_script() -> None:
    compiled, _ = compile_text("FROM busybox\nRUN <<-EOT\n#!/bin/sh\n\techo hi\nEOT\n")
    exec_op = exec_ops(compiled)[-1]
    assert exec_op["meta"]["args"] == ["/bin/sh", "-c", "/dev/pipes/EOT"]
    pipes = mounts_by_dest(exec_op)["/dev/pipes/"]
    assert pipes["readonly"] is True and pipes["selector"] == "/"
    mkfile = next(op["op"]["file"]["actions"][0]["mkfile"] for op in ops(compiled) if "file" in op["op"])
    assert mkfile["path"] == "/EOT" and mkfile["mode"] == 0o755
    assert base64.b64decode(mkfile["data"]) == b"#!/bin/sh\necho hi\n"
    assert "[internal] preparing inline document" in custom_names(compiled)


def test_several_heredocs_go_to_the_shell_verbatim() -> None:
    exec_op = last_exec("FROM busybox\nRUN cat <<A <<-B\na\nA\n\tb\n\tB\n")
    # Each body is followed by the bare delimiter, even for `<<-` (the shell strips the tabs).
    assert exec_op["meta"]["args"] == ["/bin/sh", "-c", "cat <<A <<-B\na\nA\n\tb\nB"]


def test_history_lists_stage_args() -> None:
    compiled, _ = compile_text("FROM busybox\nARG A=1\nARG B\nRUN --mount=type=tmpfs,target=/t echo $A\n")
    assert history(compiled)[-1] == "RUN |2 A=1 B= /bin/sh -c echo $A # buildkit"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("FROM busybox\nRUN --mount=target=/ true\n", 'invalid mount target "/"', 2),
        ("FROM busybox\nWORKDIR /\nRUN --mount=type=cache,target=. true\n", 'invalid mount target "/"', 3),
        ("FROM busybox\nRUN --mount=type=ssh,src=x true\n", "ssh does not support source", 2),
        ("FROM busybox\nRUN --mount=type=secret,env=X true\n", "invalid secret mount. one of source, target", 2),
        ("FROM busybox\nRUN --device=x true\n", "device feature is only supported", 2),
        ("FROM busybox\nRUN --security=insecure true\n", "unknown flag: --security", 2),
        ("FROM busybox\nARG T=cahce\nRUN --mount=type=$T,target=/c true\n", 'unsupported mount type "cahce"', 3),
        (
            "FROM busybox AS a\nRUN --mount=from=later,target=/x true\nFROM busybox AS later\nFROM a\n",
            'cannot mount from stage "later" to "/x", stage needs to be defined before current command',
            2,
        ),
    ],
)
def test_errors_name_the_line(text: str, message: str, line: int) -> None:
    with pytest.raises(DockerfileError) as failure:
        compile_text(text)
    assert message in failure.value.message
    assert failure.value.location is not None and failure.value.location.start_line == line
    assert failure.value.source_lines


def test_mount_from_a_stage_makes_it_reachable() -> None:
    text = (
        "FROM busybox AS tools\nRUN echo t\nFROM busybox AS unused\n"
        "FROM busybox\nRUN --mount=from=TOOLS,target=/t true\n"
    )
    compiled, _ = compile_text(text)
    assert "tools" in compiled.stages.reachable and "unused" in compiled.stages.pruned
    assert "[tools 2/2] RUN echo t" in custom_names(compiled)


def test_mount_from_an_image_resolves_it() -> None:
    compiled, resolver = compile_text("FROM busybox\nRUN --mount=from=alpine:3,target=/a true\n")
    assert any("alpine" in request.ref for request in resolver.requests)
    assert mounts_by_dest(exec_ops(compiled)[-1])["/a"]["input"] == "1"
