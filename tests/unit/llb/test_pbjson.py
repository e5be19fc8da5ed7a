"""`MessageDicts` gives what json_format.MessageToDict gives, for every kind of field the LLB protos hold,
and `IndentedJson` the text json.dumps writes of that."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format, timestamp_pb2

from buildwright._pb import control_pb2
from buildwright._pb import ops_pb2 as pb
from buildwright.llb.pbjson import IndentedJson, MessageDicts


def _reference(message: Any) -> dict[str, Any]:
    result: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return result


def _exec_op() -> Any:
    op = pb.Op(inputs=[pb.Input(digest="sha256:" + "a" * 64, index=3)])
    op.platform.CopyFrom(pb.Platform(OS="linux", Architecture="arm64", Variant="v8", OSFeatures=["x", "y"]))
    op.constraints.filter.extend(["a==b"])
    meta = op.exec.meta
    meta.args.extend(["/bin/sh", "-c", "échó \u2603"])
    meta.env.extend(["A=1"])
    meta.cwd = "/w"
    meta.extraHosts.add(Host="h", IP="10.0.0.1")
    meta.ulimit.add(Name="nofile", Soft=1024, Hard=-(2**40))  # 64-bit integers are strings
    meta.removeMountStubsRecursive = True
    meta.validExitCodes.extend([0, 3])  # 32-bit integers stay numbers
    op.exec.network = pb.NONE
    op.exec.security = 7  # an open enum keeps a value it has no name for
    mount = op.exec.mounts.add(input=-1, dest="/cache", output=-1, mountType=pb.CACHE)
    mount.cacheOpt.ID = "id"
    mount.cacheOpt.sharing = pb.LOCKED
    op.exec.mounts.add(input=0, dest="/", output=0)  # every field at its default but two
    op.exec.secretenv.add(ID="s", name="S", optional=True)
    return op


def _file_op() -> Any:
    op = pb.Op()
    action = op.file.actions.add(input=0, secondaryInput=-1, output=0)
    action.mkfile.path = "/f"
    action.mkfile.mode = 0o644
    action.mkfile.data = b"\x00\xffbytes are base64"
    action.mkfile.timestamp = 1_700_000_000_000_000_000
    action.mkfile.owner.user.byID = 1000  # a oneof, and a uint32
    action.mkfile.owner.group.byName.name = "staff"
    copy = op.file.actions.add(input=1, secondaryInput=2, output=-1).copy
    copy.src = "/a"
    copy.dest = "/b"
    copy.include_patterns.extend(["*.go"])
    copy.mode = -1
    return op


def _metadata() -> Any:
    meta = pb.OpMetadata(ignore_cache=True)
    meta.description["llb.customname"] = "[1/2] RUN x"
    meta.caps["exec.meta.base"] = True
    meta.caps["source.image"] = False
    meta.progress_group.id = "g"
    meta.progress_group.weak = True
    return meta


def _source() -> Any:
    source = pb.Source()
    info = source.infos.add(filename="Dockerfile", data=b"FROM x\n")
    getattr(info.definition, "def").extend([b"\x01\x02", b""])  # repeated bytes (`def` is a keyword)
    ranges = source.locations["sha256:" + "b" * 64].locations.add(sourceIndex=0)
    ranges.ranges.add().start.line = 1
    return source


def _corpus() -> list[Any]:
    build = pb.Op()
    build.build.builder = -1
    build.build.inputs["ctx"].input = 2
    build.build.attrs["k"] = "v"
    source = pb.Op()
    source.source.identifier = "docker-image://busybox:latest"
    source.source.attrs["image.recordtype"] = "internal"
    source.source.attrs["attr.b"] = "2"
    source.source.attrs["attr.a"] = "1"
    return [_exec_op(), _file_op(), _metadata(), _source(), build, source, pb.Op(), pb.Definition()]


def _results() -> Any:
    # Integer map keys, ordered as text ("-1" < "10" < "9"), and messages as map values.
    info = control_pb2.BuildResultInfo()
    for key in (9, 10, -1):
        info.Results[key].digest = f"sha256:{key}"
        info.Results[key].size = 2**40 + key
    info.Results[9].annotations["z"] = "last"
    info.Results[9].annotations["a"] = "first"
    info.Attestations.add(media_type="m")
    return info


def test_every_field_kind_converts_as_json_format_does() -> None:
    dicts = MessageDicts()
    for message in [*_corpus(), _results()]:
        assert dicts.to_dict(message) == _reference(message)
        # A second message of a kind already seen goes through the kept conversions.
        assert dicts.to_dict(message) == _reference(message)


def test_messages_the_module_does_not_handle_go_to_json_format() -> None:
    from google.protobuf import timestamp_pb2

    stamp = timestamp_pb2.Timestamp(seconds=1, nanos=5)
    assert MessageDicts().to_dict(stamp) == _reference(stamp) == "1970-01-01T00:00:01.000000005Z"


def _dumped(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True)


def test_messages_are_written_as_json_dumps_writes_their_dicts() -> None:
    writer = IndentedJson()
    for message in [*_corpus(), _results()]:
        doc = {"op": message, "list": [message, {"x": message}], "a": "\u00e9"}
        expected = _dumped(
            {"op": _reference(message), "list": [_reference(message), {"x": _reference(message)}], "a": "\u00e9"}
        )
        assert writer.dumps(doc) == expected
        assert writer.dumps(doc) == expected  # again, through the kept plans


def test_plain_documents_are_written_as_json_dumps_writes_them() -> None:
    odd = {"b": [], "a": {}, "c": [1, True, None, 1.5, '\u00e9\n"', [[]]], "d": {"z": {"y": [{}]}}}
    assert IndentedJson().dumps(odd) == _dumped(odd)
    # What the writer leaves to the json module: keys that are no strings.
    keyed = {"m": _metadata(), "k": {2: "two", 1: "one"}}
    assert IndentedJson().dumps(keyed) == _dumped({"m": _reference(_metadata()), "k": {2: "two", 1: "one"}})


def test_message_types_the_writer_leaves_alone_are_written_as_json_format_gives_them() -> None:
    stamp = timestamp_pb2.Timestamp(seconds=1, nanos=5)
    record = control_pb2.UsageRecord(ID="r", Size=3)
    record.CreatedAt.CopyFrom(stamp)  # a well-known type inside: the whole record goes to json_format
    writer = IndentedJson()
    assert writer.dumps({"t": stamp, "r": [record]}) == _dumped({"t": _reference(stamp), "r": [_reference(record)]})
