"""FileSend.DiffCopy receiving side, driven by scripted engine messages (no engine)."""

from __future__ import annotations

import asyncio
import io
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest

from buildwright._pb import filesync_pb2, stat_pb2, wire_pb2
from buildwright.client.session.filesend import EXPORTER_ID_KEY, FileSendAttachable, unix_mode
from buildwright.client.session.fswalk import MODE_DIR, MODE_SETUID, MODE_SYMLINK
from buildwright.client.session.h2server import Router, RpcAbort, ServerStream

_MTIME = 1_600_000_000_123_456_789


class _ScriptedStream:
    """What a handler sees of one call: metadata, the engine's messages in order, and what it sent."""

    def __init__(self, messages: Sequence[bytes], metadata: Sequence[tuple[str, str]]) -> None:
        self.metadata = tuple(metadata)
        self._messages = list(messages)
        self.sent: list[bytes] = []
        self.sink_error: BaseException | None = None

    async def recv(self) -> bytes | None:
        return self._messages.pop(0) if self._messages else None

    def set_sink(self, sink: Callable[[memoryview], None]) -> None:
        # As ServerStream: the rest of the messages go to the sink; an error in it ends receiving.
        messages, self._messages = self._messages, []
        for message in messages:
            try:
                sink(memoryview(message))
            except Exception as exc:
                self.sink_error = exc
                return

    async def send(self, message: bytes) -> None:
        self.sent.append(message)


def _stat(path: str, mode: int, *, size: int = 0, linkname: str = "") -> bytes:
    st = stat_pb2.Stat(path=path, mode=mode, size=size, modTime=_MTIME, linkname=linkname, uid=1234, gid=1234)
    return wire_pb2.Packet(type=wire_pb2.Packet.PACKET_STAT, stat=st).SerializeToString()


def _packet(kind: int, file_id: int = 0, data: bytes = b"") -> bytes:
    return wire_pb2.Packet(type=kind, ID=file_id, data=data).SerializeToString()  # type: ignore[arg-type]


_END = wire_pb2.Packet(type=wire_pb2.Packet.PACKET_STAT).SerializeToString()
_DATA, _FIN, _ERR, _REQ = (
    wire_pb2.Packet.PACKET_DATA,
    wire_pb2.Packet.PACKET_FIN,
    wire_pb2.Packet.PACKET_ERR,
    wire_pb2.Packet.PACKET_REQ,
)


def _handler(attachable: FileSendAttachable) -> Any:
    router = Router()
    attachable.register(router)
    assert router.methods() == ("/moby.filesync.v1.FileSend/DiffCopy",)
    return router.lookup("/moby.filesync.v1.FileSend/DiffCopy")


def _run(attachable: FileSendAttachable, stream: _ScriptedStream) -> None:
    asyncio.run(_handler(attachable)(cast(ServerStream, stream)))


def test_directory_export_is_written_with_modes_links_and_times(tmp_path: Path) -> None:
    messages = [
        _stat("bin", MODE_DIR | 0o555),
        _stat("bin/tool", MODE_SETUID | 0o755, size=5),
        _stat("hard", 0o644, linkname="bin/tool"),
        _stat("link", MODE_SYMLINK | 0o777, linkname="bin/tool"),
        _stat("readme", 0o444, size=6),
        _END,
        _packet(_DATA, 1, b"to"),
        _packet(_DATA, 4, b"readme"),
        _packet(_DATA, 1, b"ol!\n"),
        _packet(_DATA, 4),
        _packet(_DATA, 1),
        _packet(_FIN),
    ]
    stream = _ScriptedStream(messages, [(EXPORTER_ID_KEY, "2")])
    _run(FileSendAttachable({2: lambda: tmp_path}, {}), stream)
    sent = [wire_pb2.Packet.FromString(m) for m in stream.sent]
    # Contents are asked for regular files only (IDs are STAT indexes); FIN once all is written.
    assert [(p.type, p.ID) for p in sent] == [(_REQ, 1), (_REQ, 4), (_FIN, 0)]
    tool = tmp_path / "bin" / "tool"
    assert tool.read_bytes() == b"tool!\n"
    assert stat.S_IMODE(tool.stat().st_mode) == 0o4755
    assert (tmp_path / "hard").stat().st_ino == tool.stat().st_ino
    assert os.readlink(tmp_path / "link") == "bin/tool"
    assert stat.S_IMODE((tmp_path / "bin").stat().st_mode) == 0o555
    assert stat.S_IMODE((tmp_path / "readme").stat().st_mode) == 0o444
    for name in ("bin", "bin/tool", "readme"):
        assert (tmp_path / name).stat().st_mtime_ns == _MTIME
    assert (tmp_path / "link").lstat().st_mtime_ns == _MTIME
    # Owned by whoever receives, never the ids in the image.
    assert tool.stat().st_uid == os.getuid()
    os.chmod(tmp_path / "bin", 0o755)


def test_an_empty_directory_export_finishes_at_once(tmp_path: Path) -> None:
    stream = _ScriptedStream([_END, _packet(_FIN)], [(EXPORTER_ID_KEY, "0")])
    _run(FileSendAttachable({0: lambda: tmp_path}, {}), stream)
    assert [wire_pb2.Packet.FromString(m).type for m in stream.sent] == [_FIN]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([_stat("../escape", 0o644)], "invalid path"),
        ([_packet(_ERR, data=b"disk full")], "error from sender: disk full"),
        ([_packet(_DATA, 7, b"x")], "invalid file request 7"),
        ([_stat("a", 0o644)], "ended before it was complete"),
    ],
)
def test_directory_export_errors(tmp_path: Path, messages: list[bytes], message: str) -> None:
    stream = _ScriptedStream(messages, [(EXPORTER_ID_KEY, "0")])
    with pytest.raises(RpcAbort, match=message):
        _run(FileSendAttachable({0: lambda: tmp_path}, {}), stream)
    assert not (tmp_path.parent / "escape").exists()


def test_file_export_streams_bytes_and_passes_metadata() -> None:
    sink = io.BytesIO()
    seen: list[Mapping[str, str]] = []

    def open_file(metadata: Mapping[str, str]) -> BinaryIO:
        seen.append(metadata)
        return sink

    chunks = [filesync_pb2.BytesMessage(data=d).SerializeToString() for d in (b"abc", b"", b"def")]
    stream = _ScriptedStream(chunks, [(EXPORTER_ID_KEY, "1"), ("exporter-md-image.name", "x:1")])
    _run(FileSendAttachable({}, {1: open_file}), stream)
    assert sink.getvalue() == b"abcdef"
    assert seen == [{"image.name": "x:1"}]
    assert stream.sent == []


def test_a_malformed_file_export_message_is_refused() -> None:
    chunks = [filesync_pb2.BytesMessage(data=b"abc").SerializeToString(), b"\x0a\x09short"]
    stream = _ScriptedStream(chunks, [(EXPORTER_ID_KEY, "0")])
    with pytest.raises(RpcAbort, match="truncated BytesMessage"):
        _run(FileSendAttachable({}, {0: lambda md: io.BytesIO()}), stream)


def test_unknown_exporter_is_refused() -> None:
    stream = _ScriptedStream([], [(EXPORTER_ID_KEY, "3")])
    with pytest.raises(RpcAbort, match="exporter 3 not found"):
        _run(FileSendAttachable({}, {}), stream)


def test_unix_mode_maps_go_special_bits() -> None:
    assert unix_mode(MODE_DIR | 0o755) == 0o755
    assert unix_mode(MODE_SETUID | 0o700) == 0o4700
    assert unix_mode((1 << 22) | (1 << 20) | 0o777) == 0o3777
