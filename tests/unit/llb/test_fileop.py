"""File ops: action numbering, inputs, path resolution and defaults (upstream client/llb/fileop_test.go facts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from buildwright import llb
from buildwright.errors import LLBError
from buildwright.llb import caps

from ._helpers import AMD64, last, parse_def


def _marshal(state: llb.State) -> tuple[dict[str, Any], list[Any]]:
    return parse_def(state.marshal(platform=AMD64))


def test_mkdir_defaults() -> None:
    m, arr = parse_def(llb.scratch().file(llb.mkdir("/foo", 0o700)).marshal(platform=AMD64))
    assert len(arr) == 2
    dgst, idx = last(arr)
    assert idx == 0 and m[dgst] == arr[0]
    op = arr[0]
    assert not op.HasField("platform")  # file ops are not platform specific
    assert op.HasField("constraints")
    assert len(op.inputs) == 0
    (action,) = op.file.actions
    assert (action.input, action.secondaryInput, action.output) == (-1, -1, 0)
    assert action.mkdir.path == "/foo"
    assert action.mkdir.mode == 0o700
    assert action.mkdir.timestamp == -1
    assert not action.mkdir.HasField("owner")


def test_mkdir_chain_on_image() -> None:
    st = llb.image("foo").file(
        llb.mkdir("/foo", 0o700).mkdir("/etc/bar", 0o600, make_parents=True).mkdir("/etc/bar/baz", 0o701)
    )
    m, arr = _marshal(st)
    assert len(arr) == 3
    f = arr[1]
    assert len(f.inputs) == 1 and m[f.inputs[0].digest] == arr[0]
    a0, a1, a2 = f.file.actions
    assert (a0.input, a0.secondaryInput, a0.output) == (0, -1, -1)
    assert (a1.input, a1.secondaryInput, a1.output) == (1, -1, -1)
    assert a1.mkdir.makeParents
    assert (a2.input, a2.secondaryInput, a2.output) == (2, -1, 0)
    assert a2.mkdir.path == "/etc/bar/baz" and a2.mkdir.mode == 0o701


def test_mkdir_mkfile_relative_paths() -> None:
    st = llb.scratch().file(llb.mkdir("/foo", 0o700).mkfile("bar", 0o700, b"data"))
    _, arr = _marshal(st)
    a0, a1 = arr[0].file.actions
    assert (a0.input, a0.output) == (-1, -1)
    assert (a1.input, a1.secondaryInput, a1.output) == (0, -1, 0)
    assert a1.mkfile.path == "/bar"
    assert a1.mkfile.data == b"data"
    assert a1.mkfile.timestamp == -1


def test_copy_between_images_resolves_both_dirs() -> None:
    st = llb.image("foo").with_dir("/tmp").file(llb.copy(llb.image("bar").with_dir("/etc"), "foo", "bar"))
    m, arr = _marshal(st)
    assert len(arr) == 4
    dgst, _ = last(arr)
    f = m[dgst]
    assert m[f.inputs[0].digest].source.identifier == "docker-image://docker.io/library/foo:latest"
    assert m[f.inputs[1].digest].source.identifier == "docker-image://docker.io/library/bar:latest"
    (action,) = f.file.actions
    assert (action.input, action.secondaryInput, action.output) == (0, 1, 0)
    assert action.copy.src == "/etc/foo"
    assert action.copy.dest == "/tmp/bar"
    assert action.copy.timestamp == -1
    assert action.copy.mode == -1  # unset mode is -1, not 0


def test_copy_from_action_chain() -> None:
    src = llb.mkdir("foo", 0o700).mkfile("foo/bar", 0o600, b"dt").with_state(llb.scratch().with_dir("/tmp"))
    st = llb.image("foo").with_dir("/out").file(llb.copy(src, "foo/bar", "baz"))
    _m, arr = _marshal(st)
    assert len(arr) == 3
    f = arr[1]
    assert len(f.inputs) == 1
    a0, a1, a2 = f.file.actions
    assert (a0.input, a0.secondaryInput, a0.output) == (-1, -1, -1)
    assert a0.mkdir.path == "/tmp/foo"
    assert (a1.input, a1.secondaryInput, a1.output) == (1, -1, -1)
    assert a1.mkfile.path == "/tmp/foo/bar"
    assert (a2.input, a2.secondaryInput, a2.output) == (0, 2, 0)
    assert a2.copy.src == "/tmp/foo/bar"
    assert a2.copy.dest == "/out/baz"


def test_file_pipeline() -> None:
    st = (
        llb.image("foo")
        .with_dir("/out")
        .file(
            llb.copy(
                llb.mkdir("foo", 0o700).mkfile("foo/bar", 0o600, b"dt").with_state(llb.image("bar").with_dir("/tmp")),
                "foo/bar",
                "baz",
            ).rm("foo/bax")
        )
        .file(
            llb.mkdir("/bar", 0o701)
            .copy(llb.image("foo"), "in", "out")
            .copy(llb.image("baz").with_dir("/base"), "in2", "out2")
        )
    )
    m, arr = _marshal(st)
    assert len(arr) == 6  # 3 images + 2 file ops + pointer
    dgst, _ = last(arr)
    assert m[dgst] == arr[4]
    f = arr[4]
    assert len(f.inputs) == 3
    assert m[f.inputs[1].digest].source.identifier == "docker-image://docker.io/library/foo:latest"
    assert m[f.inputs[2].digest].source.identifier == "docker-image://docker.io/library/baz:latest"
    a0, a1, a2 = f.file.actions
    assert (a0.input, a0.secondaryInput, a0.output) == (0, -1, -1)
    assert a0.mkdir.path == "/bar"
    assert (a1.input, a1.secondaryInput, a1.output) == (3, 1, -1)
    assert (a1.copy.src, a1.copy.dest) == ("/in", "/out/out")
    assert (a2.input, a2.secondaryInput, a2.output) == (4, 2, 0)
    assert (a2.copy.src, a2.copy.dest) == ("/base/in2", "/out/out2")

    inner = m[f.inputs[0].digest]
    assert len(inner.inputs) == 2
    assert m[inner.inputs[1].digest].source.identifier == "docker-image://docker.io/library/bar:latest"
    assert inner.inputs[0].digest == f.inputs[1].digest
    b0, b1, b2, b3 = inner.file.actions
    assert (b0.input, b0.secondaryInput, b0.output) == (1, -1, -1)
    assert b0.mkdir.path == "/tmp/foo"
    assert (b1.input, b1.secondaryInput, b1.output) == (2, -1, -1)
    assert (b2.input, b2.secondaryInput, b2.output) == (0, 3, -1)
    assert (b2.copy.src, b2.copy.dest) == ("/tmp/foo/bar", "/out/baz")
    assert (b3.input, b3.secondaryInput, b3.output) == (4, -1, 0)
    assert b3.rm.path == "/out/foo/bax"


def test_owner_options() -> None:
    st = llb.image("foo").file(
        llb.mkdir("/foo", 0o700)
        .mkdir("bar", 0o600, user=llb.Chown.ids(123, 456))
        .mkdir("bar/baz", 0o701, user="foouser")
    )
    _, arr = _marshal(st)
    a0, a1, a2 = arr[1].file.actions
    assert not a0.mkdir.HasField("owner")
    assert a1.mkdir.owner.user.byID == 123
    assert a1.mkdir.owner.group.byID == 456
    assert a2.mkdir.owner.user.byName.name == "foouser"
    assert a2.mkdir.owner.user.byName.input == 0
    assert not a2.mkdir.owner.HasField("group")


@pytest.mark.parametrize(
    ("text", "user", "group"),
    [
        ("root", ("byID", 0), None),
        ("root:root", ("byID", 0), ("byID", 0)),
        ("1000:1001", ("byID", 1000), ("byID", 1001)),
        ("app:staff", ("byName", "app"), ("byName", "staff")),
        ("app:0", ("byName", "app"), ("byID", 0)),
    ],
)
def test_chown_parsing(text: str, user: tuple[str, object], group: tuple[str, object] | None) -> None:
    _, arr = _marshal(llb.scratch().file(llb.mkdir("/x", 0o755, user=text)))
    owner = arr[0].file.actions[0].mkdir.owner
    kind = owner.user.WhichOneof("user")
    assert kind == user[0]
    assert (owner.user.byID if kind == "byID" else owner.user.byName.name) == user[1]
    if group is None:
        assert not owner.HasField("group")
    else:
        gkind = owner.group.WhichOneof("user")
        assert gkind == group[0]
        assert (owner.group.byID if gkind == "byID" else owner.group.byName.name) == group[1]


def test_named_owner_on_scratch_points_at_no_input() -> None:
    _, arr = _marshal(llb.scratch().file(llb.mkfile("/f", 0o644, b"", user="app")))
    assert arr[0].file.actions[0].mkfile.owner.user.byName.input == -1


def test_created_time_is_unix_nanoseconds() -> None:
    t = datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    _, arr = _marshal(llb.scratch().file(llb.mkdir("/a", 0o755, created_time=t)))
    assert arr[0].file.actions[0].mkdir.timestamp == 1577934245123456000


def test_mode_string_and_int() -> None:
    src = llb.image("src")
    st = llb.scratch().file(
        llb.copy(src, "/a", "/b", llb.CopyOptions(mode="u+x")).copy(src, "/c", "/d", llb.CopyOptions(mode=0o755))
    )
    _, arr = _marshal(st)
    a0, a1 = arr[1].file.actions
    assert a0.copy.modeStr == "u+x" and a0.copy.mode == 0
    assert a1.copy.mode == 0o755 and a1.copy.modeStr == ""


@pytest.mark.parametrize(
    ("parent", "dest", "expected"),
    [
        ("/", "bar", "/bar"),
        ("/work", "bar/", "/work/bar/"),
        ("/work", ".", "/work"),
        ("/work", "./", "/work/"),
        ("/work", "sub/.", "/work/sub/."),
        ("/", "/.", "/."),
        ("/work", "/abs//x/../y", "/abs/y"),
    ],
)
def test_copy_dest_keeps_trailing_slash(parent: str, dest: str, expected: str) -> None:
    st = llb.scratch().with_dir(parent).file(llb.copy(llb.image("src"), "/a", dest))
    _, arr = _marshal(st)
    assert arr[1].file.actions[0].copy.dest == expected


def test_only_file_base_cap_is_recorded() -> None:
    # Upstream's per-action caps loop never runs, so copy patterns etc. add no caps.
    opts = llb.CopyOptions(include_patterns=("a",), exclude_patterns=("b",), always_replace_existing_dest_paths=True)
    definition = llb.scratch().file(llb.copy(llb.image("src"), "/", "/", opts)).marshal(platform=AMD64)
    _, arr = parse_def(definition)
    dgst, _ = last(arr)
    assert definition.metadata[dgst].caps == frozenset({caps.FILE_BASE})


def test_copy_options_fields() -> None:
    opts = llb.CopyOptions(
        follow_symlinks=True,
        copy_dir_contents_only=True,
        attempt_unpack=True,
        create_dest_path=True,
        allow_wildcard=True,
        allow_empty_wildcard=True,
        include_patterns=("x",),
        exclude_patterns=("y",),
        required_paths=("z",),
        chown="1:2",
    )
    _, arr = _marshal(llb.scratch().file(llb.copy(llb.image("src"), "/a", "/b", opts)))
    c = arr[1].file.actions[0].copy
    assert c.followSymlink and c.dirCopyContents and c.attemptUnpackDockerCompatibility
    assert c.createDestPath and c.allowWildcard and c.allowEmptyWildcard
    assert list(c.include_patterns) == ["x"] and list(c.exclude_patterns) == ["y"] and list(c.required_paths) == ["z"]
    assert (c.owner.user.byID, c.owner.group.byID) == (1, 2)


def test_copy_from_scratch_has_no_secondary_input() -> None:
    _, arr = _marshal(llb.image("a").file(llb.copy(llb.scratch(), "/x", "/y")))
    action = arr[1].file.actions[0]
    assert (action.input, action.secondaryInput) == (0, -1)


def test_file_requires_action() -> None:
    with pytest.raises(LLBError):
        llb.scratch().file("mkdir /x")  # type: ignore[arg-type]


def test_symlink() -> None:
    _, arr = _marshal(llb.image("a").file(llb.symlink("target", "/link")))
    s = arr[1].file.actions[0].symlink
    assert (s.oldpath, s.newpath, s.timestamp) == ("target", "/link", -1)
