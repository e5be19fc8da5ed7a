"""ADD from an http(s) URL: which sources are downloads, the file name they get, their `--checksum`.

The reference names the downloaded file after the last element of the URL's path (`__unnamed__`
when there is none) and checks `--checksum` as an OCI digest (`go-digest`'s rules and messages).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from buildwright.errors import DockerfileError

UNNAMED = "__unnamed__"

_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_HEX = re.compile(r"[a-f0-9]+")
_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})")


def has_http_scheme(source: str) -> bool:
    """Whether `source` starts like a download (it may still be a git repository: see gitref)."""
    return source.startswith(("http://", "https://"))


def download_filename(url: str) -> str:
    """The name the downloaded file gets: the URL path's last element, or `__unnamed__`."""
    rest = url.partition("#")[0].partition("?")[0]
    after_scheme = rest.split("://", 1)[1]
    slash = after_scheme.find("/")
    if slash < 0:
        return UNNAMED
    raw_path = after_scheme[slash:]
    if _BAD_ESCAPE.search(raw_path) or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return UNNAMED  # Go's url.Parse fails on these; the reference then keeps the default name
    base = _base(unquote(raw_path))
    return UNNAMED if base in (".", "/") else base


def check_digest(text: str) -> str:
    """`text` if it is a valid digest (`sha256:<64 hex>`...), else the go-digest error."""
    colon = text.find(":")
    if colon <= 0 or colon + 1 == len(text):
        raise DockerfileError("invalid checksum digest format")
    algorithm, encoded = text[:colon], text[colon + 1 :]
    length = _HEX_LENGTHS.get(algorithm)
    if length is None:
        if _DIGEST.fullmatch(text) is None:
            raise DockerfileError("invalid checksum digest format")
        raise DockerfileError("unsupported digest algorithm")
    if len(encoded) != length:
        raise DockerfileError("invalid checksum digest length")
    if _HEX.fullmatch(encoded) is None:
        raise DockerfileError("invalid checksum digest format")
    return text


def _base(path: str) -> str:
    # Go's path.Base.
    if path == "":
        return "."
    path = path.rstrip("/")
    if path == "":
        return "/"
    return path.rsplit("/", 1)[-1]
