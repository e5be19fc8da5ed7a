"""The STAT stream of a context (filesync `_Sender`): every entry in walk order, then the empty
STAT, sent as batches of gRPC messages rather than one send per entry."""

from __future__ import annotations

import asyncio
from pathlib import Path

from buildwright._pb import wire_pb2
from buildwright.client.session.filesync import _YIELD_EVERY, _Sender
from buildwright.client.session.fswalk import FilterSpec, walk


class _Stream:
    def __init__(self) -> None:
        self.sends: list[bytes] = []

    async def send_framed(self, framed: memoryview) -> None:
        self.sends.append(bytes(framed))

    async def send(self, message: bytes) -> None:
        raise AssertionError("STATs go out framed, in batches")


def _messages(data: bytes) -> list[wire_pb2.Packet]:
    out = []
    while data:
        assert data[0] == 0  # uncompressed
        size = int.from_bytes(data[1:5], "big")
        out.append(wire_pb2.Packet.FromString(data[5 : 5 + size]))
        data = data[5 + size :]
    return out


def test_stats_arrive_in_walk_order_in_batches(tmp_path: Path) -> None:
    for index in range(150):
        folder = tmp_path / f"d{index % 3}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{index:03d}").write_text(str(index))
    stream = _Stream()
    asyncio.run(_Sender(stream, tmp_path, FilterSpec(), None)._send_stats())  # type: ignore[arg-type]

    packets = [p for send in stream.sends for p in _messages(send)]
    expected = [entry.stat.path for entry in walk(tmp_path)]
    assert [p.stat.path for p in packets[:-1]] == expected and len(expected) == 153
    assert all(p.type == wire_pb2.Packet.PACKET_STAT for p in packets)
    assert not packets[-1].HasField("stat")  # the empty STAT ends the listing
    assert len(stream.sends) == len(expected) // _YIELD_EVERY + 1
