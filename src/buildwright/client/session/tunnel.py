"""The `Control.Session` stream spoken directly on a socket: an HTTP/2 client for one gRPC call.

Through grpcio, every byte of a session (the context going up, an exported tar coming down) was
copied into and out of grpc's slices, crossed its completion queue and poller threads and, on
dockerd, a relay's two pump threads and socket pair; for a 1 GiB context that was most of the
client's CPU. Here the session thread owns a plain socket to the engine (dockerd's upgraded `/grpc`
connection, or a buildkitd unix socket): tunnel bytes are framed by hand (gRPC prefix and
`BytesMessage` field header in front of the inner server's own frame pieces) and leave with one
scatter/gather `sendmsg`, so a context byte is copied once in user space (the file read) and once
by the kernel. Incoming frames are read into one reusable buffer and parsed in place.

Scope is one client stream: SETTINGS (with ACKs), PING, WINDOW_UPDATE and both flow-control levels
each way, HEADERS/CONTINUATION (HPACK by the `hpack` package; our request uses literal fields),
DATA carrying length-prefixed gRPC messages, RST_STREAM, GOAWAY (RFC 9113; gRPC over HTTP/2).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import urllib.parse
from collections import deque
from collections.abc import Callable, Sequence

import hpack  # type: ignore[import-untyped,unused-ignore]

from buildwright._log import get_logger
from buildwright.client.session.grpcframes import (
    Deframer,
    FrameError,
    bytes_message_data,
    bytes_message_head,
    message_batches,
)
from buildwright.client.session.h2server import PREFACE, encode_headers
from buildwright.errors import EngineError

_log = get_logger(__name__)

_DATA, _HEADERS, _RST_STREAM, _SETTINGS = 0x0, 0x1, 0x3, 0x4
_PING, _GOAWAY, _WINDOW_UPDATE, _CONTINUATION = 0x6, 0x7, 0x8, 0x9
_END_STREAM, _ACK, _END_HEADERS, _PADDED, _PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20

_SETTINGS_ENABLE_PUSH = 0x2
_SETTINGS_INITIAL_WINDOW_SIZE = 0x4
_SETTINGS_MAX_FRAME_SIZE = 0x5

_STREAM = 1  # the one stream this connection opens
_DEFAULT_WINDOW = 65535
_DEFAULT_MAX_FRAME = 16384
# What the engine may send before our WINDOW_UPDATE: an exported tar arrives as fast as the
# engine writes it while the session thread is busy writing the file.
_RECV_WINDOW = 16 * 1024 * 1024
_UPDATE_AT = _RECV_WINDOW // 4
_READ_BUFFER = 1024 * 1024
# Linux's IOV_MAX: buffers per sendmsg call.
_IOV_MAX = 1024
# Below grpc-go's 4 MiB default message limit on the engine's side.
MESSAGE_DATA_LIMIT = 1024 * 1024

_CANCEL = 0x8
_GRPC_OK = "0"

Buffer = bytes | bytearray | memoryview


def _frame_header(length: int, kind: int, flags: int, stream_id: int) -> bytes:
    return length.to_bytes(3, "big") + bytes((kind, flags)) + stream_id.to_bytes(4, "big")


class TunnelClient:
    """One `Control.Session` call on a connected socket, run on the calling event loop.

    `on_data` receives each incoming `BytesMessage.data` (a view valid only during the call);
    `send` queues outgoing data. `done` resolves when the call ends: None for grpc-status OK or
    an orderly close, else the error.
    """

    def __init__(
        self,
        sock: socket.socket,
        early: bytes,
        path: str,
        metadata: Sequence[tuple[str, str]],
        on_data: Callable[[memoryview], None],
        *,
        authority: str = "localhost",
    ) -> None:
        self._sock = sock
        self._fd = sock.fileno()
        self._path = path
        self._metadata = tuple(metadata)
        self._authority = authority
        self._on_data = on_data
        self._loop = asyncio.get_running_loop()
        self.done: asyncio.Future[BaseException | None] = self._loop.create_future()
        self._rbuf = bytearray(_READ_BUFFER)
        self._rview = memoryview(self._rbuf)
        self._rlen = 0
        self._rbuf[: len(early)] = early
        self._rlen = len(early)
        self._decoder = hpack.Decoder()
        self._decoder.max_header_list_size = 1 << 20
        self._header_block: tuple[int, bytearray] | None = None
        self._response_headers = False
        self._deframer = Deframer(self._deliver)
        self._recv_unacked_conn = 0
        self._recv_unacked_stream = 0
        # Outgoing: DATA not yet framed (flow control), and bytes not yet taken by the kernel.
        self._pending: deque[memoryview] = deque()
        self._pending_size = 0
        self._wqueue: deque[memoryview] = deque()
        self._writing = False
        self._initial_window = _DEFAULT_WINDOW
        self._send_window = _DEFAULT_WINDOW
        self._conn_window = _DEFAULT_WINDOW
        self._peer_max_frame = _DEFAULT_MAX_FRAME
        self._closed = False
        # What came in (the debug event at the end says it): frames, messages, bytes, reads.
        self.frames_in = self.messages_in = self.bytes_in = self.reads = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Send the preface, our settings and the call's headers, and start reading."""
        self._sock.setblocking(False)
        settings = (
            _SETTINGS_ENABLE_PUSH.to_bytes(2, "big")
            + (0).to_bytes(4, "big")
            + _SETTINGS_INITIAL_WINDOW_SIZE.to_bytes(2, "big")
            + _RECV_WINDOW.to_bytes(4, "big")
        )
        headers = encode_headers(
            (
                (":method", "POST"),
                (":scheme", "http"),
                (":path", self._path),
                (":authority", self._authority),
                ("content-type", "application/grpc"),
                ("te", "trailers"),
                ("user-agent", "buildwright"),
                *self._metadata,
            )
        )
        self._write(
            PREFACE
            + _frame_header(len(settings), _SETTINGS, 0, 0)
            + settings
            + _frame_header(4, _WINDOW_UPDATE, 0, 0)
            + (_RECV_WINDOW - _DEFAULT_WINDOW).to_bytes(4, "big")
            + _frame_header(len(headers), _HEADERS, _END_HEADERS, _STREAM)
            + headers
        )
        self._loop.add_reader(self._fd, self._on_readable)
        if self._rlen:
            self._parse()

    def close(self) -> None:
        """Cancel the call (RST_STREAM) and close the socket."""
        if self._closed:
            return
        with contextlib.suppress(OSError):
            self._sock.send(_frame_header(4, _RST_STREAM, 0, _STREAM) + _CANCEL.to_bytes(4, "big"))
        self._finish(None)

    def _finish(self, error: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        _log.debug(
            "session_tunnel_closed",
            frames_in=self.frames_in,
            messages_in=self.messages_in,
            bytes_in=self.bytes_in,
            reads=self.reads,
        )
        self._loop.remove_reader(self._fd)
        if self._writing:
            self._loop.remove_writer(self._fd)
            self._writing = False
        self._sock.close()
        self._pending.clear()
        self._wqueue.clear()
        if not self.done.done():
            self.done.set_result(error)

    def _fail(self, message: str) -> None:
        _log.debug("session_tunnel_error", error=message)
        self._finish(EngineError(f"session tunnel: {message}"))

    # -- sending -----------------------------------------------------------------------------
    def send(self, pieces: Sequence[Buffer]) -> None:
        """Queue `pieces` (in order) as tunnel data; the buffers must stay unchanged until sent.

        They go out as `BytesMessage`s of at most MESSAGE_DATA_LIMIT bytes each, and their bytes
        are never joined: the message framing is written in front of them.
        """
        if self._closed:
            return
        for parts, size in message_batches(pieces, MESSAGE_DATA_LIMIT):
            self._queue_message(parts, size)
        self._flush_data()

    def _queue_message(self, parts: list[memoryview], size: int) -> None:
        head = bytes_message_head(size)
        self._pending.append(memoryview(head))
        self._pending.extend(parts)
        self._pending_size += len(head) + size

    def _flush_data(self) -> None:
        # Cut pending bytes into DATA frames as far as both windows allow.
        pending = self._pending
        out: list[memoryview] = []
        max_frame = self._peer_max_frame
        while pending:
            allowed = min(self._pending_size, max_frame, self._send_window, self._conn_window)
            if allowed <= 0:
                break
            out.append(memoryview(_frame_header(allowed, _DATA, 0, _STREAM)))
            need = allowed
            while need:
                piece = pending[0]
                if len(piece) <= need:
                    pending.popleft()
                    out.append(piece)
                    need -= len(piece)
                else:
                    out.append(piece[:need])
                    pending[0] = piece[need:]
                    need = 0
            self._pending_size -= allowed
            self._send_window -= allowed
            self._conn_window -= allowed
        if out:
            self._wqueue.extend(out)
            self._send_queued()

    def _write(self, data: bytes) -> None:
        if self._closed:
            return
        self._wqueue.append(memoryview(data))
        self._send_queued()

    def _send_queued(self) -> None:
        if self._writing or self._closed:
            return  # the writer callback sends it, in order
        queue = self._wqueue
        while queue:
            buffers = list(queue) if len(queue) <= _IOV_MAX else [queue[i] for i in range(_IOV_MAX)]
            try:
                sent = self._sock.sendmsg(buffers)
            except (BlockingIOError, InterruptedError):
                self._writing = True
                self._loop.add_writer(self._fd, self._on_writable)
                return
            except OSError as exc:
                self._fail(f"write failed: {exc}")
                return
            while sent:
                head = queue[0]
                if len(head) <= sent:
                    queue.popleft()
                    sent -= len(head)
                else:
                    queue[0] = head[sent:]
                    sent = 0

    def _on_writable(self) -> None:
        self._loop.remove_writer(self._fd)
        self._writing = False
        self._send_queued()

    # -- receiving ---------------------------------------------------------------------------
    def _on_readable(self) -> None:
        if self._rlen == len(self._rbuf):
            self._rview.release()  # a frame larger than the buffer: grow it
            self._rbuf.extend(bytes(len(self._rbuf)))
            self._rview = memoryview(self._rbuf)
        try:
            count = self._sock.recv_into(self._rview[self._rlen :])
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fail(f"read failed: {exc}")
            return
        if count == 0:
            self._fail("the engine closed the connection")
            return
        self._rlen += count
        self.reads += 1
        self._parse()

    def _parse(self) -> None:
        view = self._rview
        pos, end = 0, self._rlen
        while end - pos >= 9 and not self._closed:
            length = int.from_bytes(view[pos : pos + 3], "big")
            if end - pos < 9 + length:
                break
            kind, flags = view[pos + 3], view[pos + 4]
            stream_id = int.from_bytes(view[pos + 5 : pos + 9], "big") & 0x7FFFFFFF
            payload = view[pos + 9 : pos + 9 + length]
            pos += 9 + length
            try:
                self._on_frame(kind, flags, stream_id, payload)
            except EngineError as exc:
                self._finish(exc)
            except Exception as exc:  # a handler's bug must not pass silently: it ends the session
                self._finish(exc)
        if self._closed:
            return
        if pos:
            # What is left is at most part of one frame.
            rest = end - pos
            self._rbuf[:rest] = bytes(view[pos:end])
            self._rlen = rest

    def _on_frame(self, kind: int, flags: int, stream_id: int, payload: memoryview) -> None:
        if self._header_block is not None and kind != _CONTINUATION:
            raise EngineError("session tunnel: header block interrupted")
        if kind == _DATA:
            self._on_data_frame(flags, stream_id, payload)
        elif kind == _HEADERS:
            block = _strip_padding(flags, payload)
            if flags & _PRIORITY_FLAG:
                block = block[5:]
            if flags & _END_HEADERS:
                self._on_header_block(flags, stream_id, bytes(block))
            else:
                self._header_block = (flags, bytearray(block))
        elif kind == _CONTINUATION:
            if self._header_block is None:
                raise EngineError("session tunnel: unexpected CONTINUATION frame")
            self._header_block[1].extend(payload)
            if flags & _END_HEADERS:
                first_flags, fragments = self._header_block
                self._header_block = None
                self._on_header_block(first_flags, stream_id, bytes(fragments))
        elif kind == _SETTINGS:
            if not flags & _ACK:
                self._on_settings(payload)
        elif kind == _WINDOW_UPDATE:
            increment = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if stream_id == 0:
                self._conn_window += increment
            elif stream_id == _STREAM:
                self._send_window += increment
            self._flush_data()
        elif kind == _PING:
            if not flags & _ACK:
                self._write(_frame_header(8, _PING, _ACK, 0) + bytes(payload))
        elif kind == _RST_STREAM and stream_id == _STREAM:
            code = int.from_bytes(payload[:4], "big")
            raise EngineError(f"session tunnel: the engine reset the stream (HTTP/2 error {code})")
        elif kind == _GOAWAY:
            code = int.from_bytes(payload[4:8], "big")
            last = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if code or last < _STREAM:
                raise EngineError(f"session tunnel: the engine closed the connection (HTTP/2 error {code})")
        # PRIORITY, PUSH_PROMISE (disabled) and unknown frame types carry nothing to act on.

    def _on_settings(self, payload: memoryview) -> None:
        for i in range(0, len(payload) - len(payload) % 6, 6):
            ident = int.from_bytes(payload[i : i + 2], "big")
            value = int.from_bytes(payload[i + 2 : i + 6], "big")
            if ident == _SETTINGS_INITIAL_WINDOW_SIZE:
                self._send_window += value - self._initial_window
                self._initial_window = value
            elif ident == _SETTINGS_MAX_FRAME_SIZE:
                self._peer_max_frame = value
        self._write(_frame_header(0, _SETTINGS, _ACK, 0))
        self._flush_data()

    def _on_data_frame(self, flags: int, stream_id: int, payload: memoryview) -> None:
        self.frames_in += 1
        # Flow control counts the whole payload, padding included; bytes are consumed at once.
        self._recv_unacked_conn += len(payload)
        updates = b""
        if self._recv_unacked_conn >= _UPDATE_AT:
            updates += _frame_header(4, _WINDOW_UPDATE, 0, 0) + self._recv_unacked_conn.to_bytes(4, "big")
            self._recv_unacked_conn = 0
        if stream_id != _STREAM:
            if updates:
                self._write(updates)
            return
        self._recv_unacked_stream += len(payload)
        if self._recv_unacked_stream >= _UPDATE_AT:
            updates += _frame_header(4, _WINDOW_UPDATE, 0, _STREAM) + self._recv_unacked_stream.to_bytes(4, "big")
            self._recv_unacked_stream = 0
        if updates:
            self._write(updates)
        try:
            self._deframer.feed(_strip_padding(flags, payload))
        except FrameError as exc:
            raise EngineError(f"session tunnel: {exc}") from exc
        if flags & _END_STREAM:
            self._finish(None)

    def _deliver(self, message: memoryview) -> None:
        self.messages_in += 1
        self.bytes_in += len(message)
        try:
            data = bytes_message_data(message)
        except FrameError as exc:
            raise EngineError(f"session tunnel: {exc}") from exc
        if data:
            self._on_data(data)

    def _on_header_block(self, flags: int, stream_id: int, block: bytes) -> None:
        try:
            fields = self._decoder.decode(block, raw=True)
        except hpack.HPACKError as exc:
            raise EngineError(f"session tunnel: bad header block: {exc}") from exc
        if stream_id != _STREAM:
            return
        headers = {k.decode("latin-1"): v.decode("utf-8", "replace") for k, v in fields}
        if not self._response_headers:
            self._response_headers = True
            status = headers.get(":status", "")
            if status != "200":
                raise EngineError(f"session tunnel: the engine answered HTTP status {status or 'none'}")
        grpc_status = headers.get("grpc-status")
        if grpc_status is not None and grpc_status != _GRPC_OK:
            message = urllib.parse.unquote(headers.get("grpc-message", ""))
            self._finish(EngineError(f"session ended by the engine: {message or 'grpc status ' + grpc_status}"))
            return
        if flags & _END_STREAM:
            self._finish(None)


def _strip_padding(flags: int, payload: memoryview) -> memoryview:
    if flags & _PADDED:
        pad = payload[0]
        return payload[1 : len(payload) - pad]
    return payload
