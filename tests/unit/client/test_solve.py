"""The gateway build flow against an in-process fake engine (a grpc server on a unix socket)."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from buildwright._pb import (
    caps_pb2,
    control_pb2,
    control_pb2_grpc,
    gateway_pb2,
    gateway_pb2_grpc,
    ops_pb2,
    worker_pb2,
)
from buildwright.client import BuildkitClient, BuildRequest, ExportSpec, GatewayContext, VertexFailed
from buildwright.client.connection import connect
from buildwright.client.endpoint import resolve_endpoints
from buildwright.client.solve import shared_key_for
from buildwright.errors import BuildFailed, DockerfileError
from buildwright.frontend.resolver import ImageRequest
from buildwright.llb.platform import Platform

_FAIL = b"fail-me"
_ERROR = 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3'


class _FakeEngine(control_pb2_grpc.ControlServicer):  # type: ignore[misc]
    def __init__(self) -> None:
        self.solve_requests: list[Any] = []
        self.session_metadata: list[tuple[str, str]] = []
        self.build_ids: list[str] = []
        self.returned: Any = None
        self.info_calls = 0
        self.list_workers_calls = 0
        self._returned = threading.Event()
        self._status: queue.Queue[Any] = queue.Queue()

    # Control
    def ListWorkers(self, request: Any, context: Any) -> Any:
        self.list_workers_calls += 1
        record = worker_pb2.WorkerRecord(
            ID="w0",
            platforms=[ops_pb2.Platform(OS="linux", Architecture="amd64")],
            Labels={"org.mobyproject.buildkit.worker.snapshotter": "overlayfs"},
        )
        return control_pb2.ListWorkersResponse(record=[record])

    def Info(self, request: Any, context: Any) -> Any:
        self.info_calls += 1
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "old daemon")

    def Session(self, request_iterator: Any, context: Any) -> Iterator[Any]:
        self.session_metadata = [(k, v) for k, v in context.invocation_metadata()]
        for _ in request_iterator:
            pass
        yield from ()

    def Status(self, request: Any, context: Any) -> Iterator[Any]:
        while (item := self._status.get()) is not None:
            yield item

    def Solve(self, request: Any, context: Any) -> Any:
        self.solve_requests.append(request)
        try:
            if not self._returned.wait(10):
                context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "no frontend result")
            if self.returned.HasField("error"):
                context.abort(grpc.StatusCode.UNKNOWN, self.returned.error.message)
            return control_pb2.SolveResponse(ExporterResponse={"containerimage.digest": "sha256:feed"})
        finally:
            self._status.put(None)

    # LLBBridge
    def _check_build(self, context: Any) -> None:
        md = dict(context.invocation_metadata())
        self.build_ids.append(md.get("buildkit-controlapi-buildid", ""))

    def Ping(self, request: Any, context: Any) -> Any:
        self._check_build(context)
        caps = [caps_pb2.APICap(ID="source.image", Enabled=True), caps_pb2.APICap(ID="exec.mount.ssh")]
        return gateway_pb2.PongResponse(LLBCaps=caps)

    def ResolveImageConfig(self, request: Any, context: Any) -> Any:
        self._check_build(context)
        config = json.dumps({"ref": request.Ref, "os": request.Platform.OS}).encode()
        return gateway_pb2.ResolveImageConfigResponse(Digest="sha256:" + "1" * 64, Config=config)

    def Solve_gateway(self, request: Any, context: Any) -> Any:
        self._check_build(context)
        if any(_FAIL in op for op in getattr(request.Definition, "def")):
            vertex = control_pb2.Vertex(digest="sha256:run", name="[2/2] RUN exit 3", error=_ERROR)
            log = control_pb2.VertexLog(vertex="sha256:run", stream=1, msg=b"line one\nline two\n")
            self._status.put(control_pb2.StatusResponse(logs=[log]))
            self._status.put(control_pb2.StatusResponse(vertexes=[vertex]))
            context.abort(grpc.StatusCode.UNKNOWN, _ERROR)
        return gateway_pb2.SolveResponse(result=gateway_pb2.Result(ref=gateway_pb2.Ref(id="result-ref")))

    def Return(self, request: Any, context: Any) -> Any:
        self._check_build(context)
        self.returned = request
        self._returned.set()
        return gateway_pb2.ReturnResponse()


class _Bridge(gateway_pb2_grpc.LLBBridgeServicer):  # type: ignore[misc]
    """Routes LLBBridge calls to the fake (its Solve clashes with Control.Solve by name)."""

    def __init__(self, engine: _FakeEngine) -> None:
        self._e = engine

    def Ping(self, request: Any, context: Any) -> Any:
        return self._e.Ping(request, context)

    def ResolveImageConfig(self, request: Any, context: Any) -> Any:
        return self._e.ResolveImageConfig(request, context)

    def Solve(self, request: Any, context: Any) -> Any:
        return self._e.Solve_gateway(request, context)

    def Return(self, request: Any, context: Any) -> Any:
        return self._e.Return(request, context)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[tuple[_FakeEngine, str]]:
    engine = _FakeEngine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    control_pb2_grpc.add_ControlServicer_to_server(engine, server)
    gateway_pb2_grpc.add_LLBBridgeServicer_to_server(_Bridge(engine), server)
    sock = tmp_path / "engine.sock"
    server.add_insecure_port(f"unix:{sock}")
    server.start()
    try:
        yield engine, f"unix://{sock}"
    finally:
        server.stop(None)


@dataclass(frozen=True)
class _Compiled:
    definition: ops_pb2.Definition
    image_config: bytes


def _definition(marker: bytes) -> ops_pb2.Definition:
    d = ops_pb2.Definition()
    getattr(d, "def").append(marker)
    return d


def test_a_build_connection_does_not_ask_for_the_version(fake: tuple[_FakeEngine, str]) -> None:
    engine, addr = fake
    with BuildkitClient.connect(addr=addr) as client:
        assert client.engine.worker_platforms == (Platform("linux", "amd64"),)
    assert engine.info_calls == 0
    assert engine.list_workers_calls == 1
    with connect(resolve_endpoints(addr), version=True) as conn:
        assert conn.info.buildkit_version is None  # Info answered UNIMPLEMENTED
    assert engine.info_calls == 1


def test_the_probe_keeps_the_worker_labels(fake: tuple[_FakeEngine, str]) -> None:
    engine, addr = fake
    with connect(resolve_endpoints(addr)) as conn:
        assert conn.info.worker_labels == {"org.mobyproject.buildkit.worker.snapshotter": "overlayfs"}
    assert engine.list_workers_calls == 1


def test_gateway_flow(fake: tuple[_FakeEngine, str], tmp_path: Path) -> None:
    engine, addr = fake
    seen: dict[str, Any] = {}

    def compile_fn(gw: GatewayContext) -> _Compiled:
        seen["caps"] = gw.llb_caps
        seen["platforms"] = gw.worker_platforms
        seen["resolved"] = gw.resolver.resolve_image_configs(
            [ImageRequest("docker.io/library/a:1"), ImageRequest("docker.io/library/b:2", Platform("linux", "arm64"))]
        )
        return _Compiled(_definition(b"ok"), b'{"config":{}}')

    with BuildkitClient.connect(addr=addr) as client:
        assert client.engine.buildkit_version is None  # not asked for: a build does not need it
        assert client.engine.worker_platforms == (Platform("linux", "amd64"),)
        result = client.build(
            BuildRequest(local_dirs={"context": tmp_path}, exports=(ExportSpec.engine_image(["x:1"]),)),
            compile=compile_fn,
        )

    assert result.image_digest == "sha256:feed"
    assert seen["caps"] == frozenset({"source.image"})
    assert seen["platforms"] == (Platform("linux", "amd64"),)
    a, b = seen["resolved"]
    assert json.loads(a.config)["ref"] == "docker.io/library/a:1"
    assert json.loads(b.config)["os"] == "linux"
    [request] = engine.solve_requests
    assert request.ExporterDeprecated == "image" and dict(request.ExporterAttrsDeprecated) == {
        "name": "docker.io/library/x:1"
    }
    assert not request.HasField("Definition") and request.Frontend == ""
    assert set(engine.build_ids) == {request.Ref}
    md = engine.session_metadata
    assert ("x-docker-expose-session-uuid", request.Session) in md
    methods = {v for k, v in md if k == "x-docker-expose-session-grpc-method"}
    assert {"/moby.filesync.v1.FileSync/DiffCopy", "/grpc.health.v1.Health/Check"} <= methods
    assert engine.returned.result.ref.id == "result-ref"
    assert engine.returned.result.metadata["containerimage.config"] == b'{"config":{}}'


def test_failed_solve_raises_build_failed(fake: tuple[_FakeEngine, str]) -> None:
    engine, addr = fake
    events: list[Any] = []
    with BuildkitClient.connect(addr=addr) as client, pytest.raises(BuildFailed) as info:
        client.build(BuildRequest(), compile=lambda gw: _Compiled(_definition(_FAIL), b"{}"), on_event=events.append)
    assert info.value.exit_code == 3
    assert info.value.vertex == "[2/2] RUN exit 3"
    assert info.value.log_tail == ("line one", "line two")
    assert engine.returned.error.message == _ERROR
    assert any(isinstance(e, VertexFailed) for e in events)


def test_compile_error_is_returned_to_the_engine_and_reraised(fake: tuple[_FakeEngine, str]) -> None:
    engine, addr = fake

    def compile_fn(gw: GatewayContext) -> _Compiled:
        raise DockerfileError("unknown instruction RUNN")

    with BuildkitClient.connect(addr=addr) as client, pytest.raises(DockerfileError):
        client.build(BuildRequest(), compile=compile_fn)
    assert "RUNN" in engine.returned.error.message


def test_shared_key_like_buildx(tmp_path: Path) -> None:
    assert shared_key_for(tmp_path / "app", "node1") == "app:node1"


def test_compile_only_session_builds_nothing(fake: tuple[_FakeEngine, str]) -> None:
    engine, addr = fake

    def compile_fn(gw: GatewayContext) -> str:
        [resolved] = gw.resolver.resolve_image_configs([ImageRequest("docker.io/library/a:1")])
        return resolved.digest

    with BuildkitClient.connect(addr=addr) as client:
        assert client.compile(compile_fn) == "sha256:" + "1" * 64
    [request] = engine.solve_requests
    assert request.ExporterDeprecated == "" and not request.HasField("Definition")
    assert engine.returned.HasField("result") and not engine.returned.result.HasField("ref")
