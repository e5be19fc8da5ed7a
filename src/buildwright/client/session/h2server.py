"""A minimal HTTP/2 gRPC server that runs directly on the session tunnel's bytes.

The daemon speaks gRPC over HTTP/2 to the client through `Control.Session`. Serving that with a
full gRPC server means a local socket, a byte pump and a completion round trip per message; a
context of 20,000 small files needs ~80,000 messages, and that per-message latency dominated. Here
frames are parsed and written in plain Python on the session's event loop: sending a message when
flow-control window is available is a synchronous buffer append, and everything written while the
tunnel is busy goes out together in one `BytesMessage`.

Scope (what the daemon's grpc-go client needs): SETTINGS, PING, WINDOW_UPDATE and both flow-control
levels, HEADERS/CONTINUATION (HPACK decoded by the `hpack` package; responses use literal fields,
no dynamic table), DATA with gRPC length-prefixed messages (no compression), RST_STREAM, GOAWAY.
Frame layouts and codes are those of RFC 9113; status codes and trailers those of gRPC over HTTP/2.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
import hpack  # type: ignore[import-untyped,unused-ignore]

from buildwright._log import get_logger
from buildwright.client.session.grpcframes import Deframer, FrameError, varint

_log = get_logger(__name__)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

_DATA, _HEADERS, _PRIORITY, _RST_STREAM, _SETTINGS = 0x0, 0x1, 0x2, 0x3, 0x4
_PUSH_PROMISE, _PING, _GOAWAY, _WINDOW_UPDATE, _CONTINUATION = 0x5, 0x6, 0x7, 0x8, 0x9
_END_STREAM, _ACK, _END_HEADERS, _PADDED, _PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20

_SETTINGS_HEADER_TABLE_SIZE = 0x1
_SETTINGS_INITIAL_WINDOW_SIZE = 0x4
_SETTINGS_MAX_FRAME_SIZE = 0x5

_DEFAULT_WINDOW = 65535
# What we let the daemon send before it must wait for our WINDOW_UPDATE (requests are small).
_RECV_WINDOW = 1 << 24
# Stream windows are given back in batches: 16 KiB while a stream may still have the 64 KiB
# default window (before the peer acknowledged our SETTINGS), a quarter of ours after it.
_STREAM_UPDATE_THRESHOLD = 16 * 1024
_STREAM_UPDATE_SETTLED = _RECV_WINDOW // 4

Metadata = tuple[tuple[str, str], ...]


class RpcAbort(Exception):
    """Raised by a handler to end its call with a gRPC status."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _hpack_int(value: int, prefix_bits: int) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([value])
    # The rest of an HPACK integer is 7-bit groups, low first, as a protobuf varint is written.
    return bytes([limit]) + varint(value - limit)


def encode_headers(headers: Sequence[tuple[str, str]]) -> bytes:
    """HPACK block of literal fields without indexing (no dynamic-table state to keep in sync)."""
    out = bytearray()
    for name, value in headers:
        n, v = name.encode("ascii"), value.encode("utf-8")
        out += b"\x00" + _hpack_int(len(n), 7) + n + _hpack_int(len(v), 7) + v
    return bytes(out)


def _percent_encode(message: str) -> str:
    # gRPC's grpc-message encoding: printable ASCII except '%' stays, every other byte is %XX.
    return "".join(chr(b) if 0x20 <= b <= 0x7E and b != 0x25 else f"%{b:02X}" for b in message.encode("utf-8"))


def _frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream_id.to_bytes(4, "big") + payload


UnaryHandler = Callable[[bytes, Metadata], Awaitable[bytes]]


class ServerStream:
    """One call as a handler sees it: request metadata, raw request messages, raw responses."""

    def __init__(self, conn: H2Connection, stream_id: int, path: str, metadata: Metadata) -> None:
        self._conn = conn
        self.stream_id = stream_id
        self.path = path
        self.metadata = metadata
        self.send_window = conn.peer_initial_window
        self.recv_unacked = 0
        self._deframer = Deframer(self._deliver)
        self._messages: deque[bytes] = deque()
        self._sink: Callable[[memoryview], None] | None = None
        self.sink_error: BaseException | None = None
        self._ended = False
        self._waiter: asyncio.Future[None] | None = None
        self._send_lock = asyncio.Lock()
        self.headers_sent = False
        self.closed = False
        self.task: asyncio.Task[None] | None = None

    # -- receiving ---------------------------------------------------------------------------
    def _deliver(self, message: memoryview) -> None:
        sink = self._sink
        if sink is None:
            self._messages.append(bytes(message))
            return
        try:
            sink(message)
        except Exception as exc:  # the handler sees it when recv() returns
            self.sink_error = exc
            self._sink = None
            self._ended = True

    def _feed(self, data: bytes | memoryview, end: bool) -> None:
        if data and not (self._ended and self.sink_error is not None):
            try:
                self._deframer.feed(data)
            except FrameError as exc:
                code = grpc.StatusCode.RESOURCE_EXHAUSTED if "too large" in str(exc) else grpc.StatusCode.UNIMPLEMENTED
                raise RpcAbort(code, str(exc)) from exc
        if end:
            self._ended = True
        if self._waiter is not None and not self._waiter.done() and (self._messages or self._ended):
            self._waiter.set_result(None)

    def set_sink(self, sink: Callable[[memoryview], None]) -> None:
        """Hand every request message to `sink` as it arrives, on the loop, instead of queueing it.

        For bulk streams: no task switch per message. The view is valid only during the call. If
        `sink` raises, the stream stops receiving, `recv()` returns None and `sink_error` says why.
        """
        self._sink = sink
        while self._messages and self._sink is not None:
            self._deliver(memoryview(self._messages.popleft()))

    def _abort_receive(self) -> None:
        self._ended = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def recv(self) -> bytes | None:
        """The next request message, or None when the client has finished sending."""
        while not self._messages:
            if self._ended:
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None
        return self._messages.popleft()

    # -- sending -----------------------------------------------------------------------------
    async def send(self, message: bytes) -> None:
        """Send one response message (flow control permitting, without yielding to the loop)."""
        await self.send_framed(memoryview(b"\x00" + len(message).to_bytes(4, "big") + message))

    async def send_framed(self, framed: memoryview) -> None:
        """Send a message already carrying its 5-byte gRPC prefix (see `grpcframes.grpc_prefix`).

        The bytes are not copied here: frames point into `framed` until the tunnel writes them,
        so the caller must not change its buffer afterwards.
        """
        if self.closed:
            raise RpcAbort(grpc.StatusCode.CANCELLED, "stream closed")
        if not self._send_lock.locked() and self._conn.try_send_data(self, framed):
            return
        async with self._send_lock:
            await self._conn.send_data_blocking(self, framed)


class Router:
    """Method path -> handler; the session advertises exactly these paths."""

    def __init__(self) -> None:
        self._handlers: dict[str, Callable[[ServerStream], Awaitable[None]]] = {}

    def add_stream(self, path: str, handler: Callable[[ServerStream], Awaitable[None]]) -> None:
        self._handlers[path] = handler

    def add_unary(self, path: str, handler: UnaryHandler) -> None:
        async def run(stream: ServerStream) -> None:
            request = await stream.recv()
            if request is None:
                raise RpcAbort(grpc.StatusCode.INTERNAL, "missing request message")
            await stream.send(await handler(request, stream.metadata))

        self._handlers[path] = run

    def methods(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    def lookup(self, path: str) -> Callable[[ServerStream], Awaitable[None]] | None:
        return self._handlers.get(path)


class H2Connection:
    """Server side of one HTTP/2 connection whose bytes come from `feed` and leave via `write`."""

    def __init__(self, router: Router, write: Callable[[bytes | memoryview], None]) -> None:
        self._router = router
        self._write = write
        self._inbuf = bytearray()
        self._preface_seen = False
        self._decoder = hpack.Decoder()
        self._decoder.max_header_list_size = 1 << 20
        self._streams: dict[int, ServerStream] = {}
        self._header_block: tuple[int, int, bytearray] | None = None  # (stream, flags, fragments)
        self.peer_initial_window = _DEFAULT_WINDOW
        self._peer_max_frame = 16384
        self._conn_send_window = _DEFAULT_WINDOW
        self._window_waiters: list[asyncio.Future[None]] = []
        self._recv_unacked = 0
        self._stream_update_at = _STREAM_UPDATE_THRESHOLD
        self._goaway = False
        self.closed = False

    def start(self) -> None:
        """Write the server preface: our SETTINGS and a larger connection receive window."""
        settings = _SETTINGS_INITIAL_WINDOW_SIZE.to_bytes(2, "big") + _RECV_WINDOW.to_bytes(4, "big")
        self._write(_frame(_SETTINGS, 0, 0, settings))
        self._write(_frame(_WINDOW_UPDATE, 0, 0, (_RECV_WINDOW - _DEFAULT_WINDOW).to_bytes(4, "big")))

    # -- input -------------------------------------------------------------------------------
    def feed(self, data: bytes | memoryview) -> None:
        """Process bytes from the daemon: any number of whole or partial frames.

        Frames that arrive whole are handled as views into `data` (the handlers copy what they
        keep); only a frame split across calls is gathered in a buffer first.
        """
        view = memoryview(data)
        if not self._preface_seen:
            self._inbuf += view
            if len(self._inbuf) < len(PREFACE):
                return
            if bytes(self._inbuf[: len(PREFACE)]) != PREFACE:
                raise ConnectionError("session tunnel: not an HTTP/2 client preface")
            self._preface_seen = True
            view = memoryview(bytes(self._inbuf[len(PREFACE) :]))
            self._inbuf.clear()
        buf = self._inbuf
        pos, end = 0, len(view)
        if buf:
            # Complete the split frame: its header first, then its payload.
            if len(buf) < 9:
                take = min(9 - len(buf), end)
                buf += view[:take]
                pos = take
                if len(buf) < 9:
                    return
            need = 9 + int.from_bytes(buf[:3], "big") - len(buf)
            take = min(need, end - pos)
            buf += view[pos : pos + take]
            pos += take
            if take < need:
                return
            frame = bytes(buf)
            buf.clear()
            self._on_frame(frame[3], frame[4], int.from_bytes(frame[5:9], "big") & 0x7FFFFFFF, memoryview(frame)[9:])
        while end - pos >= 9:
            length = int.from_bytes(view[pos : pos + 3], "big")
            if end - pos < 9 + length:
                break
            stream_id = int.from_bytes(view[pos + 5 : pos + 9], "big") & 0x7FFFFFFF
            self._on_frame(view[pos + 3], view[pos + 4], stream_id, view[pos + 9 : pos + 9 + length])
            pos += 9 + length
        if pos < end:
            buf += view[pos:end]

    def _on_frame(self, kind: int, flags: int, stream_id: int, payload: memoryview) -> None:
        if self._header_block is not None and kind != _CONTINUATION:
            raise ConnectionError("session tunnel: header block interrupted")
        if kind == _DATA:
            self._on_data(flags, stream_id, payload)
        elif kind == _HEADERS:
            self._on_headers(flags, stream_id, payload)
        elif kind == _CONTINUATION:
            self._on_continuation(flags, stream_id, payload)
        elif kind == _SETTINGS:
            if flags & _ACK:
                self._stream_update_at = _STREAM_UPDATE_SETTLED
            else:
                self._on_settings(payload)
        elif kind == _WINDOW_UPDATE:
            self._on_window_update(stream_id, int.from_bytes(payload[:4], "big") & 0x7FFFFFFF)
        elif kind == _PING:
            if not flags & _ACK:
                self._write(_frame(_PING, _ACK, 0, bytes(payload)))
        elif kind == _RST_STREAM:
            stream = self._streams.pop(stream_id, None)
            if stream is not None:
                stream.closed = True
                stream._abort_receive()
                if stream.task is not None:
                    stream.task.cancel()
        elif kind == _GOAWAY:
            self._goaway = True
        # PRIORITY, PUSH_PROMISE and unknown frame types carry nothing a server must act on.

    def _on_settings(self, payload: memoryview) -> None:
        for i in range(0, len(payload) - len(payload) % 6, 6):
            ident = int.from_bytes(payload[i : i + 2], "big")
            value = int.from_bytes(payload[i + 2 : i + 6], "big")
            if ident == _SETTINGS_INITIAL_WINDOW_SIZE:
                delta = value - self.peer_initial_window
                self.peer_initial_window = value
                for stream in self._streams.values():
                    stream.send_window += delta
            elif ident == _SETTINGS_MAX_FRAME_SIZE:
                self._peer_max_frame = value
            # HEADER_TABLE_SIZE limits the peer's decoder; literal-only encoding never uses it.
        self._write(_frame(_SETTINGS, _ACK, 0))
        self._wake_senders()

    def _on_window_update(self, stream_id: int, increment: int) -> None:
        if stream_id == 0:
            self._conn_send_window += increment
        else:
            stream = self._streams.get(stream_id)
            if stream is None:
                return
            stream.send_window += increment
        self._wake_senders()

    def _wake_senders(self) -> None:
        waiters, self._window_waiters = self._window_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    @staticmethod
    def _strip_padding(flags: int, payload: memoryview) -> memoryview:
        if flags & _PADDED:
            pad = payload[0]
            return payload[1 : len(payload) - pad]
        return payload

    def _on_data(self, flags: int, stream_id: int, payload: memoryview) -> None:
        # Flow control counts the whole frame payload, padding included.
        self._recv_unacked += len(payload)
        if self._recv_unacked >= _RECV_WINDOW // 2:
            self._write(_frame(_WINDOW_UPDATE, 0, 0, self._recv_unacked.to_bytes(4, "big")))
            self._recv_unacked = 0
        stream = self._streams.get(stream_id)
        if stream is None:
            return
        # Stream-level window: messages are consumed from memory, so give it back in batches (one
        # update per frame would double the daemon's frames on REQ storms). The threshold stays
        # below half the 64 KiB default, in case a stream opened before our SETTINGS arrived.
        stream.recv_unacked += len(payload)
        if stream.recv_unacked >= self._stream_update_at:
            self._write(_frame(_WINDOW_UPDATE, 0, stream_id, stream.recv_unacked.to_bytes(4, "big")))
            stream.recv_unacked = 0
        try:
            stream._feed(self._strip_padding(flags, payload), bool(flags & _END_STREAM))
        except RpcAbort as exc:
            self._finish(stream, exc.code, exc.message)

    def _on_headers(self, flags: int, stream_id: int, payload: memoryview) -> None:
        block = self._strip_padding(flags, payload)
        if flags & _PRIORITY_FLAG:
            block = block[5:]
        if flags & _END_HEADERS:
            self._on_header_block(flags, stream_id, bytes(block))
        else:
            self._header_block = (stream_id, flags, bytearray(block))

    def _on_continuation(self, flags: int, stream_id: int, payload: memoryview) -> None:
        if self._header_block is None or self._header_block[0] != stream_id:
            raise ConnectionError("session tunnel: unexpected CONTINUATION frame")
        self._header_block[2].extend(payload)
        if flags & _END_HEADERS:
            sid, first_flags, block = self._header_block
            self._header_block = None
            self._on_header_block(first_flags, sid, bytes(block))

    def _on_header_block(self, flags: int, stream_id: int, block: bytes) -> None:
        headers = [
            (k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in self._decoder.decode(block, raw=True)
        ]
        end_stream = bool(flags & _END_STREAM)
        stream = self._streams.get(stream_id)
        if stream is not None:  # trailers from the client: only END_STREAM matters
            if end_stream:
                stream._feed(b"", True)
            return
        path = next((v for k, v in headers if k == ":path"), "")
        metadata = tuple((k, v) for k, v in headers if not k.startswith(":"))
        stream = ServerStream(self, stream_id, path, metadata)
        self._streams[stream_id] = stream
        if end_stream:
            stream._feed(b"", True)
        handler = self._router.lookup(path)
        if handler is None:
            self._finish(stream, grpc.StatusCode.UNIMPLEMENTED, f"unknown method {path}")
            return
        stream.task = asyncio.get_running_loop().create_task(self._run(stream, handler))

    async def _run(self, stream: ServerStream, handler: Callable[[ServerStream], Awaitable[None]]) -> None:
        try:
            await handler(stream)
        except RpcAbort as exc:
            self._finish(stream, exc.code, exc.message)
            return
        except asyncio.CancelledError:
            self._finish(stream, grpc.StatusCode.CANCELLED, "cancelled")
            return
        except Exception as exc:
            _log.warning("session_handler_failed", method=stream.path, error=str(exc))
            self._finish(stream, grpc.StatusCode.UNKNOWN, str(exc))
            return
        self._finish(stream, grpc.StatusCode.OK, "")

    # -- output ------------------------------------------------------------------------------
    def _send_response_headers(self, stream: ServerStream) -> None:
        if not stream.headers_sent:
            stream.headers_sent = True
            block = encode_headers(((":status", "200"), ("content-type", "application/grpc")))
            self._write(_frame(_HEADERS, _END_HEADERS, stream.stream_id, block))

    def try_send_data(self, stream: ServerStream, data: memoryview) -> bool:
        """Write `data` on the stream now if both windows allow all of it."""
        size = len(data)
        if self.closed or size > stream.send_window or size > self._conn_send_window:
            return False
        self._send_response_headers(stream)
        self._write_data_frames(stream, data)
        return True

    def _write_data_frames(self, stream: ServerStream, data: memoryview) -> None:
        # Frame headers and payload slices go to the writer separately: the payload is copied
        # once, when the tunnel message is assembled, never per frame.
        stream.send_window -= len(data)
        self._conn_send_window -= len(data)
        max_frame = self._peer_max_frame
        tail = bytes([_DATA, 0]) + stream.stream_id.to_bytes(4, "big")
        write = self._write
        for offset in range(0, len(data), max_frame):
            piece = data[offset : offset + max_frame]
            write(len(piece).to_bytes(3, "big") + tail)
            write(piece)

    async def send_data_blocking(self, stream: ServerStream, data: memoryview) -> None:
        """Write `data`, waiting for WINDOW_UPDATEs as needed."""
        self._send_response_headers(stream)
        view = data
        while view:
            if stream.closed or self.closed:
                raise RpcAbort(grpc.StatusCode.CANCELLED, "stream closed")
            allowed = min(len(view), stream.send_window, self._conn_send_window)
            if allowed <= 0:
                waiter = asyncio.get_running_loop().create_future()
                self._window_waiters.append(waiter)
                await waiter
                continue
            self._write_data_frames(stream, view[:allowed])
            view = view[allowed:]

    def _finish(self, stream: ServerStream, code: grpc.StatusCode, message: str) -> None:
        if stream.closed:
            return
        stream.closed = True
        self._streams.pop(stream.stream_id, None)
        stream._abort_receive()
        trailers: list[tuple[str, str]] = []
        if not stream.headers_sent:
            stream.headers_sent = True
            trailers += [(":status", "200"), ("content-type", "application/grpc")]
        trailers.append(("grpc-status", str(code.value[0])))
        if message:
            trailers.append(("grpc-message", _percent_encode(message)))
        self._write(_frame(_HEADERS, _END_HEADERS | _END_STREAM, stream.stream_id, encode_headers(trailers)))

    def close(self) -> None:
        """Stop: cancel running handlers and wake blocked senders."""
        self.closed = True
        for stream in list(self._streams.values()):
            stream.closed = True
            stream._abort_receive()
            if stream.task is not None:
                stream.task.cancel()
        self._streams.clear()
        self._wake_senders()


def unary_handler(request_type: Any, func: Callable[[Any, Metadata], Awaitable[Any]]) -> UnaryHandler:
    """Adapt a typed `(request, metadata) -> response` coroutine to raw bytes."""

    async def run(data: bytes, metadata: Metadata) -> bytes:
        response = await func(request_type.FromString(data), metadata)
        result: bytes = response.SerializeToString()
        return result

    return run
