"""Wire facts of ops.proto: field numbers and byte-exact serialization."""

from __future__ import annotations

from buildwright._pb import ops_pb2 as pb
from buildwright.llb import digest_of


def _numbers(message: type) -> dict[str, int]:
    return {f.name: f.number for f in message.DESCRIPTOR.fields}  # type: ignore[attr-defined]


def test_package_is_pb() -> None:
    assert pb.DESCRIPTOR.package == "pb"
    assert pb.Op.DESCRIPTOR.full_name == "pb.Op"


def test_op_field_numbers() -> None:
    assert _numbers(pb.Op) == {
        "inputs": 1,
        "exec": 2,
        "source": 3,
        "file": 4,
        "build": 5,
        "merge": 6,
        "diff": 7,
        "passthrough": 8,
        "platform": 10,
        "constraints": 11,
    }


def test_meta_and_mount_field_numbers() -> None:
    meta = _numbers(pb.Meta)
    assert meta["proxy_env"] == 5
    assert meta["extraHosts"] == 6
    assert meta["hostname"] == 7
    assert meta["ulimit"] == 9
    assert meta["cgroupParent"] == 10
    assert meta["removeMountStubsRecursive"] == 11
    assert meta["validExitCodes"] == 12
    mount = _numbers(pb.Mount)
    assert (mount["TmpfsOpt"], mount["cacheOpt"], mount["secretOpt"], mount["SSHOpt"]) == (19, 20, 21, 22)
    assert (mount["resultID"], mount["contentCache"]) == (23, 24)


def test_file_and_metadata_field_numbers() -> None:
    assert _numbers(pb.FileOp) == {"actions": 2}
    copy = _numbers(pb.FileActionCopy)
    assert copy["timestamp"] == 11
    assert copy["alwaysReplaceExistingDestPaths"] == 14
    assert copy["modeStr"] == 15
    assert copy["required_paths"] == 16
    assert _numbers(pb.OpMetadata) == {
        "ignore_cache": 1,
        "description": 2,
        "export_cache": 4,
        "caps": 5,
        "progress_group": 6,
        "linux_resources": 7,
    }
    assert _numbers(pb.Definition) == {"def": 1, "metadata": 2, "Source": 3}


def test_digests_published_upstream() -> None:
    # Digests printed by `buildctl dump` in moby/buildkit#5 (2017), for plain ops without platform.
    src = pb.Op()
    src.source.identifier = "docker-image://docker.io/library/busybox:latest"
    d1 = digest_of(src.SerializeToString(deterministic=True))
    assert d1 == "sha256:74ecb5d790c33a213ba00f8f43d62947df1d4dea72f5ec13353a9b943f469f0f"
    run = pb.Op(inputs=[pb.Input(digest=d1, index=0)])
    run.exec.meta.args.extend(["/bin/sleep", "1"])
    run.exec.meta.cwd = "/"
    run.exec.mounts.append(pb.Mount(input=0, dest="/", output=0))
    d2 = digest_of(run.SerializeToString(deterministic=True))
    assert d2 == "sha256:1de5701b93648843bf2cf6ebf982b4f63ea55dcb9259e73a5bd6737505660d06"


def test_map_entries_keep_empty_values() -> None:
    # Go writes both key and value of every map entry, even an empty value.
    op = pb.SourceOp(identifier="x")
    op.attrs["a"] = ""
    assert op.SerializeToString(deterministic=True) == bytes.fromhex("0a0178" + "1205" + "0a0161" + "1200")
