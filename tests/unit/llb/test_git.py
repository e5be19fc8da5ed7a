"""Git sources (upstream client/llb/git_test.go cases)."""

from __future__ import annotations

import pytest

from buildwright import llb
from buildwright.llb import caps

from ._helpers import AMD64, parse_def

_DEFAULT_ATTRS = {
    "git.authheadersecret": "GIT_AUTH_HEADER",
    "git.authtokensecret": "GIT_AUTH_TOKEN",
    "git.fullurl": "https://github.com/foo/bar.git",
}


@pytest.mark.parametrize(
    ("state", "identifier", "extra"),
    [
        (llb.git("github.com/foo/bar.git", "ref"), "git://github.com/foo/bar.git#ref", {}),
        (llb.git("github.com/foo/bar.git", "ref:subdir"), "git://github.com/foo/bar.git#ref:subdir", {}),
        (llb.git("github.com/foo/bar.git", "ref", subdir="subdir"), "git://github.com/foo/bar.git#ref:subdir", {}),
        (llb.git("github.com/foo/bar.git", "ref:dir", ref="v1.0"), "git://github.com/foo/bar.git#v1.0:dir", {}),
        (llb.git("github.com/foo/bar.git", "", ref="v1.0", subdir="dir"), "git://github.com/foo/bar.git#v1.0:dir", {}),
        (
            llb.git("github.com/foo/bar.git", "", checksum="1" * 40),
            "git://github.com/foo/bar.git",
            {"git.checksum": "1" * 40},
        ),
        (llb.git("https://github.com/foo/bar.git", "ref:./a/../b/"), "git://github.com/foo/bar.git#ref:b", {}),
    ],
)
def test_git_identifier_and_attrs(state: llb.State, identifier: str, extra: dict[str, str]) -> None:
    _, arr = parse_def(state.marshal(platform=AMD64))
    src = arr[0].source
    assert src.identifier == identifier
    assert dict(src.attrs) == {**_DEFAULT_ATTRS, **extra}
    assert not arr[0].HasField("platform")


def test_git_ssh_remote_shares_identifier() -> None:
    d = llb.git("git@github.com:foo/bar.git", "main", known_ssh_hosts="github.com ssh-ed25519 AAAA").marshal(
        platform=AMD64
    )
    _, arr = parse_def(d)
    src = arr[0].source
    assert src.identifier == "git://github.com/foo/bar.git#main"
    assert src.attrs["git.fullurl"] == "git@github.com:foo/bar.git"
    assert src.attrs["git.mountsshsock"] == "default"
    assert src.attrs["git.knownsshhosts"] == "github.com ssh-ed25519 AAAA\n"
    meta = d.metadata[d.digests[0]]
    assert {caps.SOURCE_GIT_KNOWN_SSH_HOSTS, caps.SOURCE_GIT_MOUNT_SSH_SOCK, caps.SOURCE_GIT} <= meta.caps
