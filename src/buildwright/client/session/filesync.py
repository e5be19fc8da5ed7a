"""FileSync.DiffCopy, sending side: shares local directories (the build context) with the daemon.

fsutil's protocol (send.go): the sender streams a STAT packet per entry in walk order and an empty
STAT at the end; meanwhile the receiver asks for contents with REQ{ID} (ID = index of the STAT),
answered by DATA{ID, chunk}... and an empty DATA{ID}; the receiver finishes with FIN, answered by
FIN. The request's gRPC metadata picks the directory (`dir-name`) and filters it
(`include-patterns`, `exclude-patterns`, `followpaths`; values URL-escaped when `<key>-encoded`).

Throughput: everything runs on the session's event loop - the walk, file reads and both directions
of the stream - so there is no thread handoff per packet, and file contents go out in large chunks.
"""

from __future__ import annotations

import asyncio
import os
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import grpc

from buildwright._log import get_logger
from buildwright._pb import stat_pb2, wire_pb2
from buildwright.client.session.fswalk import FilterSpec, MatcherFactory, walk
from buildwright.client.session.grpcframes import grpc_prefix, varint
from buildwright.client.session.h2server import Router, RpcAbort, ServerStream
from buildwright.errors import BuildwrightError

_log = get_logger(__name__)

_SERVICE = "/moby.filesync.v1.FileSync"
# Well under grpc-go's 4 MiB default receive limit on the daemon side.
CHUNK_SIZE = 1024 * 1024
_YIELD_EVERY = 64

_STAT = wire_pb2.Packet.PACKET_STAT
_REQ = wire_pb2.Packet.PACKET_REQ
_DATA = wire_pb2.Packet.PACKET_DATA
_FIN = wire_pb2.Packet.PACKET_FIN
_ERR = wire_pb2.Packet.PACKET_ERR


class TransferObserver(Protocol):
    """Told what a DiffCopy sends, from the session's thread (so each call must be cheap)."""

    def sent(self, dir_name: str, path: str, mode: int, size: int, mtime: int, linkname: str) -> None:
        """An entry's STAT: its path, Go file mode, size, mtime in ns and link target."""

    def content(self, dir_name: str, path: str, data: memoryview) -> None:
        """The whole content of a file the receiver asked for, when it fit in one chunk: the
        bytes just sent, valid only during the call."""

    def finished(self, dir_name: str) -> None:
        """A DiffCopy of `dir_name` ended (done, failed or cancelled): what it was going to ask
        for, it has asked for."""


def request_options(metadata: Sequence[tuple[str, str | bytes]]) -> dict[str, list[str]]:
    """Group gRPC metadata by key and undo buildkit's URL-escaping of `<key>-encoded` values."""
    grouped: dict[str, list[str]] = {}
    for key, value in metadata:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        grouped.setdefault(key.lower(), []).append(text)
    out: dict[str, list[str]] = {}
    for key, values in grouped.items():
        flag = grouped.get(key + "-encoded")
        if flag and flag[0].strip().lower() in ("1", "t", "true"):
            out[key] = [urllib.parse.unquote_plus(v) for v in values]
        else:
            out[key] = values
    return out


class _Sender:
    """One DiffCopy call: a task streams STATs while the call's own task answers REQs."""

    def __init__(
        self,
        stream: ServerStream,
        root: Path,
        spec: FilterSpec,
        matcher_factory: MatcherFactory | None,
        observer: TransferObserver | None = None,
        dir_name: str = "",
    ) -> None:
        self._stream = stream
        self._observer = observer
        self._dir_name = dir_name
        self._root = root
        self._spec = spec
        self._matcher_factory = matcher_factory
        # ID -> (path, (dev, ino)) of files the receiver may request; popped when served.
        self._files: dict[int, tuple[str, tuple[int, int]]] = {}
        self._root_fd = -1
        self.entries = 0
        self.bytes_sent = 0

    async def _send_stats(self) -> None:
        files = self._files
        observe = None if self._observer is None else self._observer.sent
        name = self._dir_name
        index = 0
        # STAT packets go out _YIELD_EVERY at a time, as one run of gRPC messages: the stream's
        # send path (windows, HTTP/2 frames, a tunnel write) then runs once per batch, not once
        # per entry, which cost more than the walk itself on an unchanged tree.
        batch = bytearray()
        try:
            for entry in walk(self._root, self._spec, self._matcher_factory):
                if observe is not None:
                    stat = entry.stat
                    observe(name, stat.path, stat.mode, stat.size, stat.modTime, stat.linkname)
                if entry.identity is not None:
                    files[index] = (entry.stat.path, entry.identity)
                index += 1
                packet = _packet_stat(entry.stat)
                batch += grpc_prefix(len(packet))
                batch += packet
                if index % _YIELD_EVERY == 0:
                    await self._stream.send_framed(memoryview(batch))
                    batch = bytearray()  # the stream holds on to the sent one until it is written
                    # Sends rarely suspend (flow control permitting), so give the tunnel pump and
                    # the REQ loop a turn now and then: the receiver can start on files early.
                    await asyncio.sleep(0)
        except (OSError, ValueError, BuildwrightError) as exc:
            error = wire_pb2.Packet(type=_ERR, data=str(exc).encode()).SerializeToString()
            await self._stream.send_framed(memoryview(batch + grpc_prefix(len(error)) + error))
            raise
        self.entries = index
        await self._stream.send_framed(memoryview(batch + grpc_prefix(len(_EMPTY_STAT)) + _EMPTY_STAT))

    async def _send_file(self, file_id: int) -> None:
        item = self._files.pop(file_id, None)
        if item is None:
            raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid file id {file_id}")
        path, identity = item
        send = self._stream.send
        ended = False
        try:
            # O_NOFOLLOW plus the inode check: the file must still be the one that was walked,
            # never something a symlink swapped in since.
            # O_NONBLOCK: a FIFO swapped in must not block the loop (the inode check then rejects it).
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            fd = os.open(path, flags, dir_fd=self._root_fd)
        except OSError as exc:
            _log.debug("context_file_unreadable", path=path, error=str(exc))
            fd = -1
        if fd >= 0:
            try:
                info = os.fstat(fd)
                if (info.st_dev, info.st_ino) == identity:
                    ended = await self._send_contents(fd, file_id, path, info.st_size)
                else:
                    _log.warning("context_file_changed", path=path)
            finally:
                os.close(fd)
        if not ended:
            await send(_packet_data(file_id, b""))

    async def _send_contents(self, fd: int, file_id: int, path: str, size: int) -> bool:
        """Send the file's bytes as DATA packets; True when the last one carried the end too."""
        remaining = size
        chunks = 0
        whole = memoryview(b"")
        ended = False
        while not ended:
            packet = _read_data_packet(fd, file_id, remaining)
            if packet is None:
                break
            framed, whole, ended = packet
            chunks += 1
            remaining -= len(whole)
            self.bytes_sent += len(whole)
            await self._stream.send_framed(framed)
        if chunks <= 1 and self._observer is not None:
            # The bytes are at hand: the build record hashes them instead of reading the file
            # a second time.
            self._observer.content(self._dir_name, path, whole)
        return ended

    async def run(self) -> None:
        self._root_fd = os.open(os.path.realpath(self._root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        stats = asyncio.ensure_future(self._send_stats())
        try:
            while True:
                message = await self._stream.recv()
                if message is None:
                    return
                packet = wire_pb2.Packet.FromString(message)
                if packet.type == _REQ:
                    await self._send_file(packet.ID)
                elif packet.type == _FIN:
                    await stats
                    await self._stream.send(_FIN_BYTES)
                    return
                elif packet.type == _ERR:
                    raise RpcAbort(
                        grpc.StatusCode.ABORTED, f"error from receiver: {packet.data.decode('utf-8', 'replace')}"
                    )
                if stats.done() and not stats.cancelled() and stats.exception() is not None:
                    await stats
        finally:
            if not stats.done():
                stats.cancel()
            elif not stats.cancelled():
                stats.exception()  # a walk error already went to the engine as an error packet
            os.close(self._root_fd)


def _packet_stat(stat: stat_pb2.Stat) -> bytes:
    # Packet{type: STAT (0, the default, so absent), stat: 2} - framed by hand to skip a copy.
    body = stat.SerializeToString()
    return b"\x12" + varint(len(body)) + body


# Room before the file bytes of a DATA packet for the gRPC prefix and the packet's own fields.
_HEADROOM = 32


# The smallest read: a small file gets a small buffer (a big one per file costs an mmap each).
_MIN_READ = 4096
# Room after a chunk for the empty DATA packet that ends the file (prefix, type, ID).
_TAILROOM = 16


def _read_data_packet(fd: int, file_id: int, expected: int = CHUNK_SIZE) -> tuple[memoryview, memoryview, bool] | None:
    """The next chunk of `fd` as one gRPC-framed DATA packet, the chunk's bytes within it, and
    whether the file ended with it; None when nothing was left.

    The file is read straight into the buffer the frames are cut from, and the fields go in
    front of it, so a chunk's bytes are not copied between the file and the tunnel message. A
    fresh buffer each time: the frames still point into the previous one until the tunnel
    writes them. `expected` is what the file still holds by its stat, which sizes the buffer
    (a file that grew since is still read to its end). When the file ends inside the buffer,
    the empty DATA packet that tells the receiver so is framed right behind the chunk: a small
    file goes out as one write, not two.
    """
    capacity = min(CHUNK_SIZE, max(expected, _MIN_READ))
    buffer = bytearray(_HEADROOM + capacity + _TAILROOM)
    view = memoryview(buffer)
    size = 0
    ended = False
    while size < capacity:
        got = os.readv(fd, [view[_HEADROOM + size : _HEADROOM + capacity]])
        if got == 0:
            ended = True
            break
        size += got
    if size == 0:
        return None
    head = b"\x08\x02" + (b"\x18" + varint(file_id) if file_id else b"") + b"\x22" + varint(size)
    start = _HEADROOM - len(head) - 5
    buffer[start:_HEADROOM] = grpc_prefix(len(head) + size) + head
    end = _HEADROOM + size
    if ended:
        last = _packet_data(file_id, b"")
        buffer[end : end + 5 + len(last)] = grpc_prefix(len(last)) + last
        end += 5 + len(last)
    return view[start:end], view[_HEADROOM : _HEADROOM + size], ended


def _packet_data(file_id: int, data: bytes) -> bytes:
    # Packet{type: DATA (field 1), ID (field 3), data (field 4)}.
    head = b"\x08\x02" + (b"\x18" + varint(file_id) if file_id else b"")
    if not data:
        return head
    return head + b"\x22" + varint(len(data)) + data


def packet_stat_size(stat: stat_pb2.Stat) -> int:
    """The size of the STAT packet of `stat` (what a receiver counts for it)."""
    return len(_packet_stat(stat))


def packet_data_size(file_id: int, size: int) -> int:
    """The size of a DATA packet of file `file_id` carrying `size` bytes (0: the end of the file)."""
    head = 2 + (1 + len(varint(file_id)) if file_id else 0)
    return head + (1 + len(varint(size)) + size if size else 0)


_EMPTY_STAT = wire_pb2.Packet(type=_STAT).SerializeToString()
_FIN_BYTES = wire_pb2.Packet(type=_FIN).SerializeToString()


class FileSyncAttachable:
    """Shares named local directories (`context`, `dockerfile`, ...) through FileSync.DiffCopy."""

    def __init__(
        self,
        dirs: Mapping[str, Path],
        matcher_factory: MatcherFactory | None = None,
        observer: TransferObserver | None = None,
    ) -> None:
        self._dirs = {name: Path(path) for name, path in dirs.items()}
        self._matcher_factory = matcher_factory
        # Told what is sent (build records keep it to explain cache misses later).
        self._observer = observer

    async def _diff_copy(self, stream: ServerStream) -> None:
        opts = request_options(stream.metadata)
        name = (opts.get("dir-name") or [""])[0]
        root = self._dirs.get(name)
        if root is None:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"no access allowed to dir {name!r}")
        spec = FilterSpec(
            include_patterns=tuple(opts.get("include-patterns", ())),
            exclude_patterns=tuple(opts.get("exclude-patterns", ())),
            follow_paths=tuple(opts.get("followpaths", ())),
        )
        sender = _Sender(stream, root, spec, self._matcher_factory, self._observer, name)
        try:
            await sender.run()
        finally:
            if self._observer is not None:
                self._observer.finished(name)
        _log.debug("context_sent", dir=name, entries=sender.entries, bytes=sender.bytes_sent)

    async def _tar_stream(self, stream: ServerStream) -> None:
        raise RpcAbort(grpc.StatusCode.UNIMPLEMENTED, "tarstream is not supported")

    def register(self, router: Router) -> None:
        # Only DiffCopy is advertised: the daemon picks the first protocol the session offers.
        router.add_stream(f"{_SERVICE}/DiffCopy", self._diff_copy)
