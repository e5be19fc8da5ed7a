"""The in-memory key agent: identities and signatures as an SSH server checks them."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from buildwright.client.session.ssh import SSHAgentSpec, resolve_agents
from buildwright.client.session.sshkeys import KeyAgent
from buildwright.errors import BuildConfigError


def _frame(body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + body


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _strings(data: bytes) -> list[bytes]:
    out = []
    while data:
        size = int.from_bytes(data[:4], "big")
        out.append(data[4 : 4 + size])
        data = data[4 + size :]
    return out


def _write(path: Path, key: object, fmt: serialization.PrivateFormat, password: bytes | None = None) -> Path:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, fmt, encryption))  # type: ignore[attr-defined]
    return path


def _blob(key: object) -> bytes:
    line = key.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return base64.b64decode(line.split()[1])


def _sign_request(blob: bytes, data: bytes, flags: int = 0) -> bytes:
    return _frame(bytes([13]) + _string(blob) + _string(data) + flags.to_bytes(4, "big"))


def test_lists_keys_in_order_with_empty_comments(tmp_path: Path) -> None:
    first = ed25519.Ed25519PrivateKey.generate()
    second = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    agent = KeyAgent(
        [
            _write(tmp_path / "a", first, serialization.PrivateFormat.OpenSSH),
            _write(tmp_path / "b", second, serialization.PrivateFormat.TraditionalOpenSSL),
        ]
    )
    answer = agent.answer(_frame(bytes([11])))
    body = answer[4:]
    assert body[0] == 12 and int.from_bytes(body[1:5], "big") == 2
    assert _strings(body[5:]) == [_blob(first), b"", _blob(second), b""]


def test_ed25519_signature_verifies(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    agent = KeyAgent([_write(tmp_path / "k", key, serialization.PrivateFormat.PKCS8)])
    answer = agent.answer(_sign_request(_blob(key), b"session data"))
    assert answer[4] == 14
    name, signature = _strings(_strings(answer[5:])[0])
    assert name == b"ssh-ed25519"
    key.public_key().verify(signature, b"session data")
    # Ed25519 takes no RSA flags.
    assert agent.answer(_sign_request(_blob(key), b"x", 2)) == _frame(bytes([5]))


@pytest.mark.parametrize(
    ("flags", "name", "digest"),
    [(0, b"ssh-rsa", hashes.SHA1()), (2, b"rsa-sha2-256", hashes.SHA256()), (4, b"rsa-sha2-512", hashes.SHA512())],
)
def test_rsa_signature_follows_the_flags(tmp_path: Path, flags: int, name: bytes, digest: hashes.HashAlgorithm) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    agent = KeyAgent([_write(tmp_path / "k", key, serialization.PrivateFormat.OpenSSH)])
    answer = agent.answer(_sign_request(_blob(key), b"payload", flags))
    got_name, signature = _strings(_strings(answer[5:])[0])
    assert got_name == name
    key.public_key().verify(signature, b"payload", padding.PKCS1v15(), digest)


def test_ecdsa_signature_verifies(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    agent = KeyAgent([_write(tmp_path / "k", key, serialization.PrivateFormat.TraditionalOpenSSL)])
    answer = agent.answer(_sign_request(_blob(key), b"payload"))
    name, blob = _strings(_strings(answer[5:])[0])
    assert name == b"ecdsa-sha2-nistp256"
    r, s = (int.from_bytes(part, "big") for part in _strings(blob))
    key.public_key().verify(encode_dss_signature(r, s), b"payload", ec.ECDSA(hashes.SHA256()))


def test_unknown_keys_and_requests_fail(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    agent = KeyAgent([_write(tmp_path / "k", key, serialization.PrivateFormat.OpenSSH)])
    other = ed25519.Ed25519PrivateKey.generate()
    failure = _frame(bytes([5]))
    assert agent.answer(_sign_request(_blob(other), b"x")) == failure
    assert agent.answer(_frame(bytes([19]))) == failure
    assert agent.answer(_frame(bytes([13]) + b"\x00\x00")) == failure


def test_key_files_are_checked_before_the_build(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    locked = _write(tmp_path / "locked", key, serialization.PrivateFormat.PKCS8, password=b"secret")
    with pytest.raises(BuildConfigError) as raised:
        resolve_agents([SSHAgentSpec("deploy", (str(locked),))], {})
    assert str(raised.value) == f"--ssh deploy: failed to parse {locked}: ssh: this private key is passphrase protected"
    good = _write(tmp_path / "good", key, serialization.PrivateFormat.OpenSSH)
    agents = resolve_agents([SSHAgentSpec("deploy", (str(good),))], {})
    assert isinstance(agents["deploy"], KeyAgent)
