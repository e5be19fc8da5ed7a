"""The gateway (LLBBridge) calls of a client-side frontend, bound to one build.

Every call carries `buildkit-controlapi-buildid: <ref>`, which routes it to the `Control.Solve`
started with that ref (buildkit control/gateway forwarder). Also the engine-backed ImageResolver.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Mapping, Sequence
from typing import Any

import grpc

from buildwright._pb import gateway_pb2, ops_pb2, rpc_status_pb2
from buildwright._values import valueclass
from buildwright.client.boundary import engine_errors, rpc_code, rpc_details
from buildwright.client.connection import Connection
from buildwright.errors import EngineError
from buildwright.frontend.resolver import ImageRequest, ImageResolveError, ResolvedImage
from buildwright.llb.platform import Platform

BUILD_ID_HEADER = "buildkit-controlapi-buildid"


@valueclass
class GatewayCaps:
    """What the engine's gateway supports, from Ping."""

    frontend_caps: frozenset[str]
    llb_caps: frozenset[str]
    worker_platforms: tuple[Platform, ...]
    # Each worker's labels, in the engine's order (dockerd's carry its host-gateway IP).
    worker_labels: tuple[Mapping[str, str], ...] = ()


@valueclass
class GatewayWarning:
    """A warning for the build's status stream (a build-check finding), sent with `Gateway.warn`.

    `ranges` are 1-based (start line, end line) pairs in the source `filename` whose bytes are `data`.
    """

    short: str
    detail: tuple[str, ...] = ()
    url: str = ""
    filename: str = ""
    data: bytes = b""
    ranges: tuple[tuple[int, int], ...] = ()
    level: int = 1


class GatewayError(EngineError):
    """A gateway call failed; `code` is the gRPC status name when the engine answered."""

    def __init__(self, message: str, code: str | None = None, details: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.details = details

    @classmethod
    def from_rpc(cls, exc: grpc.RpcError) -> GatewayError:
        """The failed gateway call's error, with the engine's status and text."""
        code = rpc_code(exc)
        return cls(rpc_details(exc), code.name if code else None, rpc_details(exc))


class Gateway:
    """LLBBridge calls for the build `build_ref`."""

    def __init__(
        self,
        connection: Connection,
        build_ref: str,
        session_id: str,
        *,
        cache_imports: Sequence[gateway_pb2.CacheOptionsEntry] = (),
    ) -> None:
        self._conn = connection
        self._ref = build_ref
        self._session_id = session_id
        self._metadata = ((BUILD_ID_HEADER, build_ref),)
        # Imported cache is loaded for the solves that name it, so every solve carries the imports.
        self._cache_imports = tuple(cache_imports)

    @property
    def build_ref(self) -> str:
        return self._ref

    def ping(self, timeout: float = 30.0) -> GatewayCaps:
        with engine_errors("gateway ping", str(self._conn.endpoint)):
            pong = self._conn.gateway.Ping(gateway_pb2.PingRequest(), metadata=self._metadata, timeout=timeout)
        platforms: list[Platform] = []
        for worker in pong.Workers:
            for p in worker.platforms:
                if p.OS and p.Architecture:
                    platform = Platform(p.OS, p.Architecture, p.Variant, p.OSVersion)
                    if platform not in platforms:
                        platforms.append(platform)
        return GatewayCaps(
            frontend_caps=frozenset(c.ID for c in pong.FrontendAPICaps if c.Enabled),
            llb_caps=frozenset(c.ID for c in pong.LLBCaps if c.Enabled),
            worker_platforms=tuple(platforms) or self._conn.info.worker_platforms,
            worker_labels=tuple(dict(worker.Labels) for worker in pong.Workers),
        )

    @property
    def endpoint(self) -> str:
        """The engine's address, for messages."""
        return str(self._conn.endpoint)

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        """Resolve all requests concurrently (one in-flight RPC each); results keep the order."""
        futures = []
        for request in requests:
            pb = gateway_pb2.ResolveImageConfigRequest(
                Ref=request.ref,
                ResolveMode=request.resolve_mode,
                LogName=getattr(request, "log_name", None) or f"[internal] load metadata for {request.ref}",
                SessionID=self._session_id,
            )
            if request.platform is not None:
                p = request.platform
                pb.Platform.CopyFrom(ops_pb2.Platform(OS=p.os, Architecture=p.architecture, Variant=p.variant))
            futures.append(self._conn.gateway.ResolveImageConfig.future(pb, metadata=self._metadata))
        results: list[ResolvedImage] = []
        try:
            for request, future in zip(requests, futures, strict=True):
                try:
                    answer = future.result()
                except grpc.RpcError as exc:
                    raise ImageResolveError(request.ref, rpc_details(exc)) from exc
                results.append(ResolvedImage(ref=answer.Ref or request.ref, digest=answer.Digest, config=answer.Config))
        finally:
            for future in futures:
                future.cancel()
        return results

    def warn(self, warning: GatewayWarning) -> None:
        """Attach a warning to the build; the engine reports it on the status stream, as buildx shows."""
        request = gateway_pb2.WarnRequest(
            level=warning.level,
            short=warning.short.encode(),
            detail=[line.encode() for line in warning.detail],
            url=warning.url,
        )
        if warning.filename:
            request.info.CopyFrom(
                ops_pb2.SourceInfo(filename=warning.filename, data=warning.data, language="Dockerfile")
            )
        for start, end in warning.ranges:
            request.ranges.append(ops_pb2.Range(start=ops_pb2.Position(line=start), end=ops_pb2.Position(line=end)))
        with engine_errors("gateway warn", str(self._conn.endpoint)):
            self._conn.gateway.Warn(request, metadata=self._metadata)

    def solve(self, definition: ops_pb2.Definition, *, evaluate: bool = False) -> Any:
        """Solve a definition; returns the gateway Result (with `ref`).

        The engine solves lazily (when the result is read or returned) unless `evaluate`, which
        makes a failing source fail here.
        """
        request = gateway_pb2.SolveRequest(
            allowResultReturn=True, allowResultArrayRef=True, CacheImports=self._cache_imports, Evaluate=evaluate
        )
        request.Definition.CopyFrom(definition)
        try:
            response = self._conn.gateway.Solve(request, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise GatewayError.from_rpc(exc) from exc
        if not response.HasField("result"):
            raise EngineError("the engine returned no result for the solve (allowResultReturn unsupported?)")
        return response.result

    def read_file(self, result: Any, path: str, length: int = 0) -> bytes:
        """Read `path` from the filesystem of a solve's single-ref result (the first `length`
        bytes, or all of it when 0); raises GatewayError when it cannot (a missing file)."""
        request = gateway_pb2.ReadFileRequest(Ref=result.ref.id, FilePath=path)
        if length:
            request.Range.CopyFrom(gateway_pb2.FileRange(Offset=0, Length=length))
        try:
            response = self._conn.gateway.ReadFile(request, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise GatewayError.from_rpc(exc) from exc
        return bytes(response.Data)

    def solve_all(self, definitions: Sequence[ops_pb2.Definition]) -> list[Any]:
        """Solve several definitions at once (one in-flight call each); results keep the order.

        The first failure in time cancels the others and is raised, as the reference frontend's
        per-platform solves share one cancellable group.
        """
        finished: queue.Queue[int] = queue.Queue()
        futures = []
        for index, definition in enumerate(definitions):
            request = gateway_pb2.SolveRequest(
                allowResultReturn=True, allowResultArrayRef=True, CacheImports=self._cache_imports
            )
            request.Definition.CopyFrom(definition)
            future = self._conn.gateway.Solve.future(request, metadata=self._metadata)
            future.add_done_callback(lambda _, index=index: finished.put(index))
            futures.append(future)
        try:
            for _ in futures:
                future = futures[finished.get()]
                try:
                    future.result()
                except grpc.RpcError as exc:
                    raise GatewayError.from_rpc(exc) from exc
        finally:
            for future in futures:
                future.cancel()
        results = []
        for future in futures:
            response = future.result()
            if not response.HasField("result"):
                raise EngineError("the engine returned no result for the solve (allowResultReturn unsupported?)")
            results.append(response.result)
        return results

    def return_refs(self, results: Mapping[str, Any], metadata: Mapping[str, bytes]) -> None:
        """Hand a result map (key -> a solve's result) and its exporter metadata to the build."""
        final = gateway_pb2.Result()
        for key, result in results.items():
            final.refs.refs[key].CopyFrom(result.ref)
        for key, value in metadata.items():
            final.metadata[key] = value
        with engine_errors("gateway return", str(self._conn.endpoint)):
            self._conn.gateway.Return(gateway_pb2.ReturnRequest(result=final), metadata=self._metadata)

    def return_result(self, result: Any, metadata: Mapping[str, bytes]) -> None:
        """Hand the final result (and its exporter metadata, e.g. `containerimage.config`) to the build."""
        final = gateway_pb2.Result()
        final.CopyFrom(result)
        for key, value in metadata.items():
            final.metadata[key] = value
        with engine_errors("gateway return", str(self._conn.endpoint)):
            self._conn.gateway.Return(gateway_pb2.ReturnRequest(result=final), metadata=self._metadata)

    def return_error(self, message: str, code: grpc.StatusCode = grpc.StatusCode.UNKNOWN) -> None:
        """End the build with an error (best effort: the build may already be gone)."""
        status = rpc_status_pb2.Status(code=code.value[0], message=message)
        with contextlib.suppress(grpc.RpcError):
            self._conn.gateway.Return(gateway_pb2.ReturnRequest(error=status), metadata=self._metadata, timeout=10)
