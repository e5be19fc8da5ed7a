"""A content store in a local directory laid out as an OCI image layout (`blobs/<alg>/<hex>`).

This is what a `type=local` cache directory is: the engine writes cache blobs into it (export) or
reads them back (import) through the session's content service (content.py). Its behaviour is
that of containerd's local store, which the reference client serves: blobs are immutable and
read-only once committed, a write goes to `ingest/<sha256 of ref>/data` first and is renamed into
place after its size and digest are checked, and one ref is written by one writer at a time.
Labels are not kept (the reference's store has no label database either).

Errors are gRPC statuses, because the only caller is the engine: NOT_FOUND for a missing blob
or ingest, ALREADY_EXISTS when the blob is already there, UNAVAILABLE for a ref being written
(the engine retries), FAILED_PRECONDITION for a commit whose size or digest is wrong.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import field
from pathlib import Path

import grpc

from buildwright._values import valueclass
from buildwright.client.session.h2server import RpcAbort

# Algorithms an OCI digest may use here, with their hex lengths.
_ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128}
_DIGEST = re.compile(r"^(sha256|sha384|sha512):([a-f0-9]+)$")
READ_CHUNK = 1024 * 1024


def parse_digest(value: str) -> tuple[str, str]:
    """`alg:hex` -> (alg, hex); anything else is INVALID_ARGUMENT, as the reference validates."""
    match = _DIGEST.match(value)
    if match is None or len(match.group(2)) != _ALGORITHMS[match.group(1)]:
        raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, f"{value!r} failed validation")
    return match.group(1), match.group(2)


@valueclass
class BlobInfo:
    """A committed blob: digest, size and file times (seconds since the epoch)."""

    digest: str
    size: int
    created_at: float
    updated_at: float


@valueclass
class IngestStatus:
    """An unfinished write: how far it got and what it is expected to become."""

    ref: str
    offset: int
    total: int
    expected: str
    started_at: float
    updated_at: float


@valueclass(frozen=False)
class _Ingest:
    ref: str
    path: Path
    total: int
    expected: str
    offset: int = 0
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)


class IngestWriter:
    """Writes one blob by appending to its ingest file; `commit` moves it into `blobs/`."""

    def __init__(self, store: LocalContentStore, ingest: _Ingest) -> None:
        self._store = store
        self._ingest = ingest
        self._digester = hashlib.sha256()
        self._offset = 0
        self._file = open(ingest.path / "data", "wb")  # noqa: SIM115 - lives as long as the writer
        self.closed = False

    @property
    def offset(self) -> int:
        return self._offset

    @property
    def started_at(self) -> float:
        return self._ingest.started_at

    @property
    def updated_at(self) -> float:
        return self._ingest.updated_at

    def digest(self) -> str:
        """The digest of what was written so far."""
        return f"sha256:{self._digester.hexdigest()}"

    def write(self, data: bytes) -> None:
        self._require_open()
        self._file.write(data)
        self._digester.update(data)
        self._offset += len(data)
        self._ingest.offset = self._offset
        self._ingest.updated_at = time.time()

    def truncate_to_start(self) -> None:
        """Start over (the client writes from offset 0 again)."""
        self._require_open()
        self._file.seek(0)
        self._file.truncate(0)
        self._digester = hashlib.sha256()
        self._offset = 0
        self._ingest.offset = 0

    def commit(self, size: int, expected: str) -> str:
        """Check size and digest, then make the blob visible (read-only). Returns its digest."""
        self._require_open()
        self._file.flush()
        os.fsync(self._file.fileno())
        self.close()
        if size > 0 and size != self._offset:
            raise RpcAbort(
                grpc.StatusCode.FAILED_PRECONDITION, f"unexpected commit size {self._offset}, expected {size}"
            )
        actual = self.digest()
        if expected and expected != actual:
            raise RpcAbort(
                grpc.StatusCode.FAILED_PRECONDITION, f"unexpected commit digest {actual}, expected {expected}"
            )
        target = self._store.blob_path(actual)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            self._store.remove_ingest(self._ingest.ref)
            raise RpcAbort(grpc.StatusCode.ALREADY_EXISTS, f"content {actual}: already exists")
        os.replace(self._ingest.path / "data", target)
        now = time.time()
        os.utime(target, (now, now))
        target.chmod(0o444)
        self._store.remove_ingest(self._ingest.ref)
        return actual

    def close(self) -> None:
        """Stop writing and unlock the ref; an uncommitted ingest stays until aborted or reused."""
        if not self.closed:
            self.closed = True
            self._file.close()
            self._store.unlock(self._ingest.ref)

    def _require_open(self) -> None:
        if self.closed:
            raise RpcAbort(grpc.StatusCode.FAILED_PRECONDITION, "cannot write on closed writer")


class LocalContentStore:
    """The blobs of one directory. Not thread-safe: the session calls it from one event loop."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._ingests: dict[str, _Ingest] = {}
        self._locked: set[str] = set()

    def create(self) -> None:
        """Make the directory and its `ingest/` folder (a cache export's destination)."""
        (self.root / "ingest").mkdir(parents=True, exist_ok=True)

    def blob_path(self, digest: str) -> Path:
        algorithm, hexpart = parse_digest(digest)
        return self.root / "blobs" / algorithm / hexpart

    def _ingest_dir(self, ref: str) -> Path:
        return self.root / "ingest" / hashlib.sha256(ref.encode()).hexdigest()

    # -- reading -------------------------------------------------------------------------------
    def info(self, digest: str) -> BlobInfo:
        path = self.blob_path(digest)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"content digest {digest}: not found") from None
        return BlobInfo(digest, stat.st_size, stat.st_mtime, stat.st_atime)

    def read(self, digest: str, offset: int, size: int) -> Iterator[tuple[int, bytes]]:
        """(offset, chunk) pairs of `size` bytes from `offset` (to the end when size <= 0)."""
        info = self.info(digest)
        offset = max(offset, 0)
        if offset > info.size:
            raise RpcAbort(grpc.StatusCode.OUT_OF_RANGE, f"read past object length {info.size} bytes")
        if size <= 0 or offset + size > info.size:
            size = info.size - offset
        with open(self.blob_path(digest), "rb") as blob:
            blob.seek(offset)
            while size > 0:
                chunk = blob.read(min(READ_CHUNK, size))
                if not chunk:
                    raise RpcAbort(grpc.StatusCode.DATA_LOSS, f"content {digest} is shorter than its size")
                yield offset, chunk
                offset += len(chunk)
                size -= len(chunk)

    def walk(self) -> Iterator[BlobInfo]:
        """Every committed blob, by algorithm and digest."""
        blobs = self.root / "blobs"
        for algorithm in sorted(_ALGORITHMS):
            folder = blobs / algorithm
            if not folder.is_dir():
                continue
            for entry in sorted(folder.iterdir()):
                if len(entry.name) != _ALGORITHMS[algorithm]:
                    continue
                stat = entry.stat()
                yield BlobInfo(f"{algorithm}:{entry.name}", stat.st_size, stat.st_mtime, stat.st_atime)

    def delete(self, digest: str) -> None:
        try:
            self.blob_path(digest).unlink()
        except FileNotFoundError:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"content {digest}: not found") from None

    # -- writing -------------------------------------------------------------------------------
    def writer(self, ref: str, total: int, expected: str) -> IngestWriter:
        """Open the ref for writing, from the start.

        An earlier unfinished write of the same ref is discarded rather than resumed: the client
        asks for the writer's offset first and sends everything from there, so starting at zero
        is always correct.
        """
        if not ref:
            raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, "ref must not be empty")
        if expected and self.blob_path(expected).exists():
            raise RpcAbort(grpc.StatusCode.ALREADY_EXISTS, f"content {expected}: already exists")
        if ref in self._locked:
            raise RpcAbort(grpc.StatusCode.UNAVAILABLE, f"ref {ref} locked")
        path = self._ingest_dir(ref)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        (path / "ref").write_text(ref)
        ingest = _Ingest(ref, path, total, expected)
        self._ingests[ref] = ingest
        self._locked.add(ref)
        try:
            return IngestWriter(self, ingest)
        except BaseException:
            self._locked.discard(ref)
            raise

    def unlock(self, ref: str) -> None:
        self._locked.discard(ref)

    def remove_ingest(self, ref: str) -> None:
        self._ingests.pop(ref, None)
        shutil.rmtree(self._ingest_dir(ref), ignore_errors=True)

    def status(self, ref: str) -> IngestStatus:
        ingest = self._ingests.get(ref)
        if ingest is None:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"ingest ref {ref!r}: not found")
        return self._status_of(ingest)

    def statuses(self) -> list[IngestStatus]:
        return [self._status_of(i) for i in self._ingests.values()]

    def abort(self, ref: str) -> None:
        if ref not in self._ingests and not self._ingest_dir(ref).exists():
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"ingest ref {ref!r}: not found")
        self.remove_ingest(ref)

    @staticmethod
    def _status_of(ingest: _Ingest) -> IngestStatus:
        return IngestStatus(
            ingest.ref, ingest.offset, ingest.total, ingest.expected, ingest.started_at, ingest.updated_at
        )
