"""The marshal pass: determinism, digests, final op, metadata, source maps, pinned digests."""

from __future__ import annotations

import hashlib
import json

from buildwright import llb
from buildwright._pb import ops_pb2 as pb
from buildwright.llb import caps
from buildwright.llb.pbjson import IndentedJson
from buildwright.location import SourceRange

from ._helpers import AMD64, last, parse_def


def sample_graph() -> llb.State:
    """A small build: context copy, a run with cache and bind mounts, merged with another image."""
    ctx = llb.local("context", session_id="s", shared_key_hint="context")
    base = llb.image("busybox", platform=AMD64).with_env("A", "1").with_dir("/app")
    built = base.file(llb.copy(ctx, "/", "/app/", llb.CopyOptions(create_dest_path=True)), custom_name="COPY . .")
    ran = built.run(
        ["/bin/sh", "-c", "make"],
        mounts=[llb.cache("/root/.cache", "go"), llb.bind("/src", ctx, readonly=True)],
        custom_name="RUN make",
        description={"com.docker.dockerfile.v1.command": "RUN make"},
    )
    return llb.merge([ran.root(), llb.image("alpine:3.19")])


def test_marshal_is_deterministic() -> None:
    a = sample_graph().marshal(platform=AMD64, caps=frozenset())
    b = sample_graph().marshal(platform=AMD64, caps=frozenset())
    assert a.ops == b.ops
    assert a.to_bytes() == b.to_bytes()
    assert a.to_json() == b.to_json()


def test_digest_is_sha256_of_bytes() -> None:
    d = sample_graph().marshal(platform=AMD64)
    for data, dgst in zip(d.ops, d.digests, strict=True):
        assert dgst == "sha256:" + hashlib.sha256(data).hexdigest()
    assert set(d.metadata) == set(d.digests)


def test_inputs_come_before_users_and_final_points_at_result() -> None:
    d = sample_graph().marshal(platform=AMD64)
    m, arr = parse_def(d)
    seen: set[str] = set()
    for data, op in zip(d.ops, arr, strict=True):
        for inp in op.inputs:
            assert inp.digest in seen
        seen.add(llb.digest_of(data))
    dgst, idx = last(arr)
    assert (dgst, idx) == (d.head, 0)
    assert m[dgst].WhichOneof("op") == "merge"


def test_equal_ops_are_emitted_once_with_merged_metadata() -> None:
    a = llb.image("busybox", custom_name="one")
    b = llb.image("busybox", ignore_cache=True)
    d = llb.merge([a, b]).marshal(platform=AMD64)
    assert len(d.ops) == 3  # one image op, the merge, the pointer
    meta = d.metadata[d.digests[0]]
    assert meta.ignore_cache
    assert meta.description == {"llb.customname": "one"}
    _, arr = parse_def(d)
    assert [i.digest for i in arr[1].inputs] == [d.digests[0], d.digests[0]]  # merge keeps both inputs


def test_final_op_metadata_lists_meta_caps() -> None:
    st = llb.image("busybox", ignore_cache=True).run(["true"], custom_name="x").root()
    d = st.marshal(platform=AMD64)
    assert d.metadata[d.digests[-1]].caps == frozenset(
        {caps.CONSTRAINTS, caps.PLATFORM, caps.META_IGNORE_CACHE, caps.META_DESCRIPTION}
    )
    plain = llb.image("busybox").marshal(platform=AMD64)
    assert plain.metadata[plain.digests[-1]].caps == frozenset({caps.CONSTRAINTS, caps.PLATFORM})


def test_progress_group_and_export_cache_in_metadata() -> None:
    group = llb.ProgressGroup("g1", "COPY", weak=True)
    st = llb.scratch().file(llb.mkdir("/a", 0o755), progress_group=group, export_cache=False)
    d = st.marshal(platform=AMD64)
    meta = d.metadata[d.digests[0]]
    assert meta.progress_group == group
    assert meta.export_cache is False
    msg = meta.to_pb()
    assert msg.progress_group.id == "g1" and msg.progress_group.weak
    assert msg.HasField("export_cache") and msg.export_cache.Value is False
    assert caps.META_EXPORT_CACHE in d.metadata[d.digests[-1]].caps


def test_worker_constraints_on_every_op() -> None:
    d = llb.image("busybox").marshal(platform=AMD64, worker_constraints=["label==x"])
    _, arr = parse_def(d)
    assert list(arr[0].constraints.filter) == ["label==x"]


def test_to_pb_round_trip() -> None:
    d = sample_graph().marshal(platform=AMD64)
    msg = pb.Definition.FromString(d.to_bytes())
    assert tuple(getattr(msg, "def")) == d.ops
    assert set(msg.metadata) == set(d.digests)
    assert msg.metadata[d.digests[-1]].caps["platform"]


def test_to_json_dump() -> None:
    d = sample_graph().marshal(platform=AMD64)
    doc = json.loads(d.to_json())
    assert doc["result"] == d.head
    assert [op["digest"] for op in doc["ops"]] == list(d.digests)
    assert doc["ops"][0]["op"]["source"]["identifier"].startswith("docker-image://")


def test_to_json_is_the_json_modules_indented_dump() -> None:
    d = sample_graph().marshal(platform=AMD64, source_maps=[llb.SourceMap("Dockerfile", b"FROM x\n")])
    text = d.to_json()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True)
    odd = {"b": [], "a": {}, "c": [1, True, None, 1.5, '\u00e9\n"', [[]]], "d": {"z": {"y": [{}]}}}
    assert IndentedJson().dumps(odd) == json.dumps(odd, indent=2, sort_keys=True)


def test_source_map_locations() -> None:
    sm1 = llb.SourceMap("foo", b"data1", language="lang1")
    sm2 = llb.SourceMap("bar", b"data2", language="lang2")
    s = llb.image(
        "myimage",
        location=[
            sm1.location(SourceRange("foo", 7, 7)),
            sm2.location(SourceRange("bar", 8, 8)),
            sm1.location(SourceRange("foo", 9, 9)),
        ],
    )
    d = s.marshal(platform=AMD64)
    assert len(d.ops) == 2
    src = d.to_pb().Source
    assert [(i.filename, i.language, i.data) for i in src.infos] == [
        ("foo", "lang1", b"data1"),
        ("bar", "lang2", b"data2"),
    ]
    assert not src.infos[0].HasField("definition")
    locs = src.locations[d.digests[0]].locations
    assert [(loc.sourceIndex, loc.ranges[0].start.line) for loc in locs] == [(0, 7), (1, 8), (0, 9)]

    merged = llb.merge([s, llb.image("myimage", location=sm1.location(SourceRange("foo", 10, 10)))])
    d2 = merged.marshal(platform=AMD64)
    assert len(d2.ops) == 3
    src2 = d2.to_pb().Source
    assert len(src2.infos) == 2
    assert len(src2.locations) == 2  # the image op and the merge op (without locations)
    locs2 = src2.locations[d2.digests[0]].locations
    assert [(loc.sourceIndex, loc.ranges[0].start.line) for loc in locs2] == [(0, 7), (1, 8), (0, 9), (0, 10)]


def test_bare_ranges_resolve_to_marshal_source_maps() -> None:
    dockerfile = llb.SourceMap("Dockerfile", b"FROM busybox\n")
    st = llb.image("busybox", location=SourceRange("Dockerfile", 1, 1, 0, 12))
    d = st.marshal(platform=AMD64, source_maps=[dockerfile])
    src = d.to_pb().Source
    assert [(i.filename, i.data, i.language) for i in src.infos] == [("Dockerfile", b"FROM busybox\n", "Dockerfile")]
    (loc,) = src.locations[d.digests[0]].locations
    r = loc.ranges[0]
    assert (r.start.line, r.start.character, r.end.line, r.end.character) == (1, 0, 1, 12)
    unresolved = st.marshal(platform=AMD64).to_pb().Source
    assert [(i.filename, i.data) for i in unresolved.infos] == [("Dockerfile", b"")]


def test_source_maps_never_change_digests() -> None:
    sm = llb.SourceMap("Dockerfile", b"x")
    with_loc = llb.image("busybox", location=sm.location(SourceRange("Dockerfile", 1, 1))).marshal(platform=AMD64)
    without = llb.image("busybox").marshal(platform=AMD64)
    assert with_loc.ops == without.ops


def test_merge_rules() -> None:
    assert llb.merge([]).output is None
    assert llb.merge([llb.scratch(), llb.scratch()]).output is None
    img = llb.image("foo")
    assert llb.merge([img]).output == img.output
    assert llb.merge([llb.scratch(), img, llb.scratch()]).output == img.output
    assert llb.merge([llb.scratch(), img, llb.image("bar")]).output != img.output


def test_diff_rules() -> None:
    img = llb.image("foo")
    assert llb.diff(llb.scratch(), llb.scratch()).output is None
    assert llb.diff(llb.scratch(), img).output == img.output
    d = llb.diff(img, llb.scratch()).marshal(platform=AMD64)
    _, arr = parse_def(d)
    op = arr[1]
    assert not op.HasField("platform")
    assert op.diff.HasField("lower") and op.diff.lower.input == 0
    assert op.diff.upper.input == -1
    assert d.metadata[d.digests[1]].caps == frozenset({caps.DIFF_OP})
