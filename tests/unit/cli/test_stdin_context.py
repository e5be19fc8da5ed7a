"""`build -` and `-f -`: what stdin is taken for, and the usage errors buildx gives."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from buildwright.cli.stdin_context import build_inputs
from buildwright.errors import BuildConfigError, UsageError


def _tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"FROM scratch\n" * 200
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_tar_on_stdin_is_the_context_and_is_streamed_whole() -> None:
    data = _tar()
    with build_inputs("-", None, io.BytesIO(data)) as (context, dockerfile):
        assert not isinstance(context, str) and dockerfile is None
        assert context.read(10) + context.read() == data


def test_a_dockerfile_on_stdin_gets_an_empty_context_removed_after() -> None:
    with build_inputs("-", None, io.BytesIO(b"FROM busybox\n")) as (context, dockerfile):
        assert isinstance(context, str) and os.listdir(context) == []
        assert dockerfile == b"FROM busybox\n"
    assert not Path(context).exists()


def test_dash_f_dash_reads_the_dockerfile_beside_a_context() -> None:
    with build_inputs("ctx", Path("-"), io.BytesIO(b"FROM x\n")) as (context, dockerfile):
        assert (context, dockerfile) == ("ctx", b"FROM x\n")


@pytest.mark.parametrize(
    ("file", "stdin", "error", "message"),
    [
        (Path("-"), b"FROM x\n", UsageError, "can't use stdin for both"),
        (Path("Dockerfile"), b"FROM x\n", UsageError, "ambiguous Dockerfile source"),
        (None, b"", BuildConfigError, "stdin is empty"),
    ],
)
def test_bad_uses_of_stdin(file: Path | None, stdin: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message), build_inputs("-", file, io.BytesIO(stdin)):
        pass
