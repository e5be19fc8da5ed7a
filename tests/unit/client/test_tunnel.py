"""The session's own HTTP/2 client (session/tunnel.py) against a real gRPC server (grpcio's C core)."""

from __future__ import annotations

import asyncio
import hashlib
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest

from buildwright._pb import control_pb2
from buildwright.client.session.grpcframes import FrameError, bytes_message_data
from buildwright.client.session.tunnel import MESSAGE_DATA_LIMIT, TunnelClient
from buildwright.errors import EngineError

_PATH = "/moby.buildkit.v1.Control/Session"

Handler = Callable[[AsyncIterator[control_pb2.BytesMessage], grpc.aio.ServicerContext], AsyncIterator[Any]]


def _run(tmp_path: Path, handler: Handler, body: Callable[[socket.socket], Awaitable[None]]) -> None:
    path = str(tmp_path / "engine.sock")

    async def main() -> None:
        server = grpc.aio.server()
        server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    "moby.buildkit.v1.Control",
                    {
                        "Session": grpc.stream_stream_rpc_method_handler(
                            handler,
                            request_deserializer=control_pb2.BytesMessage.FromString,
                            response_serializer=control_pb2.BytesMessage.SerializeToString,
                        )
                    },
                ),
            )
        )
        server.add_insecure_port(f"unix:{path}")
        await server.start()
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            await asyncio.wait_for(body(sock), 60)
        finally:
            await server.stop(None)

    asyncio.run(main())


def test_bytes_cross_both_ways_beyond_every_window_and_message_limit(tmp_path: Path) -> None:
    # 6 MiB each way: far past HTTP/2's 64 KiB initial windows and the 1 MiB message limit, in
    # pieces of every size, so framing, flow control and message splitting all take part.
    rng = random.Random(3)
    payload = rng.randbytes(6 * 1024 * 1024)
    seen_metadata: dict[str, str] = {}
    received_by_server = hashlib.sha256()

    async def echo(requests: AsyncIterator[control_pb2.BytesMessage], context: grpc.aio.ServicerContext) -> Any:
        seen_metadata.update((k, v) for k, v in context.invocation_metadata() or () if isinstance(v, str))
        total = 0
        async for message in requests:
            assert len(message.data) <= MESSAGE_DATA_LIMIT
            received_by_server.update(message.data)
            total += len(message.data)
            # Answer in other sizes than asked: 3 messages per request.
            third = len(message.data) // 3 + 1
            for start in range(0, len(message.data), third):
                yield control_pb2.BytesMessage(data=message.data[start : start + third])
            if total == len(payload):
                return

    async def body(sock: socket.socket) -> None:
        received = bytearray()

        def on_data(data: memoryview) -> None:
            received.extend(data)
            if len(received) == len(payload):
                got.set_result(None)

        got: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        tunnel = TunnelClient(sock, b"", _PATH, (("x-docker-expose-session-uuid", "abc"),), on_data)
        tunnel.start()
        view = memoryview(payload)
        offset = 0
        while offset < len(view):
            size = rng.choice((1, 9, 4096, 16384, 70000, 300000, 1500000))
            tunnel.send([view[offset : offset + size], b""])
            offset += size
            await asyncio.sleep(0)
        waited: set[asyncio.Future[Any]] = {got, tunnel.done}
        await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        assert got.done(), f"tunnel ended early: {tunnel.done.result()}"
        assert bytes(received) == payload
        assert await tunnel.done is None  # the server's OK trailers end the call cleanly
        tunnel.close()

    _run(tmp_path, echo, body)
    assert seen_metadata["x-docker-expose-session-uuid"] == "abc"
    assert received_by_server.digest() == hashlib.sha256(payload).digest()


def test_an_error_status_from_the_engine_ends_the_call_with_its_message(tmp_path: Path) -> None:
    async def refuse(requests: AsyncIterator[control_pb2.BytesMessage], context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "no session for you: 100%")
        yield control_pb2.BytesMessage()  # never reached; makes this a generator

    async def body(sock: socket.socket) -> None:
        tunnel = TunnelClient(sock, b"", _PATH, (), lambda data: None)
        tunnel.start()
        error = await tunnel.done
        assert isinstance(error, EngineError)
        assert "no session for you: 100%" in str(error)
        tunnel.close()

    _run(tmp_path, refuse, body)


def test_closing_cancels_the_call_on_the_engine(tmp_path: Path) -> None:
    cancelled = asyncio.Event()

    async def wait(requests: AsyncIterator[control_pb2.BytesMessage], context: grpc.aio.ServicerContext) -> Any:
        context.add_done_callback(lambda _: cancelled.set())
        async for _ in requests:
            pass
        yield control_pb2.BytesMessage()

    async def body(sock: socket.socket) -> None:
        tunnel = TunnelClient(sock, b"", _PATH, (), lambda data: None)
        tunnel.start()
        tunnel.send([b"hello"])
        await asyncio.sleep(0.2)
        tunnel.close()
        await asyncio.wait_for(cancelled.wait(), 10)
        assert await tunnel.done is None

    _run(tmp_path, wait, body)


def test_bytes_message_data_skips_other_fields_and_refuses_truncation() -> None:
    message = control_pb2.BytesMessage(data=b"payload").SerializeToString()
    # An unknown varint field (2) and fixed32 field (3) around the data field.
    extended = b"\x10\x96\x01" + message + b"\x1d\x00\x00\x00\x00"
    assert bytes(bytes_message_data(memoryview(extended))) == b"payload"
    assert bytes(bytes_message_data(memoryview(b""))) == b""
    long = control_pb2.BytesMessage(data=b"x" * 300).SerializeToString()  # a two-byte length
    assert bytes(bytes_message_data(memoryview(long))) == b"x" * 300
    assert bytes(bytes_message_data(memoryview(long + message))) == b"payload"
    with pytest.raises(FrameError, match="truncated"):
        bytes_message_data(memoryview(message[:-1]))
