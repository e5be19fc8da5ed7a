"""A unix-socket forwarder in front of the shared engine that a test can cut, as a lost engine.

Bytes are copied both ways, unchanged. `cut()` closes every forwarded connection and refuses new
ones (the socket is removed), which is what the client sees when the engine's host goes away;
`resume()` accepts again, as an engine that restarted at the same address. The shared engine
itself is never touched.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from pathlib import Path


class CutProxy:
    """Listens on `path`, forwards each connection to the unix socket `upstream`."""

    def __init__(self, path: Path, upstream: Path) -> None:
        self.path = path
        self._upstream = upstream
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> CutProxy:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        listener.listen(64)
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), name="cutproxy-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(str(self._upstream))
            except OSError:
                client.close()
                upstream.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(src, dst), name="cutproxy-pump", daemon=True).start()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._conns) // 2

    def cut(self) -> None:
        """Drop every forwarded connection and stop listening (the socket file goes away)."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def resume(self) -> None:
        """Listen again at the same path (the engine is back)."""
        self.start()

    def close(self) -> None:
        self.cut()

    def __enter__(self) -> CutProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(256 * 1024)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
