"""The dockerd /grpc relay against a fake dockerd on a local unix socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from buildwright.client.relay import DockerAddress, DockerGrpcRelay, dial_docker_grpc
from buildwright.errors import EngineError


@contextmanager
def _fake_dockerd(path: Path, answer: bytes, requests: list[bytes]) -> Iterator[None]:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)

    def serve(conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            requests.append(data)
            conn.sendall(answer)
            while chunk := conn.recv(4096):  # echo, as if HTTP/2 went both ways
                conn.sendall(chunk)

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield
    finally:
        server.close()


@pytest.fixture
def upgrading(tmp_path: Path) -> Iterator[tuple[Path, list[bytes]]]:
    requests: list[bytes] = []
    path = tmp_path / "docker.sock"
    answer = b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nEARLY"
    with _fake_dockerd(path, answer, requests):
        yield path, requests


def test_upgrade_request_and_byte_relay(upgrading: tuple[Path, list[bytes]]) -> None:
    path, requests = upgrading
    with DockerGrpcRelay(DockerAddress(unix_path=str(path))) as relay:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(relay.socket_path)
        client.settimeout(5)
        client.sendall(b"PRI * HTTP/2.0")
        received = b""
        while len(received) < len(b"EARLYPRI * HTTP/2.0"):
            received += client.recv(4096)
        client.close()
    assert received == b"EARLYPRI * HTTP/2.0"
    head = requests[0].decode()
    assert head.startswith("POST /grpc HTTP/1.1\r\n")
    assert "Upgrade: h2c\r\n" in head and "Connection: Upgrade\r\n" in head


def test_refused_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    refusal = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    with _fake_dockerd(path, refusal, []), pytest.raises(EngineError, match="404"):
        dial_docker_grpc(DockerAddress(unix_path=str(path)))


def _relayed_echo(relay: DockerGrpcRelay, payload: bytes) -> bytes:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(relay.socket_path)
    client.settimeout(5)
    client.sendall(payload)
    received = b""
    while len(received) < len(b"EARLY") + len(payload):
        received += client.recv(4096)
    client.close()
    return received


def test_the_checked_connection_serves_the_first_relayed_one(upgrading: tuple[Path, list[bytes]]) -> None:
    path, requests = upgrading
    relay = DockerGrpcRelay(DockerAddress(unix_path=str(path)))
    relay.check(5)
    with relay:
        assert _relayed_echo(relay, b"one") == b"EARLYone"
        assert len(requests) == 1  # the check's upgrade, reused: no second dial
        assert _relayed_echo(relay, b"two") == b"EARLYtwo"
        assert len(requests) == 2  # later connections dial their own


def test_an_unused_checked_connection_is_closed_with_the_relay(upgrading: tuple[Path, list[bytes]]) -> None:
    path, _ = upgrading
    relay = DockerGrpcRelay(DockerAddress(unix_path=str(path)))
    relay.check(5)
    relay.start()
    spare = relay._spare
    assert spare is not None
    relay.close()
    assert spare[0].fileno() == -1
