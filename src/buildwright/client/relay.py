"""A local relay that lets grpcio reach the BuildKit inside dockerd.

dockerd serves BuildKit's gRPC behind its HTTP API: a `POST /grpc` with `Upgrade: h2c` is answered
with `101 Switching Protocols`, after which the connection carries plain HTTP/2 (buildx's docker
driver dials it this way). grpcio cannot perform that upgrade, so the relay listens on a private
unix socket and, for every connection grpcio opens, dials dockerd, upgrades, and copies bytes both
ways. It works on whole buffers, never on gRPC messages, so it adds little per-message cost.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
from pathlib import Path

from buildwright._log import get_logger
from buildwright._values import valueclass
from buildwright.errors import EngineError

_log = get_logger(__name__)

_BUFFER = 256 * 1024
_MAX_HEADER = 64 * 1024


@valueclass
class DockerAddress:
    """Where dockerd listens: a unix socket path, or a tcp (host, port)."""

    unix_path: str | None = None
    tcp: tuple[str, int] | None = None

    def __str__(self) -> str:
        if self.unix_path is not None:
            return f"unix://{self.unix_path}"
        assert self.tcp is not None
        return f"tcp://{self.tcp[0]}:{self.tcp[1]}"


def _upgrade_request() -> bytes:
    return b"POST /grpc HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n"


def dial_docker_grpc(address: DockerAddress, timeout: float = 10.0) -> tuple[socket.socket, bytes]:
    """Connect to dockerd and switch the connection to HTTP/2 via `/grpc`.

    Returns the connected socket (blocking, no timeout) and any bytes read past the 101 answer.

    Raises:
        OSError: the socket could not be reached.
        EngineError: dockerd refused the upgrade (an old dockerd without BuildKit, or not dockerd).
    """
    if address.unix_path is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(address.unix_path)
        except BaseException:
            sock.close()
            raise
    else:
        assert address.tcp is not None
        # create_connection resolves names and tries IPv6 and IPv4 addresses alike.
        sock = socket.create_connection(address.tcp, timeout=timeout)
    try:
        sock.sendall(_upgrade_request())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                raise EngineError(
                    "the connection closed during the /grpc upgrade; is it a dockerd? "
                    "a buildkitd is reached with unix:// or tcp://"
                )
            data += chunk
            if len(data) > _MAX_HEADER:
                raise EngineError("oversized answer to the /grpc upgrade")
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[1] != "101":
            raise EngineError(
                f"refused the /grpc upgrade ({status_line.strip()}); is it a dockerd with BuildKit? "
                "a buildkitd is reached with unix:// or tcp://"
            )
        sock.settimeout(None)
        return sock, rest
    except BaseException:
        sock.close()
        raise


def _pump(src: socket.socket, dst: socket.socket) -> None:
    # One thread per direction; recv_into/sendall release the GIL, so the relay costs a copy per
    # buffer, not per gRPC message.
    buf = bytearray(_BUFFER)
    view = memoryview(buf)
    try:
        while True:
            n = src.recv_into(buf)
            if n == 0:
                break
            dst.sendall(view[:n])
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


class DockerGrpcRelay:
    """Serves a private unix socket whose connections are upgraded connections to dockerd.

    Use as a context manager; `target` is the grpc target to dial (`unix:/path`).
    """

    def __init__(self, address: DockerAddress) -> None:
        self._address = address
        self._dir: str | None = None
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        # The connection `check` upgraded, kept for the first relayed connection: a build then
        # dials and upgrades once, not twice, before its first call.
        self._spare: tuple[socket.socket, bytes] | None = None

    @property
    def address(self) -> DockerAddress:
        return self._address

    @property
    def socket_path(self) -> str:
        if self._dir is None:
            raise EngineError("relay is not started")
        return os.path.join(self._dir, "relay.sock")

    @property
    def target(self) -> str:
        return f"unix:{self.socket_path}"

    def check(self, timeout: float = 10.0) -> None:
        """Dial dockerd once and upgrade, so a dead or wrong endpoint fails early with a clear reason.

        Raises:
            OSError: dockerd cannot be reached.
            EngineError: it refused the upgrade (the message is the reason, without the address).
        """
        sock, early = dial_docker_grpc(self._address, timeout)
        with self._lock:
            previous, self._spare = self._spare, (sock, early)
        if previous is not None:
            previous[0].close()

    def start(self) -> DockerGrpcRelay:
        self._dir = tempfile.mkdtemp(prefix="buildwright-relay-")
        os.chmod(self._dir, 0o700)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.socket_path)
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, name="buildwright-relay", daemon=True)
        self._thread.start()
        _log.debug("relay_started", docker=str(self._address), socket=self.socket_path)
        return self

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), name="buildwright-relay-conn", daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            spare, self._spare = self._spare, None
        try:
            upstream, early = spare if spare is not None else dial_docker_grpc(self._address)
        except (OSError, EngineError) as exc:
            _log.debug("relay_dial_failed", docker=str(self._address), error=str(exc))
            client.close()
            return
        with self._lock:
            if self._closed.is_set():
                client.close()
                upstream.close()
                return
            self._conns += [client, upstream]
        try:
            if early:
                client.sendall(early)
            back = threading.Thread(target=_pump, args=(upstream, client), name="buildwright-relay-down", daemon=True)
            back.start()
            _pump(client, upstream)
            back.join()
        except OSError:
            pass
        finally:
            with self._lock:
                for s in (client, upstream):
                    if s in self._conns:
                        self._conns.remove(s)
            client.close()
            upstream.close()

    def close(self) -> None:
        self._closed.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
            spare, self._spare = self._spare, None
        if spare is not None:
            spare[0].close()
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        if self._dir is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.socket_path)
            with contextlib.suppress(OSError):
                Path(self._dir).rmdir()

    def __enter__(self) -> DockerGrpcRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
