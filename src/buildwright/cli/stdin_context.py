"""`build -` and `-f -`: what stdin carries, decided as buildx decides it.

With `-` as the context, stdin's first bytes decide: an archive (tar, gzip, bzip2, xz) is the
build context, streamed to the engine; anything else is the Dockerfile, built with an empty
context. `-f -` alone reads the Dockerfile from stdin beside a local or remote context.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from buildwright.errors import BuildConfigError, UsageError

STDIN = "-"
# buildx peeks this much (twice a tar header block) before deciding.
_PEEK = 1024


class _Prefixed:
    """A stream whose first bytes were already read: they are given back first."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                data, self._head = self._head + self._rest.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._rest.read(size)

    def close(self) -> None:
        self._rest.close()


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = stream.read(size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


@contextlib.contextmanager
def build_inputs(
    context: str, file: Path | None, stdin: BinaryIO
) -> Iterator[tuple[str | BinaryIO, Path | bytes | None]]:
    """The context and Dockerfile to build from the command line's values; stdin read as they say.

    Raises:
        UsageError: stdin named twice, or as the Dockerfile twice.
        BuildConfigError: `-` with nothing on stdin.
    """
    # Imported here: `--help` and the other commands stay free of the client layer.
    from buildwright.client.remote_context import is_archive

    reads_dockerfile = file is not None and str(file) == STDIN
    if context != STDIN:
        yield context, (stdin.read() if reads_dockerfile else file)
        return
    if reads_dockerfile:
        raise UsageError("invalid argument: can't use stdin for both build context and dockerfile")
    head = _read_up_to(stdin, _PEEK)
    if not head:
        raise BuildConfigError("the build context is - but stdin is empty: expected a tar archive or a Dockerfile")
    if is_archive(head):
        yield cast(BinaryIO, _Prefixed(head, stdin)), file
        return
    if file is not None:
        raise UsageError("ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles")
    # A Dockerfile alone: built with an empty directory as its context, as buildx does.
    with tempfile.TemporaryDirectory(prefix="buildwright-empty-") as empty:
        yield empty, head + stdin.read()
