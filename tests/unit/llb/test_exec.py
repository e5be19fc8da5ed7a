"""Exec ops: mount order, output indexes, env, caps (upstream client/llb/exec.go behaviour)."""

from __future__ import annotations

from typing import Any

import pytest

from buildwright import llb
from buildwright.errors import LLBError
from buildwright.llb import caps

from ._helpers import AMD64, last, parse_def


def _exec_op(definition: llb.Definition) -> Any:
    m, arr = parse_def(definition)
    dgst, _ = last(arr)
    return m[dgst]


def test_mount_index_ignores_tmpfs_sorting() -> None:
    # moby/buildkit#1520: /b keeps output index 1 wherever the tmpfs sorts.
    for tmp in ("/c", "/a"):
        e = llb.image("foo").run(["args"], mounts=[llb.bind("/b", llb.scratch()), llb.tmpfs(tmp)])
        out = e.get_mount("/b").output
        assert out is not None and out.index == 1
        root = e.root().output
        assert root is not None and root.index == 0


def test_mounts_sorted_and_inputs_deduplicated() -> None:
    ctx = llb.image("ctx")
    e = llb.image("base").run(
        ["true"],
        mounts=[
            llb.bind("/z", ctx, readonly=True),
            llb.bind("/m", ctx, selector="/sub"),
            llb.cache("/c", "cid", sharing=llb.CacheSharing.LOCKED),
            llb.tmpfs("/t", size=1024),
        ],
    )
    op = _exec_op(e.get_mount("/m").marshal(platform=AMD64))
    mounts = op.exec.mounts
    assert [mt.dest for mt in mounts] == ["/", "/c", "/m", "/t", "/z"]
    assert [(mt.input, mt.output) for mt in mounts] == [(0, 0), (-1, -1), (1, 1), (-1, -1), (1, -1)]
    assert len(op.inputs) == 2
    assert mounts[1].mountType == 3 and mounts[1].cacheOpt.ID == "cid" and mounts[1].cacheOpt.sharing == 2
    assert mounts[2].selector == "/sub"
    assert mounts[3].mountType == 4 and mounts[3].TmpfsOpt.size == 1024
    assert mounts[4].readonly


def test_get_mount_of_readonly_is_its_source() -> None:
    ctx = llb.image("ctx")
    e = llb.image("base").run(["true"], mounts=[llb.bind("/ro", ctx, readonly=True)])
    assert e.get_mount("/ro").output == ctx.output


@pytest.mark.parametrize("mount", [llb.tmpfs("/x"), llb.cache("/x", "id")])
def test_unusable_mount_outputs(mount: llb.Mount) -> None:
    e = llb.image("base").run(["true"], mounts=[mount])
    with pytest.raises(LLBError):
        e.get_mount("/x")


def test_tmpfs_must_use_scratch() -> None:
    bad = llb.Mount("/tmp", llb.image("bar").output, llb.exec.MountKind.TMPFS)
    st = llb.image("foo").run(["args"], mounts=[bad]).root()
    with pytest.raises(LLBError, match="must use scratch"):
        st.marshal(platform=AMD64)


def test_meta_fields_and_remove_mount_stubs() -> None:
    st = (
        llb.image("foo")
        .with_env("A", "1")
        .with_env("B", "2")
        .with_env("A", "3")
        .with_dir("/w")
        .with_user("app")
        .with_hostname("h")
    )
    op = _exec_op(st.run(["sh", "-c", "x"]).root().marshal(platform=AMD64))
    meta = op.exec.meta
    assert list(meta.args) == ["sh", "-c", "x"]
    assert list(meta.env) == ["B=2", "A=3"]  # a re-set key moves to the end
    assert (meta.cwd, meta.user, meta.hostname) == ("/w", "app", "h")
    assert meta.removeMountStubsRecursive
    assert op.platform.Architecture == "amd64"


def test_default_path_depends_on_engine_caps() -> None:
    st = llb.image("foo").run(["true"]).root()
    without = _exec_op(st.marshal(platform=AMD64))
    assert list(without.exec.meta.env) == []
    old_engine = _exec_op(st.marshal(platform=AMD64, caps=frozenset()))
    assert list(old_engine.exec.meta.env) == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    definition = st.marshal(platform=AMD64, caps=frozenset({caps.EXEC_META_SETS_DEFAULT_PATH}))
    new_engine = _exec_op(definition)
    assert list(new_engine.exec.meta.env) == []
    _, arr = parse_def(definition)
    dgst, _ = last(arr)
    assert caps.EXEC_META_SETS_DEFAULT_PATH in definition.metadata[dgst].caps


def test_no_default_path_on_windows() -> None:
    st = llb.image("foo").run(["cmd"]).root()
    op = _exec_op(st.marshal(platform=llb.Platform("windows", "amd64"), caps=frozenset()))
    assert list(op.exec.meta.env) == []


def test_caps_of_exec_features() -> None:
    st = llb.image("foo").run(
        ["true"],
        network=llb.NetMode.HOST,
        security=llb.SecurityMode.INSECURE,
        valid_exit_codes=[0, 1],
        ulimits=[llb.Ulimit("nofile", 10, 20)],
        proxy_env=llb.ProxyEnv(http_proxy="http://p"),
        mounts=[
            llb.secret("s1", target="/run/secrets/s1"),
            llb.secret("s2", env="TOKEN"),
            llb.ssh(),
            llb.bind("/src", llb.image("src"), selector="/x"),
        ],
    )
    definition = st.root().marshal(platform=AMD64)
    _, arr = parse_def(definition)
    dgst, _ = last(arr)
    assert definition.metadata[dgst].caps == frozenset(
        {
            caps.EXEC_META_BASE,
            caps.EXEC_META_NETWORK,
            caps.EXEC_META_SECURITY,
            caps.EXEC_VALID_EXIT_CODE,
            caps.EXEC_META_ULIMIT,
            caps.EXEC_META_PROXY,
            caps.EXEC_MOUNT_SECRET,
            caps.EXEC_SECRET_ENV,
            caps.EXEC_MOUNT_SSH,
            caps.EXEC_MOUNT_BIND,
            caps.EXEC_MOUNT_SELECTOR,
        }
    )
    op = _exec_op(definition)
    assert (op.exec.network, op.exec.security) == (1, 1)
    assert list(op.exec.meta.validExitCodes) == [0, 1]
    assert op.exec.meta.proxy_env.http_proxy == "http://p"
    secret_mounts = [mt for mt in op.exec.mounts if mt.mountType == 1]
    assert [(mt.dest, mt.secretOpt.ID, mt.secretOpt.mode, mt.input) for mt in secret_mounts] == [
        ("/run/secrets/s1", "s1", 0o400, -1)
    ]
    assert [(s.ID, s.name) for s in op.exec.secretenv] == [("s2", "TOKEN")]
    (ssh_mount,) = [mt for mt in op.exec.mounts if mt.mountType == 2]
    assert ssh_mount.dest == "/run/buildkit/ssh_agent.0" and ssh_mount.SSHOpt.mode == 0o600
    assert "SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0" in list(op.exec.meta.env)
    # Secret and SSH mounts come after the sorted filesystem mounts.
    assert [mt.dest for mt in op.exec.mounts][:2] == ["/", "/src"]


def test_run_settings_do_not_leak_into_root() -> None:
    base = llb.image("foo")
    root = base.run(["true"], network=llb.NetMode.NONE, dir="/x", env={"K": "v"}).root()
    assert root.network is llb.NetMode.SANDBOX
    assert root.dir == "/"
    assert root.get_env("K") is None


def test_exec_platform_from_state() -> None:
    arm = llb.Platform("linux", "arm64")
    op = _exec_op(llb.image("foo").with_platform(arm).run(["true"]).root().marshal(platform=AMD64))
    assert op.platform.Architecture == "arm64"


def test_args_required() -> None:
    with pytest.raises(LLBError, match="arguments are required"):
        llb.image("foo").run([]).root().marshal(platform=AMD64)
    with pytest.raises(LLBError):
        llb.image("foo").run("echo hi")


def test_run_on_scratch_root_has_empty_input() -> None:
    op = _exec_op(llb.scratch().run(["/bin/x"]).root().marshal(platform=AMD64))
    assert len(op.inputs) == 0
    assert (op.exec.mounts[0].input, op.exec.mounts[0].output) == (-1, 0)
