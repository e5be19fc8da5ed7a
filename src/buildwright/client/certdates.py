"""The validity period of a PEM certificate, read from its DER without a crypto library.

Used to say "expired" when a server refuses our client certificate: some servers (Go's TLS stack
among them) answer every verification failure with the same `bad certificate` alert.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from pathlib import Path

from buildwright._values import valueclass

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)
_UTC_TIME, _GENERALIZED_TIME, _CONTEXT_0 = 0x17, 0x18, 0xA0


@valueclass
class Validity:
    not_before: datetime
    not_after: datetime


def _element(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the DER element at `offset`."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _time(data: bytes, offset: int) -> tuple[datetime, int]:
    tag, start, end = _element(data, offset)
    text = data[start:end].decode("ascii").rstrip("Z")
    if tag == _UTC_TIME:
        # RFC 5280: two-digit years 50-99 are 19xx, 00-49 are 20xx.
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != _GENERALIZED_TIME:
        raise ValueError("not a time")
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC), end


def validity(path: Path) -> Validity | None:
    """The first certificate's validity in a PEM file; None when it cannot be read."""
    try:
        match = _PEM.search(path.read_bytes())
        if match is None:
            return None
        der = base64.b64decode(b"".join(match.group(1).split()))
        _, cert_start, _ = _element(der, 0)  # Certificate
        _, tbs, _ = _element(der, cert_start)  # TBSCertificate
        offset = tbs
        tag, _, end = _element(der, offset)
        if tag == _CONTEXT_0:  # explicit version
            offset = end
        for _ in range(3):  # serial number, signature algorithm, issuer
            offset = _element(der, offset)[2]
        _, validity_start, _ = _element(der, offset)
        not_before, after = _time(der, validity_start)
        not_after, _ = _time(der, after)
        return Validity(not_before, not_after)
    except (OSError, ValueError, IndexError):
        return None


def expired(path: Path, now: datetime | None = None) -> bool:
    found = validity(path)
    return found is not None and found.not_after < (now or datetime.now(UTC))
