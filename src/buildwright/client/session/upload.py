"""Upload.Pull: streams served to the daemon by id (a build context read from stdin).

The engine's http source fetches `http://buildkit-session/<id>` through the session; the call's
`urlpath` metadata names the id. Each stream is served once, in chunks, and closed after.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Mapping
from typing import BinaryIO

import grpc

from buildwright._pb import upload_pb2
from buildwright.client.session.h2server import Router, RpcAbort, ServerStream

_SERVICE = "/moby.upload.v1.Upload"
# Well under grpc-go's 4 MiB default receive limit on the daemon side.
CHUNK_SIZE = 1024 * 1024


class UploadAttachable:
    """Serves each stream of `uploads` (by id) once."""

    def __init__(self, uploads: Mapping[str, BinaryIO]) -> None:
        self._uploads = dict(uploads)

    async def _pull(self, stream: ServerStream) -> None:
        paths = [value for key, value in stream.metadata if key.lower() == "urlpath"]
        upload_id = posixpath.basename(paths[0]) if paths else ""
        source = self._uploads.pop(upload_id, None)
        if source is None:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"no http response from session for {upload_id}")
        try:
            while True:
                # Reading stdin may block: off the session's event loop.
                chunk = await asyncio.to_thread(source.read, CHUNK_SIZE)
                if not chunk:
                    return
                await stream.send(upload_pb2.BytesMessage(data=chunk).SerializeToString())
        finally:
            source.close()

    def register(self, router: Router) -> None:
        router.add_stream(f"{_SERVICE}/Pull", self._pull)
