"""gRPC's length-prefixed messages and the `BytesMessage` protobuf, cut and written by hand.

Both HTTP/2 ends of the session (the tunnel client and the server inside it) carry mostly bulk
bytes: a message is handed on as a view into the bytes it arrived in whenever it arrived whole,
and only a message split across DATA frames is gathered first. `BytesMessage{data}` is one
length-delimited field, so its framing is written in front of the data instead of serializing a
message object around a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

MAX_MESSAGE = 64 * 1024 * 1024


class FrameError(ValueError):
    """Bytes that are not a gRPC message stream, or a message beyond the size limit."""


def varint(value: int) -> bytes:
    """Protobuf's base-128 varint of a non-negative `value`."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def grpc_prefix(size: int) -> bytes:
    """The length prefix of an uncompressed gRPC message of `size` bytes."""
    return b"\x00" + size.to_bytes(4, "big")


def bytes_message_head(size: int) -> bytes:
    """The gRPC prefix and `BytesMessage` field header that go in front of `size` bytes of data."""
    field = b"\x0a" + varint(size)
    return grpc_prefix(len(field) + size) + field


def message_batches(
    pieces: Iterable[bytes | bytearray | memoryview], limit: int
) -> Iterator[tuple[list[memoryview], int]]:
    """`pieces` in order, cut into runs of at most `limit` bytes: (views, total size) per message."""
    batch: list[memoryview] = []
    size = 0
    for piece in pieces:
        view = memoryview(piece).cast("B")
        while view:
            part = view[: limit - size]
            batch.append(part)
            size += len(part)
            view = view[len(part) :]
            if size == limit:
                yield batch, size
                batch, size = [], 0
    if batch:
        yield batch, size


def bytes_message_data(message: memoryview) -> memoryview:
    """The `data` field of a serialized `BytesMessage`, as a view (the last one wins, as protobuf merges).

    Raises:
        FrameError: the message is truncated or malformed.
    """
    end = len(message)
    if end >= 2 and message[0] == 0x0A:  # the usual shape: the data field alone
        size, pos = (message[1], 2) if message[1] < 0x80 else _read_varint(message, 1)
        if pos + size == end:
            return message[pos:]
    data = message[:0]
    pos = 0
    while pos < end:
        key, pos = _read_varint(message, pos)
        wire = key & 7
        if wire == 2:
            size, pos = _read_varint(message, pos)
            if pos + size > end:
                raise FrameError("truncated BytesMessage")
            if key >> 3 == 1:
                data = message[pos : pos + size]
            pos += size
        elif wire == 0:
            _, pos = _read_varint(message, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise FrameError(f"unexpected protobuf wire type {wire} in BytesMessage")
    if pos != end:
        raise FrameError("truncated BytesMessage")
    return data


def _read_varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise FrameError("bad varint in BytesMessage")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


class Deframer:
    """Cuts a stream of DATA payloads into gRPC messages.

    `deliver` gets each message body as a view that is valid only during the call (into the
    payload it arrived in, or into the gathering buffer), so it must copy what it keeps.
    """

    def __init__(self, deliver: Callable[[memoryview], None], max_message: int = MAX_MESSAGE) -> None:
        self._deliver = deliver
        self._max = max_message
        self._partial = bytearray()

    @property
    def pending(self) -> bool:
        """Whether part of a message has arrived without its end."""
        return bool(self._partial)

    def _size(self, prefix: bytearray | memoryview) -> int:
        if prefix[0] != 0:
            raise FrameError("compressed messages are not supported")
        size = int.from_bytes(prefix[1:5], "big")
        if size > self._max:
            raise FrameError("message too large")
        return size

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Deliver every message `data` completes.

        Raises:
            FrameError: a compressed or oversized message.
        """
        view = memoryview(data)
        partial = self._partial
        pos, end = 0, len(view)
        deliver = self._deliver
        while pos < end:
            if partial:
                if len(partial) < 5:
                    take = min(5 - len(partial), end - pos)
                    partial += view[pos : pos + take]
                    pos += take
                    if len(partial) < 5:
                        return
                need = 5 + self._size(partial) - len(partial)
                take = min(need, end - pos)
                partial += view[pos : pos + take]
                pos += take
                if take < need:
                    return
                with memoryview(partial) as whole:
                    deliver(whole[5:])
                partial.clear()
                continue
            if end - pos >= 5:
                size = self._size(view[pos : pos + 5])
                if end - pos >= 5 + size:
                    deliver(view[pos + 5 : pos + 5 + size])
                    pos += 5 + size
                    continue
            partial += view[pos:end]
            return
