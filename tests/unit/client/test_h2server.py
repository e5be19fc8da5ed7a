"""The session's HTTP/2 server against a real gRPC client (grpcio's C core) over a local socket."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest

from buildwright._pb import (
    auth_pb2,
    auth_pb2_grpc,
    filesync_pb2_grpc,
    health_pb2,
    health_pb2_grpc,
    secrets_pb2,
    secrets_pb2_grpc,
    wire_pb2,
)
from buildwright.client.session.auth import AnonymousAuthAttachable
from buildwright.client.session.filesync import FileSyncAttachable, request_options
from buildwright.client.session.h2server import H2Connection, Router, encode_headers
from buildwright.client.session.health import HealthAttachable
from buildwright.client.session.patterns import default_matcher_factory
from buildwright.client.session.secrets import SecretsAttachable, SecretValue


class _Protocol(asyncio.Protocol):
    def __init__(self, router: Router) -> None:
        self._router = router

    def connection_made(self, transport: Any) -> None:
        self._conn = H2Connection(self._router, transport.write)
        self._conn.start()

    def data_received(self, data: bytes) -> None:
        self._conn.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._conn.close()


def _serve(tmp_path: Path, attachables: list[Any], body: Callable[[grpc.aio.Channel], Awaitable[None]]) -> None:
    router = Router()
    for a in attachables:
        a.register(router)
    sock = str(tmp_path / "h2.sock")

    async def main() -> None:
        server = await asyncio.get_running_loop().create_unix_server(lambda: _Protocol(router), sock)
        try:
            async with grpc.aio.insecure_channel(f"unix:{sock}") as channel:
                await asyncio.wait_for(body(channel), 30)
        finally:
            server.close()

    asyncio.run(main())


def test_health_auth_secrets_and_unknown(tmp_path: Path) -> None:
    async def body(channel: grpc.aio.Channel) -> None:
        health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        creds = await auth_pb2_grpc.AuthStub(channel).Credentials(auth_pb2.CredentialsRequest(Host="docker.io"))
        assert creds.Username == "" and creds.Secret == ""
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await auth_pb2_grpc.AuthStub(channel).GetTokenAuthority(auth_pb2.GetTokenAuthorityRequest(Host="x"))
        assert info.value.code() is grpc.StatusCode.UNAVAILABLE
        secret = await secrets_pb2_grpc.SecretsStub(channel).GetSecret(secrets_pb2.GetSecretRequest(ID="tok"))
        assert secret.data == b"s3cr\xc3\xa9t"
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await secrets_pb2_grpc.SecretsStub(channel).GetSecret(secrets_pb2.GetSecretRequest(ID="nope"))
        assert info.value.code() is grpc.StatusCode.NOT_FOUND
        assert "nope" in (info.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await filesync_pb2_grpc.FileSyncStub(channel).TarStream().read()
        assert info.value.code() is grpc.StatusCode.UNIMPLEMENTED

    attachables = [
        HealthAttachable(),
        AnonymousAuthAttachable(),
        SecretsAttachable({"tok": SecretValue(b"s3cr\xc3\xa9t")}),
    ]
    _serve(tmp_path, attachables, body)


async def _receive(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Play fsutil's receiver: collect STATs, request every regular file, finish with FIN."""
    call = filesync_pb2_grpc.FileSyncStub(channel).DiffCopy(metadata=metadata)
    stats: list[Any] = []
    contents: dict[int, bytearray] = {}
    pending = 0
    stats_done = False
    while True:
        packet = await call.read()
        assert packet is not grpc.aio.EOF
        if packet.type == wire_pb2.Packet.PACKET_STAT:
            if not packet.HasField("stat"):
                stats_done = True
            else:
                index = len(stats)
                stats.append(packet.stat)
                if packet.stat.mode & 0xFFF80000 == 0 and not packet.stat.linkname:
                    contents[index] = bytearray()
                    pending += 1
                    await call.write(wire_pb2.Packet(type=wire_pb2.Packet.PACKET_REQ, ID=index))
        elif packet.type == wire_pb2.Packet.PACKET_DATA:
            if packet.data:
                contents[packet.ID] += packet.data
            else:
                pending -= 1
        elif packet.type == wire_pb2.Packet.PACKET_ERR:
            raise AssertionError(packet.data.decode())
        if stats_done and pending == 0:
            break
    await call.write(wire_pb2.Packet(type=wire_pb2.Packet.PACKET_FIN))
    fin = await call.read()
    assert fin.type == wire_pb2.Packet.PACKET_FIN
    await call.done_writing()
    return {s.path: (s, bytes(contents[i]) if i in contents else None) for i, s in enumerate(stats)}


def test_diffcopy_sends_tree_and_contents(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    (ctx / "many").mkdir(parents=True)
    for i in range(300):
        (ctx / "many" / f"f{i:03d}").write_bytes(os.urandom(i * 37))
    big = os.urandom(3 * 1024 * 1024 + 17)  # several chunks and many HTTP/2 windows
    (ctx / "big.bin").write_bytes(big)
    (ctx / "skip.log").write_text("excluded")
    os.symlink("big.bin", ctx / "link")
    os.link(ctx / "big.bin", ctx / "hard")

    async def body(channel: grpc.aio.Channel) -> None:
        metadata = (("dir-name", "context"), ("exclude-patterns", "*.log"))
        got = await _receive(channel, metadata)
        assert "skip.log" not in got
        assert hashlib.sha256(got["big.bin"][1]).digest() == hashlib.sha256(big).digest()
        assert got["hard"][0].linkname == "big.bin" and got["hard"][1] is None
        assert got["link"][0].linkname == "big.bin"
        for i in range(300):
            assert got[f"many/f{i:03d}"][1] == (ctx / "many" / f"f{i:03d}").read_bytes()
        assert list(got)[:3] == ["big.bin", "hard", "link"]

    _serve(tmp_path, [FileSyncAttachable({"context": ctx}, default_matcher_factory)], body)


class _Observer:
    def __init__(self) -> None:
        self.entries: list[str] = []
        self.contents: dict[str, bytes] = {}
        self.ended: list[str] = []

    def sent(self, dir_name: str, path: str, mode: int, size: int, mtime: int, linkname: str) -> None:
        self.entries.append(f"{dir_name}:{path}")

    def content(self, dir_name: str, path: str, data: memoryview) -> None:
        self.contents[f"{dir_name}:{path}"] = bytes(data)

    def finished(self, dir_name: str) -> None:
        self.ended.append(dir_name)


def test_diffcopy_tells_its_observer_what_it_sent(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "small").write_bytes(b"small file")
    (ctx / "empty").write_bytes(b"")
    big = os.urandom(2 * 1024 * 1024 + 5)  # three chunks: no single view holds it
    (ctx / "big").write_bytes(big)
    observer = _Observer()

    async def body(channel: grpc.aio.Channel) -> None:
        got = await _receive(channel, (("dir-name", "context"),))
        assert got["big"][1] == big
        # Every entry is told before the call ends, and the end is told once the call is done.
        assert sorted(observer.entries) == ["context:big", "context:empty", "context:small"]

    _serve(tmp_path, [FileSyncAttachable({"context": ctx}, default_matcher_factory, observer)], body)
    # The bytes of the files sent whole, exactly as sent; a file of several chunks is not given.
    assert observer.contents == {"context:small": b"small file", "context:empty": b""}
    assert observer.ended == ["context"]


def test_diffcopy_unknown_dir(tmp_path: Path) -> None:
    async def body(channel: grpc.aio.Channel) -> None:
        call = filesync_pb2_grpc.FileSyncStub(channel).DiffCopy(metadata=(("dir-name", "other"),))
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await call.read()
        assert info.value.code() is grpc.StatusCode.NOT_FOUND

    _serve(tmp_path, [FileSyncAttachable({"context": tmp_path})], body)


def test_request_options_decodes_escaped_values() -> None:
    opts = request_options(
        (
            ("dir-name", "context"),
            ("exclude-patterns", "a%20b"),
            ("exclude-patterns", "c"),
            ("exclude-patterns-encoded", "1"),
        )
    )
    assert opts["exclude-patterns"] == ["a b", "c"]
    assert request_options((("include-patterns", "a%20b"),))["include-patterns"] == ["a%20b"]


def test_literal_header_encoding_round_trips() -> None:
    import hpack  # type: ignore[import-untyped,unused-ignore]

    headers = [("grpc-status", "0"), ("x-long", "v" * 300)]
    decoded = [(str(k), str(v)) for k, v in hpack.Decoder().decode(encode_headers(headers))]
    assert decoded == headers


def test_tunnel_messages_carry_the_pieces_in_order_within_the_size_limit() -> None:
    from buildwright._pb import control_pb2
    from buildwright.client.session import session as session_module

    pieces: list[bytes | memoryview] = [b"head", memoryview(os.urandom(3 * 1024 * 1024 + 5)), b"", b"tail" * 1000]
    messages = list(session_module.tunnel_messages(pieces))
    decoded = [control_pb2.BytesMessage.FromString(m).data for m in messages]
    assert b"".join(decoded) == b"".join(bytes(p) for p in pieces)
    assert all(len(d) <= session_module._TUNNEL_CHUNK for d in decoded)
    assert len(messages) == 4


def _framed_messages(framed: memoryview) -> list[bytes]:
    out = []
    offset = 0
    while offset < len(framed):
        assert framed[offset] == 0
        length = int.from_bytes(framed[offset + 1 : offset + 5], "big")
        out.append(bytes(framed[offset + 5 : offset + 5 + length]))
        offset += 5 + length
    assert offset == len(framed)
    return out


def test_data_packets_are_read_in_place_with_their_grpc_prefix(tmp_path: Path) -> None:
    from buildwright.client.session import filesync

    for length in (filesync.CHUNK_SIZE + 1000, filesync.CHUNK_SIZE, 10, 0):
        data = os.urandom(length)
        (tmp_path / "f").write_bytes(data)
        fd = os.open(tmp_path / "f", os.O_RDONLY)
        try:
            for file_id in (0, 300):
                os.lseek(fd, 0, os.SEEK_SET)
                chunks = []
                ends = 0
                while (packet := filesync._read_data_packet(fd, file_id, length)) is not None:
                    framed, chunk, ended = packet
                    messages = [wire_pb2.Packet.FromString(m) for m in _framed_messages(framed)]
                    assert (messages[0].type, messages[0].ID) == (wire_pb2.Packet.PACKET_DATA, file_id)
                    assert messages[0].data == bytes(chunk)
                    chunks.append(bytes(chunk))
                    # A chunk that ends the file carries the empty DATA packet that says so.
                    assert len(messages) == (2 if ended else 1)
                    if ended:
                        ends += 1
                        assert (messages[1].type, messages[1].ID, messages[1].data) == (
                            wire_pb2.Packet.PACKET_DATA,
                            file_id,
                            b"",
                        )
                assert b"".join(chunks) == data
                # A file that ends on a chunk's edge (or is empty) is ended by a packet of its own.
                assert ends == (0 if length % filesync.CHUNK_SIZE == 0 else 1)
        finally:
            os.close(fd)


def _h2_frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream_id.to_bytes(4, "big") + payload


def test_frames_and_messages_split_anywhere_reach_a_sink_whole_and_in_order() -> None:
    # A client's bytes cut at every awkward place: inside the preface, frame headers, payloads
    # and gRPC prefixes, with messages spanning frames and frames holding several messages.
    messages = [bytes([i % 251]) * size for i, size in enumerate((0, 1, 5, 16384, 40000, 3, 70000))]
    grpc_stream = b"".join(b"\x00" + len(m).to_bytes(4, "big") + m for m in messages)
    frames = [
        _h2_frame(0x4, 0, 0, b""),
        _h2_frame(0x1, 0x4, 1, encode_headers(((":method", "POST"), (":path", "/test/Bulk")))),
    ]
    for start in range(0, len(grpc_stream), 16384):
        frames.append(_h2_frame(0x0, 0, 1, grpc_stream[start : start + 16384]))
    frames.append(_h2_frame(0x0, 0x1, 1, b""))
    wire = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"".join(frames)
    received: list[bytes] = []
    finished = []

    async def bulk(stream: Any) -> None:
        stream.set_sink(lambda message: received.append(bytes(message)))
        assert await stream.recv() is None
        finished.append(stream.sink_error)

    async def main() -> None:
        router = Router()
        router.add_stream("/test/Bulk", bulk)
        out: list[bytes | memoryview] = []
        conn = H2Connection(router, out.append)
        rng = random.Random(5)
        pos = 0
        while pos < len(wire):
            step = rng.choice((1, 2, 7, 9, 100, 5000, 20000))
            conn.feed(memoryview(wire[pos : pos + step]))
            pos += step
            await asyncio.sleep(0)
        for _ in range(5):
            await asyncio.sleep(0)
        conn.close()

    asyncio.run(main())
    assert received == messages
    assert finished == [None]
