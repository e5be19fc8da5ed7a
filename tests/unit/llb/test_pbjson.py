"""`MessageDicts` gives what json_format.MessageToDict gives, for every kind of field the LLB protos hold."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from buildwright._pb import ops_pb2 as pb
from buildwright.llb.pbjson import MessageDicts


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


def test_every_field_kind_converts_as_json_format_does() -> None:
    dicts = MessageDicts()
    build = pb.Op()
    build.build.builder = -1
    build.build.inputs["ctx"].input = 2
    build.build.attrs["k"] = "v"
    source = pb.Op()
    source.source.identifier = "docker-image://busybox:latest"
    source.source.attrs["image.recordtype"] = "internal"
    for message in (_exec_op(), _file_op(), _metadata(), _source(), build, source, pb.Op(), pb.Definition()):
        assert dicts.to_dict(message) == _reference(message)
        # A second message of a kind already seen goes through the kept conversions.
        assert dicts.to_dict(message) == _reference(message)


def test_messages_the_module_does_not_handle_go_to_json_format() -> None:
    from google.protobuf import timestamp_pb2

    stamp = timestamp_pb2.Timestamp(seconds=1, nanos=5)
    assert MessageDicts().to_dict(stamp) == _reference(stamp) == "1970-01-01T00:00:01.000000005Z"
