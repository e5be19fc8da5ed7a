"""The value parsers behind COPY/ADD: --chmod, git source URLs, download names and checksums."""

from __future__ import annotations

import pytest

from buildwright.errors import DockerfileError
from buildwright.frontend.chmod import parse_chmod
from buildwright.frontend.gitref import GitRef, parse_git_ref
from buildwright.frontend.http_source import check_digest, download_filename

NON_OCTAL = "it should be octal string and between 0 and 07777"


@pytest.mark.parametrize(("text", "mode"), [("755", 0o755), ("0", 0), ("07777", 0o7777), ("0644", 0o644)])
def test_octal_chmod_is_a_number(text: str, mode: int) -> None:
    assert parse_chmod(text) == mode


@pytest.mark.parametrize("text", ["u=rwx,go=rX", "+x", "a-w", "go=", "u+s,o+t", "g=u-w", "=rw,+X", "ug+rw-x"])
def test_symbolic_chmod_is_kept_as_text(text: str) -> None:
    assert parse_chmod(text) == text


@pytest.mark.parametrize("text", ["8", "10000", "0x1", "7_5", "99999999999", "1a"])
def test_values_starting_with_a_digit_keep_the_octal_message(text: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        parse_chmod(text)
    assert caught.value.message == f"invalid chmod parameter: '{text}'. {NON_OCTAL}"


@pytest.mark.parametrize("text", ["u+q", "+7", "rwx", "u", "a+x,", ",a+x", "u=r g=r", "-1"])
def test_bad_symbolic_chmod_is_a_syntax_error(text: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        parse_chmod(text)
    assert caught.value.message == "invalid syntax"


def test_git_urls_and_their_fragment() -> None:
    parsed = parse_git_ref("git://127.0.0.1:9418/repo.git#main:sub/dir")
    assert parsed.is_git and parsed.error is None
    assert parsed.ref == GitRef("git://127.0.0.1:9418/repo.git", ref="main", subdir="sub/dir")
    assert parse_git_ref("https://example.com/x/y.git").ref == GitRef("https://example.com/x/y.git")
    assert parse_git_ref("git@github.com:moby/buildkit.git#v1").ref == GitRef(
        "git@github.com:moby/buildkit.git", ref="v1"
    )
    assert parse_git_ref("ssh://git@host/r.git").ref == GitRef("ssh://git@host/r.git")
    assert parse_git_ref("GIT://Host/r.git").ref == GitRef("git://Host/r.git")


@pytest.mark.parametrize(
    "text",
    ["x.txt", "/abs/path", "./git@host:x", "../a", "https://example.com/file.tar.gz", "ftp://host/x.git", "s3://b/x"],
)
def test_paths_and_downloads_are_not_git(text: str) -> None:
    parsed = parse_git_ref(text)
    assert parsed.ref is None and not parsed.is_git


def test_github_shorthand_parses_but_cannot_be_told_from_a_local_path() -> None:
    parsed = parse_git_ref("github.com/moby/buildkit")
    assert parsed.is_git and parsed.ref is not None and parsed.ref.indistinguishable_from_local
    assert parsed.ref.remote == "github.com/moby/buildkit"


def test_git_query_form() -> None:
    base = "git://h/r.git"
    assert parse_git_ref(f"{base}?ref=main&subdir=sub").ref == GitRef(base, ref="main", subdir="sub")
    assert parse_git_ref(f"{base}?tag=v1").ref == GitRef(base, ref="refs/tags/v1")
    assert parse_git_ref(f"{base}?branch=dev").ref == GitRef(base, ref="refs/heads/dev")
    assert parse_git_ref(f"{base}?commit=abc&keep-git-dir").ref == GitRef(base, checksum="abc", keep_git_dir=True)
    assert parse_git_ref(f"{base}?submodules=false&keep-git-dir=0").ref == GitRef(
        base, keep_git_dir=False, submodules=False
    )
    assert parse_git_ref(f"{base}?ref=main#main").ref == GitRef(base, ref="main")


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("foo=bar", 'unexpected query "foo"'),
        ("ref=a&ref=b", 'query "ref" has multiple values'),
        ("ref=", 'query "ref" has no value'),
        ("branch=a&tag=b", "branch conflicts with tag"),
        ("keep-git-dir=maybe", 'invalid keep-git-dir value: "maybe"'),
        ("ref=b#a", 'ref conflicts: "a" vs "b"'),
        ("subdir=b#r:a", 'subdir conflicts: "a" vs "b"'),
    ],
)
def test_bad_git_queries_are_errors_of_a_git_source(query: str, error: str) -> None:
    parsed = parse_git_ref(f"git://h/r.git?{query}")
    assert parsed.is_git and parsed.ref is None and parsed.error == error


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://h/dir/file.txt", "file.txt"),
        ("http://h/dir/file.txt?x=1#frag", "file.txt"),
        ("https://h/dir/", "dir"),
        ("http://h/", "__unnamed__"),
        ("http://h", "__unnamed__"),
        ("http://h/a%20b.txt", "a b.txt"),
        ("http://h/a%zzb", "__unnamed__"),
    ],
)
def test_download_file_name(url: str, name: str) -> None:
    assert download_filename(url) == name


def test_checksum_digest_rules() -> None:
    good = "sha256:" + "a" * 64
    assert check_digest(good) == good
    assert check_digest("sha512:" + "0" * 128).startswith("sha512:")
    for text, error in [
        ("sha256:abc", "invalid checksum digest length"),
        ("sha256:" + "A" * 64, "invalid checksum digest format"),
        ("md5:abc", "unsupported digest algorithm"),
        ("MD5:abc", "invalid checksum digest format"),
        ("abc", "invalid checksum digest format"),
        ("sha256:", "invalid checksum digest format"),
    ]:
        with pytest.raises(DockerfileError) as caught:
            check_digest(text)
        assert caught.value.message == error, text
