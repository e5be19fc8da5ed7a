"""The session's content service over a local cache directory, driven by scripted engine calls."""

from __future__ import annotations

import asyncio
import hashlib
import stat
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, cast

import grpc
import pytest

from buildwright._pb import content_pb2
from buildwright.client.session.content import STORE_ID_HEADER, ContentStoreAttachable
from buildwright.client.session.contentstore import LocalContentStore
from buildwright.client.session.h2server import Router, RpcAbort, ServerStream

_SERVICE = "/containerd.services.content.v1.Content"


class _ScriptedStream:
    def __init__(self, messages: Sequence[bytes], metadata: Sequence[tuple[str, str]]) -> None:
        self.metadata = tuple(metadata)
        self._messages = list(messages)
        self.sent: list[bytes] = []

    async def recv(self) -> bytes | None:
        return self._messages.pop(0) if self._messages else None

    async def send(self, message: bytes) -> None:
        self.sent.append(message)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _call(root: Path, method: str, messages: Sequence[Any], *, store_id: str | None = None) -> list[bytes]:
    store = LocalContentStore(root)
    store.create()
    router = Router()
    ContentStoreAttachable({"local:/cache": store}).register(router)
    handler = router.lookup(f"{_SERVICE}/{method}")
    assert handler is not None
    metadata = [(STORE_ID_HEADER, store_id or "local:/cache")]
    stream = _ScriptedStream([m.SerializeToString() for m in messages], metadata)
    asyncio.run(cast(Coroutine[Any, Any, None], handler(cast(ServerStream, stream))))
    return stream.sent


def _write(root: Path, data: bytes, *, ref: str = "layer-1", chunk: int = 3) -> list[content_pb2.WriteContentResponse]:
    expected = _digest(data)
    messages = [content_pb2.WriteContentRequest(action=content_pb2.STAT, ref=ref, total=len(data), expected=expected)]
    offset = 0
    while offset < len(data):
        part = data[offset : offset + chunk]
        messages.append(content_pb2.WriteContentRequest(action=content_pb2.WRITE, ref=ref, offset=offset, data=part))
        offset += len(part)
    messages.append(
        content_pb2.WriteContentRequest(
            action=content_pb2.COMMIT, ref=ref, offset=offset, total=len(data), expected=expected
        )
    )
    return [content_pb2.WriteContentResponse.FromString(m) for m in _call(root, "Write", messages)]


def test_the_service_registers_every_content_method() -> None:
    router = Router()
    ContentStoreAttachable({}).register(router)
    names = {path.rsplit("/", 1)[1] for path in router.methods()}
    assert names == {"Info", "Update", "List", "Delete", "Read", "Status", "ListStatuses", "Write", "Abort"}


def test_a_write_lands_as_a_read_only_blob(tmp_path: Path) -> None:
    data = b"some cache layer bytes"
    responses = _write(tmp_path, data)
    assert responses[0].action == content_pb2.STAT
    assert responses[0].offset == 0 and responses[0].total == len(data)
    assert responses[-1].action == content_pb2.COMMIT
    assert responses[-1].offset == len(data) and responses[-1].digest == _digest(data)
    blob = tmp_path / "blobs" / "sha256" / hashlib.sha256(data).hexdigest()
    assert blob.read_bytes() == data
    assert stat.S_IMODE(blob.stat().st_mode) == 0o444
    assert list((tmp_path / "ingest").iterdir()) == []  # the ingest is gone once committed


def test_info_and_ranged_reads(tmp_path: Path) -> None:
    data = bytes(range(200))
    _write(tmp_path, data, chunk=64)
    (info,) = _call(tmp_path, "Info", [content_pb2.InfoRequest(digest=_digest(data))])
    assert content_pb2.InfoResponse.FromString(info).info.size == len(data)
    sent = _call(tmp_path, "Read", [content_pb2.ReadContentRequest(digest=_digest(data), offset=10, size=20)])
    parts = [content_pb2.ReadContentResponse.FromString(m) for m in sent]
    assert parts[0].offset == 10 and b"".join(p.data for p in parts) == data[10:30]
    everything = _call(tmp_path, "Read", [content_pb2.ReadContentRequest(digest=_digest(data))])
    assert b"".join(content_pb2.ReadContentResponse.FromString(m).data for m in everything) == data


def test_a_blob_that_exists_is_not_written_again(tmp_path: Path) -> None:
    data = b"twice"
    _write(tmp_path, data)
    with pytest.raises(RpcAbort) as caught:
        _write(tmp_path, data, ref="layer-2")
    assert caught.value.code is grpc.StatusCode.ALREADY_EXISTS


def test_a_commit_with_the_wrong_digest_fails(tmp_path: Path) -> None:
    messages = [
        content_pb2.WriteContentRequest(action=content_pb2.WRITE, ref="r", data=b"abc"),
        content_pb2.WriteContentRequest(action=content_pb2.COMMIT, ref="r", offset=3, expected=_digest(b"xyz")),
    ]
    with pytest.raises(RpcAbort) as caught:
        _call(tmp_path, "Write", messages)
    assert caught.value.code is grpc.StatusCode.FAILED_PRECONDITION
    assert "unexpected commit digest" in caught.value.message
    assert not (tmp_path / "blobs").exists()


def test_a_write_at_the_wrong_offset_fails(tmp_path: Path) -> None:
    messages = [content_pb2.WriteContentRequest(action=content_pb2.WRITE, ref="r", offset=5, data=b"abc")]
    with pytest.raises(RpcAbort) as caught:
        _call(tmp_path, "Write", messages)
    assert caught.value.code is grpc.StatusCode.OUT_OF_RANGE


def test_writing_from_offset_zero_again_starts_over(tmp_path: Path) -> None:
    messages = [
        content_pb2.WriteContentRequest(action=content_pb2.WRITE, ref="r", data=b"garbage"),
        content_pb2.WriteContentRequest(action=content_pb2.WRITE, ref="r", offset=0, data=b"good"),
        content_pb2.WriteContentRequest(action=content_pb2.COMMIT, ref="r", offset=4, total=4),
    ]
    sent = _call(tmp_path, "Write", messages)
    assert content_pb2.WriteContentResponse.FromString(sent[-1]).digest == _digest(b"good")


@pytest.mark.parametrize(
    ("method", "request_", "code"),
    [
        ("Info", content_pb2.InfoRequest(digest="sha256:" + "0" * 64), grpc.StatusCode.NOT_FOUND),
        ("Info", content_pb2.InfoRequest(digest="md5:abc"), grpc.StatusCode.INVALID_ARGUMENT),
        ("Status", content_pb2.StatusRequest(ref="nothing"), grpc.StatusCode.NOT_FOUND),
        ("Abort", content_pb2.AbortRequest(ref="nothing"), grpc.StatusCode.NOT_FOUND),
        ("Delete", content_pb2.DeleteContentRequest(digest="sha256:" + "0" * 64), grpc.StatusCode.NOT_FOUND),
    ],
)
def test_errors_carry_containerd_codes(tmp_path: Path, method: str, request_: Any, code: grpc.StatusCode) -> None:
    with pytest.raises(RpcAbort) as caught:
        _call(tmp_path, method, [request_])
    assert caught.value.code is code


def test_calls_must_name_a_known_store(tmp_path: Path) -> None:
    with pytest.raises(RpcAbort) as caught:
        _call(tmp_path, "Info", [content_pb2.InfoRequest(digest=_digest(b""))], store_id="local:/elsewhere")
    assert caught.value.code is grpc.StatusCode.NOT_FOUND and "unknown store" in caught.value.message


def test_list_walks_the_blobs(tmp_path: Path) -> None:
    _write(tmp_path, b"one")
    _write(tmp_path, b"two", ref="other")
    (answer,) = _call(tmp_path, "List", [content_pb2.ListContentRequest()])
    listed = {info.digest for info in content_pb2.ListContentResponse.FromString(answer).info}
    assert listed == {_digest(b"one"), _digest(b"two")}


def test_an_unfinished_write_has_a_status_until_aborted(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path)
    store.create()
    writer = store.writer("ref-1", 10, "")
    writer.write(b"1234")
    assert store.status("ref-1").offset == 4
    with pytest.raises(RpcAbort) as caught:
        store.writer("ref-1", 10, "")
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE  # one writer per ref; the engine retries
    writer.close()
    assert [s.ref for s in store.statuses()] == ["ref-1"]
    store.abort("ref-1")
    assert store.statuses() == [] and list((tmp_path / "ingest").iterdir()) == []
