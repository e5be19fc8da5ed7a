"""containerd's content service, served to the engine in the session for local cache directories.

The engine reaches a `type=local` cache through the client's session: each call carries the
header `buildkit-attachable-store-id: local:<dir>` naming the store, and reads (`Info`, `Read`)
or writes (`Write`: STAT, WRITE..., COMMIT on one bidirectional stream) its blobs. The message
flow and status codes are those of containerd's content server over a local store
(containerd plugins/services/content/contentserver).
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from google.protobuf import empty_pb2, timestamp_pb2

from buildwright._log import get_logger
from buildwright._pb import content_pb2
from buildwright.client.session.contentstore import BlobInfo, IngestStatus, IngestWriter, LocalContentStore
from buildwright.client.session.h2server import Metadata, Router, RpcAbort, ServerStream, unary_handler

_log = get_logger(__name__)

_SERVICE = "/containerd.services.content.v1.Content"
STORE_ID_HEADER = "buildkit-attachable-store-id"
# List answers in blocks of this many entries.
_LIST_BLOCK = 100

_STAT = content_pb2.STAT
_WRITE = content_pb2.WRITE
_COMMIT = content_pb2.COMMIT


def _timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


def _info_pb(info: BlobInfo) -> content_pb2.Info:
    return content_pb2.Info(
        digest=info.digest,
        size=info.size,
        created_at=_timestamp(info.created_at),
        updated_at=_timestamp(info.updated_at),
    )


def _status_pb(status: IngestStatus) -> content_pb2.Status:
    return content_pb2.Status(
        started_at=_timestamp(status.started_at),
        updated_at=_timestamp(status.updated_at),
        ref=status.ref,
        offset=status.offset,
        total=status.total,
        expected=status.expected,
    )


class ContentStoreAttachable:
    """Serves local content stores by id (`local:<dir>`, as the cache attributes name them)."""

    def __init__(self, stores: Mapping[str, LocalContentStore]) -> None:
        self._stores = dict(stores)

    def _store(self, metadata: Metadata) -> LocalContentStore:
        ids = [value for key, value in metadata if key.lower() == STORE_ID_HEADER]
        if not ids:
            raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, f'request lacks metadata "{STORE_ID_HEADER}"')
        store = self._stores.get(ids[0])
        if store is None:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"unknown store {ids[0]}")
        return store

    # -- unary calls ---------------------------------------------------------------------------
    async def _info(self, request: content_pb2.InfoRequest, metadata: Metadata) -> content_pb2.InfoResponse:
        return content_pb2.InfoResponse(info=_info_pb(self._store(metadata).info(request.digest)))

    async def _update(self, request: content_pb2.UpdateRequest, metadata: Metadata) -> content_pb2.UpdateResponse:
        store = self._store(metadata)
        store.info(request.info.digest)  # an unknown or invalid digest fails as the reference's does
        raise RpcAbort(grpc.StatusCode.FAILED_PRECONDITION, "update not supported on immutable content store")

    async def _delete(self, request: content_pb2.DeleteContentRequest, metadata: Metadata) -> empty_pb2.Empty:
        self._store(metadata).delete(request.digest)
        return empty_pb2.Empty()

    async def _status(self, request: content_pb2.StatusRequest, metadata: Metadata) -> content_pb2.StatusResponse:
        return content_pb2.StatusResponse(status=_status_pb(self._store(metadata).status(request.ref)))

    async def _list_statuses(
        self, request: content_pb2.ListStatusesRequest, metadata: Metadata
    ) -> content_pb2.ListStatusesResponse:
        _no_filters(request.filters)
        statuses = self._store(metadata).statuses()
        return content_pb2.ListStatusesResponse(statuses=[_status_pb(s) for s in statuses])

    async def _abort(self, request: content_pb2.AbortRequest, metadata: Metadata) -> empty_pb2.Empty:
        self._store(metadata).abort(request.ref)
        return empty_pb2.Empty()

    # -- streams -------------------------------------------------------------------------------
    async def _list(self, stream: ServerStream) -> None:
        request = content_pb2.ListContentRequest.FromString(await _first(stream))
        _no_filters(request.filters)
        block: list[content_pb2.Info] = []
        for info in self._store(stream.metadata).walk():
            block.append(_info_pb(info))
            if len(block) >= _LIST_BLOCK:
                await stream.send(content_pb2.ListContentResponse(info=block).SerializeToString())
                block = []
        if block:
            await stream.send(content_pb2.ListContentResponse(info=block).SerializeToString())

    async def _read(self, stream: ServerStream) -> None:
        request = content_pb2.ReadContentRequest.FromString(await _first(stream))
        store = self._store(stream.metadata)
        for offset, chunk in store.read(request.digest, request.offset, request.size):
            await stream.send(content_pb2.ReadContentResponse(offset=offset, data=chunk).SerializeToString())

    async def _write(self, stream: ServerStream) -> None:
        store = self._store(stream.metadata)
        request = content_pb2.WriteContentRequest.FromString(await _first(stream))
        if not request.ref:
            raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, "first message must have a reference")
        total, expected = request.total, request.expected
        writer = store.writer(request.ref, total, expected)
        try:
            while True:
                response = content_pb2.WriteContentResponse(action=request.action, offset=writer.offset)
                if request.expected:
                    expected = request.expected
                    if store.blob_path(expected).exists():
                        writer.close()
                        store.remove_ingest(request.ref)
                        raise RpcAbort(grpc.StatusCode.ALREADY_EXISTS, f"blob with expected digest {expected} exists")
                if request.total > 0:
                    total = request.total
                if request.action == _STAT:
                    response.digest = writer.digest()
                    response.started_at.CopyFrom(_timestamp(writer.started_at))
                    response.updated_at.CopyFrom(_timestamp(writer.updated_at))
                    response.total = total
                elif request.action in (_WRITE, _COMMIT):
                    _write_step(writer, request, response)
                    if request.action == _COMMIT:
                        response.digest = store_commit(writer, total, expected)
                    else:
                        response.digest = writer.digest()
                else:
                    raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown write action {request.action}")
                await stream.send(response.SerializeToString())
                if request.action == _COMMIT:
                    return
                data = await stream.recv()
                if data is None:
                    return
                request = content_pb2.WriteContentRequest.FromString(data)
        finally:
            writer.close()

    def register(self, router: Router) -> None:
        router.add_unary(f"{_SERVICE}/Info", unary_handler(content_pb2.InfoRequest, self._info))
        router.add_unary(f"{_SERVICE}/Update", unary_handler(content_pb2.UpdateRequest, self._update))
        router.add_unary(f"{_SERVICE}/Delete", unary_handler(content_pb2.DeleteContentRequest, self._delete))
        router.add_unary(f"{_SERVICE}/Status", unary_handler(content_pb2.StatusRequest, self._status))
        router.add_unary(
            f"{_SERVICE}/ListStatuses", unary_handler(content_pb2.ListStatusesRequest, self._list_statuses)
        )
        router.add_unary(f"{_SERVICE}/Abort", unary_handler(content_pb2.AbortRequest, self._abort))
        router.add_stream(f"{_SERVICE}/List", self._list)
        router.add_stream(f"{_SERVICE}/Read", self._read)
        router.add_stream(f"{_SERVICE}/Write", self._write)


def _write_step(
    writer: IngestWriter, request: content_pb2.WriteContentRequest, response: content_pb2.WriteContentResponse
) -> None:
    # Writes are append-only: a non-zero offset must be where the writer is, and offset zero on a
    # writer that has data starts the blob over.
    if request.offset > 0 and request.offset != writer.offset:
        raise RpcAbort(
            grpc.StatusCode.OUT_OF_RANGE, f"write @{request.offset} must occur at current offset {writer.offset}"
        )
    if request.offset == 0 and writer.offset > 0:
        writer.truncate_to_start()
        response.offset = 0
    if request.data:
        writer.write(request.data)
        response.offset += len(request.data)


def store_commit(writer: IngestWriter, total: int, expected: str) -> str:
    """Commit and log the blob (a cache export writes a handful of them)."""
    digest = writer.commit(total, expected)
    _log.debug("content_committed", digest=digest, size=writer.offset)
    return digest


async def _first(stream: ServerStream) -> bytes:
    data = await stream.recv()
    if data is None:
        raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, "missing request message")
    return data


def _no_filters(filters: object) -> None:
    # The engine lists without filters; containerd's filter language is not implemented here.
    if filters:
        raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, "content filters are not supported by this store")
