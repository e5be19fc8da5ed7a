"""Which contexts are remote, the source ops they become, and the archive test on their first bytes."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile

import pytest

from buildwright.client.remote_context import (
    UPLOAD_URL_PREFIX,
    RemoteKind,
    is_archive,
    is_remote_url,
    remote_context,
    upload_context,
)
from buildwright.errors import BuildConfigError


def _tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        info = tarfile.TarInfo("Dockerfile")
        data = b"FROM scratch\n"
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("text", "remote"),
    [
        ("https://example.com/repo.git#main:sub", True),
        ("git@github.com:moby/buildkit.git", True),
        ("git://host/repo.git", True),
        ("https://example.com/ctx.tar.gz", True),
        ("http://example.com/Dockerfile", True),
        ("./local/dir", False),
        ("relative", False),
        ("ftp://host/x", False),
    ],
)
def test_remote_urls_are_told_from_paths(text: str, remote: bool) -> None:
    assert is_remote_url(text) is remote


def test_a_git_url_is_a_git_source_named_as_the_reference_names_it() -> None:
    remote = remote_context("git://host/repo.git#v1:sub")
    assert remote.kind is RemoteKind.GIT
    text = remote.state.marshal().to_json()
    assert "git://host/repo.git#v1:sub" in text and "[internal] load git source git://host/repo.git#v1:sub" in text


def test_an_http_url_that_is_no_repository_is_a_download() -> None:
    remote = remote_context("https://example.com/ctx.tar.gz")
    assert remote.kind is RemoteKind.HTTP
    assert "[internal] load remote build context" in remote.state.marshal().to_json()


def test_a_bad_git_query_is_a_config_error() -> None:
    with pytest.raises(BuildConfigError, match="invalid git context"):
        remote_context("git://host/repo.git?nonsense=1")


def test_a_stdin_upload_is_pulled_from_the_session() -> None:
    remote = upload_context("abc")
    assert remote.url == UPLOAD_URL_PREFIX + "abc" and remote.label == "the build context from stdin"


@pytest.mark.parametrize(
    "header",
    [_tar()[:1024], gzip.compress(b"x"), bz2.compress(b"x"), lzma.compress(b"x")],
    ids=["tar", "gzip", "bzip2", "xz"],
)
def test_archives_are_recognised(header: bytes) -> None:
    assert is_archive(header)


@pytest.mark.parametrize("header", [b"FROM busybox\nRUN true\n", b"", b"\0" * 1024, b"\x00\x01garbage"])
def test_other_bytes_are_no_archive(header: bytes) -> None:
    assert not is_archive(header)
