"""State metadata: directories, env order, platform propagation (upstream meta_test.go, state_test.go facts)."""

from __future__ import annotations

import json

import pytest

from buildwright import llb
from buildwright.errors import LLBError

from ._helpers import last, parse_def


def test_relative_workdir() -> None:
    st = llb.scratch()
    assert st.dir == "/"
    st = st.with_dir("foo")
    assert st.dir == "/foo"
    st = st.with_dir("bar")
    assert st.dir == "/foo/bar"
    st = st.with_dir("..")
    assert st.dir == "/foo"
    st = st.with_dir("/baz")
    assert st.dir == "/baz"
    st = st.with_dir("../../..")
    assert st.dir == "/"


def test_state_meta_is_immutable_and_chained() -> None:
    base = llb.image("foo")
    s = base.add_env("BAR", "abc").with_dir("/foo/bar")
    assert s.get_env("BAR") == "abc"
    assert s.dir == "/foo/bar"
    assert base.get_env("BAR") is None and base.dir == "/"


def test_env_order_and_mapping() -> None:
    s = llb.scratch().with_env("A", "1").with_env("B", "2").with_env("C", "3").with_env("A", "4").without_env("B")
    assert list(s.env) == ["C", "A"]
    assert dict(s.env) == {"C": "3", "A": "4"}
    assert s.env.to_list() == ["C=3", "A=4"]
    assert s.with_env("B", "5").env.to_list() == ["C=3", "A=4", "B=5"]


def test_image_config_applies_env_dir_platform() -> None:
    config = {
        "architecture": "arm64",
        "os": "linux",
        "config": {"Env": ["PATH=/bin", "EMPTY=", "=bad"], "WorkingDir": "/app"},
    }
    s = llb.image("foo").with_image_config(json.dumps(config))
    assert s.env.to_list() == ["PATH=/bin", "EMPTY="]
    assert s.dir == "/app"
    assert s.platform == llb.Platform("linux", "arm64")


def test_platform_from_image_propagates_to_execs() -> None:
    s390x = llb.Platform("linux", "s390x")
    ppc = llb.Platform("linux", "ppc64le")
    s = (
        llb.image("srcimage", platform=s390x)
        .run(["foo"])
        .root()
        .file(llb.mkdir("/foo", 0o700).mkfile("/bar", 0o600, b"bar"))
        .run(["afterfile"])
        .root()
    )
    dest = llb.image("destimage").file(llb.copy(s, "/", "/")).run(["afterfile"]).root()
    m, arr = parse_def(dest.marshal(platform=ppc))
    assert len(arr) == 8
    dgst, idx = last(arr)
    assert idx == 0
    vtx = m[dgst]
    assert vtx.WhichOneof("op") == "exec" and vtx.platform.Architecture == "ppc64le"
    main = m[vtx.inputs[0].digest]
    assert main.WhichOneof("op") == "file" and len(main.file.actions) == 1 and not main.HasField("platform")
    src = m[main.inputs[0].digest]
    assert src.source.identifier == "docker-image://docker.io/library/destimage:latest"
    assert src.platform.Architecture == "ppc64le"
    vtx = m[main.inputs[1].digest]
    assert vtx.WhichOneof("op") == "exec" and vtx.platform.Architecture == "s390x"
    vtx = m[vtx.inputs[0].digest]
    assert vtx.WhichOneof("op") == "file" and len(vtx.file.actions) == 2
    vtx = m[vtx.inputs[0].digest]
    assert vtx.WhichOneof("op") == "exec" and vtx.platform.Architecture == "s390x"
    vtx = m[vtx.inputs[0].digest]
    assert vtx.source.identifier == "docker-image://docker.io/library/srcimage:latest"
    assert vtx.platform.Architecture == "s390x"


def test_with_platform_normalises() -> None:
    assert llb.scratch().with_platform(llb.Platform("linux", "aarch64")).platform == llb.Platform("linux", "arm64")


def test_scratch_marshals_to_empty_definition() -> None:
    d = llb.scratch().marshal()
    assert d.ops == ()
    assert d.head is None
    assert d.to_pb().ByteSize() == 0


def test_late_state_marshals_as_the_state_it_is_bound_to() -> None:
    def graph(base: llb.State) -> llb.State:
        copied = llb.scratch().file(llb.copy(base, "/a", "/b"))
        return copied.run(["true"]).root()

    direct = graph(llb.local("context", session_id="s", follow_paths=("a",))).marshal()
    late = llb.LateState()
    used = graph(late.state)
    with pytest.raises(LLBError, match="never bound"):
        used.marshal()
    late.bind(llb.local("context", session_id="s", follow_paths=("a",)))
    assert used.marshal().ops == direct.ops
    with pytest.raises(LLBError, match="only once"):
        late.bind(llb.local("context", session_id="s"))
    with pytest.raises(LLBError, match="scratch"):
        llb.LateState().bind(llb.scratch())


def test_each_op_is_serialized_once_per_marshal_context(monkeypatch: pytest.MonkeyPatch) -> None:
    from buildwright.llb.fileop import FileOp

    calls = []
    real = FileOp.marshal

    def counting(self: FileOp, ctx: object) -> object:
        calls.append(self)
        return real(self, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(FileOp, "marshal", counting)
    state = llb.scratch().file(llb.mkdir("/a", 0o755)).file(llb.mkdir("/b", 0o755))
    first = state.marshal(platform=llb.Platform("linux", "amd64"))
    again = state.marshal(platform=llb.Platform("linux", "amd64"))
    assert again.ops == first.ops and len(calls) == 2
    other = state.marshal(platform=llb.Platform("linux", "arm64"))
    assert other.ops and len(calls) == 4  # another context: serialized again
