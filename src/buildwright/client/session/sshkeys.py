"""An in-memory SSH agent holding private keys read from files (`--ssh id=~/.ssh/id_ed25519`).

It answers the two requests a build needs (draft-miller-ssh-agent): list the identities and sign
with one of them, as buildkit's keyring does for buildx: keys in the order given, empty comments,
RSA signatures with SHA-1 unless the request's flags ask for SHA-256 or SHA-512. Anything else is
answered with a failure (a build may use the keys, never change them). Private keys are parsed by
`cryptography`: OpenSSH, PKCS#1, PKCS#8 and SEC1 formats, RSA, Ed25519 and ECDSA keys.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from buildwright._values import valueclass
from buildwright.errors import BuildConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    PrivateKey = RSAPrivateKey | Ed25519PrivateKey | EllipticCurvePrivateKey

_MAX_KEY_FILE = 100 * 1024  # as buildkit reads them
_FAILURE = 5
_REQUEST_IDENTITIES = 11
_IDENTITIES_ANSWER = 12
_SIGN_REQUEST = 13
_SIGN_RESPONSE = 14
_FLAG_RSA_SHA256 = 2
_FLAG_RSA_SHA512 = 4


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _mpint(value: int) -> bytes:
    if value == 0:
        return _string(b"")
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return _string(raw)


def _frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + payload


_FAILURE_FRAME = _frame(bytes([_FAILURE]))


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def byte(self) -> int:
        if self._at >= len(self._data):
            raise ValueError("short message")
        value = self._data[self._at]
        self._at += 1
        return value

    def uint32(self) -> int:
        chunk = self._data[self._at : self._at + 4]
        if len(chunk) != 4:
            raise ValueError("short message")
        self._at += 4
        return int.from_bytes(chunk, "big")

    def string(self) -> bytes:
        size = self.uint32()
        chunk = self._data[self._at : self._at + size]
        if len(chunk) != size:
            raise ValueError("short message")
        self._at += size
        return chunk


@valueclass
class _Key:
    blob: bytes
    private: PrivateKey


def load_private_key(path: Path) -> PrivateKey:
    """Read one private key file.

    Raises:
        BuildConfigError: unreadable, not a key, passphrase protected, or an unsupported type.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        with path.open("rb") as f:
            data = f.read(_MAX_KEY_FILE)
    except OSError as exc:
        raise BuildConfigError(f"failed to read {path}: {exc.strerror}") from exc
    if b"PRIVATE KEY-----" not in data:
        raise BuildConfigError(f"failed to parse {path}: ssh: no key found")
    try:
        loaded: object
        if b"OPENSSH PRIVATE KEY" in data:
            loaded = serialization.load_ssh_private_key(data, password=None)
        else:
            loaded = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        # What cryptography raises for an encrypted key read without a password.
        raise BuildConfigError(f"failed to parse {path}: ssh: this private key is passphrase protected") from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise BuildConfigError(f"failed to parse {path}: {exc}") from exc
    if not isinstance(loaded, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise BuildConfigError(f"failed to parse {path}: unsupported key type {type(loaded).__name__}")
    return loaded


def _public_blob(key: PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return base64.b64decode(line.split()[1])


class KeyAgent:
    """Serves the keys of the given files as an agent; build once, answer from any thread."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = tuple(paths)
        self._keys: list[_Key] = []
        for path in self.paths:
            key = load_private_key(path)
            self._keys.append(_Key(_public_blob(key), key))

    def answer(self, request: bytes) -> bytes:
        """The framed answer to one framed request."""
        try:
            reader = _Reader(request[4:])
            kind = reader.byte()
            if kind == _REQUEST_IDENTITIES:
                return self._identities()
            if kind == _SIGN_REQUEST:
                blob, data, flags = reader.string(), reader.string(), reader.uint32()
                return self._sign(blob, data, flags)
        except ValueError:
            pass
        return _FAILURE_FRAME

    def _identities(self) -> bytes:
        body = bytearray([_IDENTITIES_ANSWER])
        body += len(self._keys).to_bytes(4, "big")
        for key in self._keys:
            body += _string(key.blob) + _string(b"")
        return _frame(bytes(body))

    def _sign(self, blob: bytes, data: bytes, flags: int) -> bytes:
        key = next((k for k in self._keys if k.blob == blob), None)
        if key is None:
            return _FAILURE_FRAME
        signature = _signature(key.private, data, flags)
        if signature is None:
            return _FAILURE_FRAME
        return _frame(bytes([_SIGN_RESPONSE]) + _string(signature))


def _signature(key: PrivateKey, data: bytes, flags: int) -> bytes | None:
    """The SSH signature blob (algorithm name and signature), or None for flags the key can't honour."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    if isinstance(key, rsa.RSAPrivateKey):
        choices: dict[int, tuple[bytes, hashes.HashAlgorithm]] = {
            0: (b"ssh-rsa", hashes.SHA1()),
            _FLAG_RSA_SHA256: (b"rsa-sha2-256", hashes.SHA256()),
            _FLAG_RSA_SHA512: (b"rsa-sha2-512", hashes.SHA512()),
        }
        if flags not in choices:
            return None
        name, digest = choices[flags]
        return _string(name) + _string(key.sign(data, padding.PKCS1v15(), digest))
    if flags:
        return None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return _string(b"ssh-ed25519") + _string(key.sign(data))
    curves: dict[str, tuple[bytes, hashes.HashAlgorithm]] = {
        "secp256r1": (b"nistp256", hashes.SHA256()),
        "secp384r1": (b"nistp384", hashes.SHA384()),
        "secp521r1": (b"nistp521", hashes.SHA512()),
    }
    if key.curve.name not in curves:
        return None
    curve, digest = curves[key.curve.name]
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest)))
    return _string(b"ecdsa-sha2-" + curve) + _string(_mpint(r) + _mpint(s))
