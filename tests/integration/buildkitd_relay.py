"""The test engine's BuildKit dressed up as a standalone buildkitd, for the endpoint tests.

No buildkitd binary is available here, but dockerd's embedded BuildKit speaks the same gRPC once a
connection to dockerd's API has been switched over with `POST /grpc` + `Upgrade: h2c`. This relay
listens where a buildkitd would (a unix socket, and 127.0.0.1:<port> with TLS that demands a client
certificate signed by a test CA), and for every accepted connection dials dockerd, performs the
upgrade (buildwright's own `dial_docker_grpc`) and copies bytes both ways. The client side therefore
sees plain gRPC over h2, exactly what a buildkitd serves; the relay terminates TLS itself.

Each connection is served by one thread that owns its TLS object: OpenSSL objects must not be
used from two threads at once, and a blocking handshake sends its alerts (certificate required,
unknown CA) to the client as a buildkitd does, which asyncio's TLS layer would drop. Certificates
are made at fixture time with the `openssl` CLI (tests/tlscerts.py); nothing is committed.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

from buildwright.client.relay import DockerAddress, dial_docker_grpc
from tests.tlscerts import Certificates, make_certificates

_CHUNK = 64 * 1024
# Stop reading a side while this much waits to be written to the other.
_BACKLOG = 4 * 1024 * 1024


def _server_tls(certs: Certificates) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certs.server.cert), str(certs.server.key))
    context.load_verify_locations(str(certs.ca.cert))
    # A buildkitd started with --tlscacert refuses clients without a certificate from that CA.
    context.verify_mode = ssl.CERT_REQUIRED
    # gRPC clients insist on h2 being negotiated by ALPN, as Go's grpc server does.
    context.set_alpn_protocols(["h2"])
    return context


class BuildkitdRelay:
    """Serves `unix_path` (plain) and 127.0.0.1:`port` (mutual TLS) in front of dockerd's BuildKit.

    After `start()`: `unix_address` (`unix:///...`), `tcp_address` (`tcp://127.0.0.1:N`), and the
    counters `accepted` (connections relayed to dockerd) and `rejected` (failed TLS handshakes).
    """

    def __init__(self, docker_socket: Path, unix_path: Path, certs: Certificates) -> None:
        self._docker = DockerAddress(unix_path=str(docker_socket))
        self._unix_path = unix_path
        self._tls = _server_tls(certs)
        self._listeners: list[socket.socket] = []
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.port = 0
        self.accepted = 0
        self.rejected = 0

    @property
    def unix_address(self) -> str:
        return f"unix://{self._unix_path}"

    @property
    def tcp_address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> BuildkitdRelay:
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(str(self._unix_path))
        unix.listen(64)
        tcp = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = tcp.getsockname()[1]
        self._listeners = [unix, tcp]
        for listener, tls in ((unix, False), (tcp, True)):
            threading.Thread(target=self._accept_loop, args=(listener, tls), daemon=True).start()
        return self

    def _accept_loop(self, listener: socket.socket, tls: bool) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, tls), daemon=True).start()

    def _serve(self, conn: socket.socket, tls: bool) -> None:
        client: socket.socket = conn
        upstream: socket.socket | None = None
        try:
            if tls:
                wrapped = self._tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
                client = wrapped
                wrapped.settimeout(10)
                try:
                    wrapped.do_handshake()
                except (ssl.SSLError, OSError):
                    with self._lock:
                        self.rejected += 1
                    return
            upstream, early = dial_docker_grpc(self._docker)
            with self._lock:
                if self._closed.is_set():
                    return
                self.accepted += 1
                self._conns.update((client, upstream))
            _pump(client, upstream, early)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.difference_update((client, upstream))
            for sock in (client, upstream):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()

    def close(self) -> None:
        self._closed.set()
        for listener in self._listeners:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            conns = list(self._conns)
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._unix_path.unlink()

    def __enter__(self) -> BuildkitdRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


_RETRY = (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError)


def _pump(client: socket.socket, upstream: socket.socket, early: bytes) -> None:
    """Copy bytes both ways on one thread until either side ends, then flush what is left."""
    client.setblocking(False)
    upstream.setblocking(False)
    peer = {client: upstream, upstream: client}
    outgoing = {client: bytearray(early), upstream: bytearray()}  # bytes waiting to be sent to the key
    reading = {client, upstream}
    while True:
        if len(reading) < 2 and not any(outgoing.values()):
            return
        wanted = [s for s in reading if len(outgoing[peer[s]]) < _BACKLOG]
        writers = [s for s, data in outgoing.items() if data]
        # TLS may hold decrypted bytes that select cannot see.
        buffered: list[socket.socket] = [s for s in wanted if isinstance(s, ssl.SSLSocket) and s.pending()]
        ready: list[socket.socket]
        writable: list[socket.socket]
        if buffered:
            ready, writable = buffered, []
        else:
            ready, writable, _ = select.select(wanted, writers, [], 1.0)
        for sock in ready:
            try:
                data = sock.recv(_CHUNK)
            except _RETRY:
                continue
            except OSError:
                data = b""
            if data:
                outgoing[peer[sock]] += data
            else:
                # One side ended: stop reading both, deliver what is queued, then close.
                reading.clear()
        for sock in writable:
            try:
                sent = sock.send(outgoing[sock][:_CHUNK])
            except _RETRY:
                continue
            except OSError:
                return
            del outgoing[sock][:sent]


@contextlib.contextmanager
def running_relay(docker_socket: Path, directory: Path) -> Iterator[tuple[BuildkitdRelay, Certificates]]:
    """Certificates in `directory` and a relay serving `directory/buildkitd.sock` and a TLS port."""
    certs = make_certificates(directory / "certs")
    with BuildkitdRelay(docker_socket, directory / "buildkitd.sock", certs) as relay:
        yield relay, certs
