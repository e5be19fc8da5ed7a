"""The client layer end to end on the test engine: connect through dockerd's /grpc relay, run gateway
builds of hand-built LLB (pb.Op messages made directly), upload contexts through the session.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from buildwright._pb import ops_pb2
from buildwright.client import (
    BuildkitClient,
    BuildRequest,
    ExportSpec,
    GatewayContext,
    LogChunk,
    VertexCached,
    VertexCompleted,
    VertexFailed,
)
from buildwright.errors import BuildFailed, EngineUnavailableError
from buildwright.frontend.resolver import ImageRequest
from tests.integration.reference import EngineInfo, FileEntry, buildx_build, run_image, snapshot_image

BUSYBOX = "docker.io/library/busybox:latest"
_PLATFORM = ops_pb2.Platform(OS="linux", Architecture="amd64")


@dataclass(frozen=True)
class _Compiled:
    definition: ops_pb2.Definition
    image_config: bytes


class _Graph:
    """A tiny deterministic LLB writer for tests: ops by digest, last op points at the result."""

    def __init__(self) -> None:
        self.ops: list[bytes] = []

    def add(self, op: ops_pb2.Op) -> str:
        data = op.SerializeToString(deterministic=True)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if data not in self.ops:
            self.ops.append(data)
        return digest

    def definition(self, result: str) -> ops_pb2.Definition:
        final = ops_pb2.Op(inputs=[ops_pb2.Input(digest=result, index=0)])
        d = ops_pb2.Definition()
        getattr(d, "def").extend([*self.ops, final.SerializeToString(deterministic=True)])
        return d


def _image(graph: _Graph) -> str:
    return graph.add(ops_pb2.Op(source=ops_pb2.SourceOp(identifier=f"docker-image://{BUSYBOX}"), platform=_PLATFORM))


def _local(graph: _Graph, gw: GatewayContext, excludes: tuple[str, ...] = ()) -> str:
    attrs = {"local.session": gw.session_id, "local.sharedkeyhint": "context"}
    if excludes:
        attrs["local.excludepatterns"] = json.dumps(list(excludes))
    return graph.add(ops_pb2.Op(source=ops_pb2.SourceOp(identifier="local://context", attrs=attrs), platform=_PLATFORM))


def _copy_context(graph: _Graph, base: str, local: str, dest: str) -> str:
    op = ops_pb2.Op(
        inputs=[ops_pb2.Input(digest=base, index=0), ops_pb2.Input(digest=local, index=0)], platform=_PLATFORM
    )
    op.file.actions.add(
        input=0,
        secondaryInput=1,
        output=0,
        copy=ops_pb2.FileActionCopy(
            src="/",
            dest=dest,
            mode=-1,
            followSymlink=True,
            dirCopyContents=True,
            createDestPath=True,
            allowWildcard=True,
            allowEmptyWildcard=True,
            timestamp=-1,
        ),
    )
    return graph.add(op)


def _run(graph: _Graph, base: str, script: str) -> str:
    meta = ops_pb2.Meta(args=["/bin/sh", "-c", script], env=["PATH=/bin:/usr/bin"], cwd="/")
    op = ops_pb2.Op(inputs=[ops_pb2.Input(digest=base, index=0)], platform=_PLATFORM)
    op.exec.meta.CopyFrom(meta)
    op.exec.mounts.add(input=0, dest="/", output=0)
    return graph.add(op)


def _config(gw: GatewayContext, created_by: str) -> bytes:
    [base] = gw.resolver.resolve_image_configs([ImageRequest(BUSYBOX)])
    config = json.loads(base.config)
    config.setdefault("history", []).append({"created_by": created_by, "comment": "buildwright test"})
    return json.dumps(config).encode()


def _client(engine: EngineInfo) -> BuildkitClient:
    return BuildkitClient.connect(addr=f"docker://{engine.sock}")


def test_connect_through_dockerd_relay(engine: EngineInfo) -> None:
    with _client(engine) as client:
        assert client.engine.is_dockerd
        assert any(p.os == "linux" for p in client.engine.worker_platforms)


def test_connect_reports_each_failed_endpoint(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailableError, match=r"nothing\.sock"):
        BuildkitClient.connect(addr=f"docker://{tmp_path}/nothing.sock", timeout=2)


def test_gateway_build_copies_context_file(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hello from the context\n")
    tag = f"bw-client-test:{uuid.uuid4().hex[:8]}"
    seen: list[object] = []

    def compile_fn(gw: GatewayContext) -> _Compiled:
        assert gw.llb_caps and gw.worker_platforms
        graph = _Graph()
        result = _copy_context(graph, _image(graph), _local(graph, gw), "/ctx/")
        return _Compiled(graph.definition(result), _config(gw, "COPY . /ctx/"))

    with _client(engine) as client:
        result = client.build(
            BuildRequest(local_dirs={"context": tmp_path}, exports=(ExportSpec.engine_image([tag]),)),
            compile=compile_fn,
            on_event=seen.append,
        )
    try:
        assert result.image_digest
        assert run_image(engine, tag, "cat", "/ctx/hello.txt") == "hello from the context\n"
        inspect = json.loads(engine.docker("image", "inspect", tag).stdout)[0]
        base = json.loads(engine.docker("image", "inspect", "busybox:latest").stdout)[0]
        assert inspect["RootFS"]["Layers"][:-1] == base["RootFS"]["Layers"]
        assert len(inspect["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 1
        assert any(isinstance(e, VertexCompleted | VertexCached) and e.name.startswith("copy") for e in seen)
    finally:
        engine.docker("image", "rm", "-f", tag, check=False)


def test_failed_step_raises_build_failed(engine: EngineInfo, tmp_path: Path) -> None:
    events: list[object] = []

    def compile_fn(gw: GatewayContext) -> _Compiled:
        graph = _Graph()
        result = _run(graph, _image(graph), f"echo boom-{uuid.uuid4().hex[:6]}; echo to-stderr >&2; exit 3")
        return _Compiled(graph.definition(result), _config(gw, "RUN fail"))

    with _client(engine) as client, pytest.raises(BuildFailed) as info:
        client.build(BuildRequest(), compile=compile_fn, on_event=events.append)
    failed = info.value
    assert failed.exit_code == 3
    assert failed.vertex is not None and "exit 3" in failed.vertex
    assert any(line.startswith("boom-") for line in failed.log_tail)
    assert any(isinstance(e, VertexFailed) for e in events)
    assert any(isinstance(e, LogChunk) and e.stream == 2 for e in events)


def test_export_without_tags_still_loads_an_image(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "f").write_text(uuid.uuid4().hex)

    def compile_fn(gw: GatewayContext) -> _Compiled:
        graph = _Graph()
        result = _copy_context(graph, _image(graph), _local(graph, gw), "/data/")
        return _Compiled(graph.definition(result), _config(gw, "COPY . /data/"))

    with _client(engine) as client:
        result = client.build(
            BuildRequest(local_dirs={"context": tmp_path}, exports=(ExportSpec.engine_image(),)), compile=compile_fn
        )
    digest = result.image_digest
    assert digest
    try:
        assert run_image(engine, digest, "cat", "/data/f") == (tmp_path / "f").read_text()
    finally:
        engine.docker("image", "rm", "-f", digest, check=False)


def _make_context(root: Path) -> None:
    for d in range(30):
        sub = root / f"dir{d:02d}" / "nested"
        sub.mkdir(parents=True)
        for f in range(100):
            path = (root / f"dir{d:02d}" if f % 2 else sub) / f"file{f:03d}.txt"
            path.write_bytes(f"{d}-{f}\n".encode() * (f % 7 + 1))
    (root / "exec.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "exec.sh").chmod(0o755)
    (root / "private").write_text("p")
    (root / "private").chmod(0o600)
    (root / "setuid").write_text("s")
    (root / "setuid").chmod(0o4755)
    (root / "ro-dir").mkdir()
    (root / "ro-dir" / "x").write_text("x")
    (root / "ro-dir").chmod(0o555)
    (root / "empty-dir").mkdir()
    os.symlink("exec.sh", root / "rel-link")
    os.symlink("/etc/passwd", root / "abs-link")
    os.symlink("does-not-exist", root / "dangling")
    os.symlink("dir00", root / "dir-link")
    os.link(root / "exec.sh", root / "hard-link")
    (root / "big.bin").write_bytes(os.urandom(5 * 1024 * 1024))
    (root / "drop.log").write_text("excluded")
    (root / "dir01" / "also.log").write_text("excluded")
    (root / "unicode-é.txt").write_text("é")


def _ctx_files(files: dict[str, FileEntry], prefix: str) -> dict[str, str]:
    out = {}
    for path, entry in files.items():
        if path.startswith(prefix):
            out[path[len(prefix) :]] = entry.describe()
    return out


def test_context_arrives_like_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    _make_context(ctx)
    patterns = ("*.log", "**/*.log", ".dockerignore", "Dockerfile", "dir02", "!dir02/nested/file000.txt")
    (ctx / ".dockerignore").write_text("\n".join(patterns) + "\n")
    (ctx / "Dockerfile").write_text("FROM busybox\nCOPY . /ctx/\n")
    ours, theirs = f"bw-client-ctx:{uuid.uuid4().hex[:8]}", f"bw-client-ctx-ref:{uuid.uuid4().hex[:8]}"
    excludes = patterns

    def compile_fn(gw: GatewayContext) -> _Compiled:
        graph = _Graph()
        result = _copy_context(graph, _image(graph), _local(graph, gw, excludes), "/ctx/")
        return _Compiled(graph.definition(result), _config(gw, "COPY . /ctx/"))

    try:
        with _client(engine) as client:
            client.build(
                BuildRequest(local_dirs={"context": ctx}, exports=(ExportSpec.engine_image([ours]),)),
                compile=compile_fn,
            )
        buildx_build(engine, ctx, tag=theirs)
        got = _ctx_files(dict(snapshot_image(engine, ours).files), "ctx/")
        want = _ctx_files(dict(snapshot_image(engine, theirs).files), "ctx/")
        assert len(got) > 2900
        assert "drop.log" not in got and "dir01/also.log" not in got
        assert sorted(p for p in got if p.startswith("dir02")) == ["dir02", "dir02/nested", "dir02/nested/file000.txt"]
        assert got["rel-link"].startswith("symlink") and got["setuid"].startswith("file 4755")
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        differ = sorted(p for p in set(got) & set(want) if got[p] != want[p])
        assert not (missing or extra or differ), (missing[:10], extra[:10], [(p, got[p], want[p]) for p in differ[:10]])
    finally:
        (ctx / "ro-dir").chmod(0o755)
        engine.docker("image", "rm", "-f", ours, theirs, check=False)
