"""The session: services the daemon calls back into, tunnelled over `Control.Session`.

The client opens the bidi stream `Control.Session` with headers naming the session and every method
it serves; the stream's `BytesMessage.data` then carries an HTTP/2 connection on which the DAEMON
is the gRPC client. The bytes go straight into an in-process HTTP/2 server (h2server.py) serving
the attachables; it and the stream run on one event loop in one background thread. Where the
transport can dial one (dockerd, a buildkitd unix socket), the stream runs on a socket of its own
through tunnel.py, past grpcio and the relay; otherwise (tcp with TLS) on a grpc.aio channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import grpc
import grpc.aio

from buildwright._log import get_logger
from buildwright._pb import control_pb2
from buildwright.client.session.attachable import Attachable
from buildwright.client.session.grpcframes import message_batches, varint
from buildwright.client.session.h2server import H2Connection, Router
from buildwright.client.session.tunnel import TunnelClient
from buildwright.client.transport import Transport
from buildwright.errors import EngineError, EngineUnavailableError

_log = get_logger(__name__)

# Below grpc-go's 4 MiB default message limit on the daemon side.
_TUNNEL_CHUNK = 1024 * 1024
_SESSION_METHOD = "/moby.buildkit.v1.Control/Session"

HEADER_ID = "x-docker-expose-session-uuid"
HEADER_NAME = "x-docker-expose-session-name"
HEADER_SHARED_KEY = "x-docker-expose-session-sharedkey"
HEADER_METHOD = "x-docker-expose-session-grpc-method"


def new_session_id() -> str:
    """A fresh random id (25 lowercase alphanumerics, the shape of buildkit's identity.NewID)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(25))


def session_metadata(
    session_id: str, name: str, shared_key: str, methods: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """The headers that open `Control.Session`: id, name, shared key and one entry per served method."""
    md: list[tuple[str, str]] = [(HEADER_ID, session_id), (HEADER_NAME, name), (HEADER_SHARED_KEY, shared_key)]
    md.extend((HEADER_METHOD, m) for m in methods)
    return tuple(md)


class Session:
    """A running session; a context manager. `id` goes into SolveRequest.Session and `local.session`."""

    def __init__(
        self,
        transport: Transport,
        attachables: Sequence[Attachable],
        *,
        name: str = "buildwright",
        shared_key: str = "",
        session_id: str | None = None,
    ) -> None:
        self.id = session_id or new_session_id()
        self.name = name
        self.shared_key = shared_key
        self._transport = transport
        self._attachables = tuple(attachables)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def error(self) -> BaseException | None:
        """Why the tunnel ended early, if it did."""
        return self._error

    def start(self, timeout: float = 10.0) -> Session:
        self._thread = threading.Thread(target=self._thread_main, name="buildwright-session", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.close()
            raise EngineError("session did not start in time")
        if self._error is not None:
            error = self._error
            self.close()
            if isinstance(error, EngineUnavailableError):
                raise error  # already names the endpoint and why, as a Control call's failure would
            raise EngineError(f"session failed to start: {error}") from error
        return self

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_closed_loop_callbacks)
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # the thread must not die silently
            self._error = self._error or exc
        finally:
            self._ready.set()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        router = Router()
        for attachable in self._attachables:
            attachable.register(router)
        dial = getattr(self._transport, "dial_session", None)
        try:
            sock = dial() if dial is not None else None
        except (OSError, EngineError) as exc:
            self._error = exc
            self._ready.set()
            return
        if sock is not None:
            await self._main_direct(router, *sock)
        else:
            await self._main_grpc(router)

    async def _main_direct(self, router: Router, sock: socket.socket, early: bytes) -> None:
        # The tunnel on our own socket (tunnel.py): frames the server writes during one turn of
        # the loop leave together, framed around the pieces, never joined.
        loop = asyncio.get_running_loop()
        outbox: list[bytes | memoryview] = []
        tunnel: TunnelClient | None = None

        def flush() -> None:
            pieces = outbox[:]
            outbox.clear()
            if tunnel is not None:
                tunnel.send(pieces)

        def write(data: bytes | memoryview) -> None:
            if not outbox:
                loop.call_soon(flush)
            outbox.append(data)

        conn = H2Connection(router, write)
        assert self._stop is not None
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            metadata = session_metadata(self.id, self.name, self.shared_key, router.methods())
            tunnel = TunnelClient(sock, early, _SESSION_METHOD, metadata, conn.feed)
            tunnel.start()
            conn.start()
            self._ready.set()
            _log.debug("session_started", id=self.id, methods=len(router.methods()), tunnel="direct")
            waited: set[asyncio.Future[Any]] = {tunnel.done, stop}
            await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
            if tunnel.done.done() and not stop.done() and tunnel.done.result() is not None:
                self._error = tunnel.done.result()
                _log.debug("session_tunnel_failed", id=self.id, error=str(self._error))
        except Exception as exc:
            self._error = exc
            self._ready.set()
        finally:
            stop.cancel()
            conn.close()
            if tunnel is not None:
                tunnel.close()
            else:
                sock.close()
            _log.debug("session_closed", id=self.id)

    async def _main_grpc(self, router: Router) -> None:
        assert self._stop is not None
        outbox: list[bytes | memoryview] = []
        wakeup = asyncio.Event()

        def write(data: bytes | memoryview) -> None:
            outbox.append(data)
            wakeup.set()

        conn = H2Connection(router, write)
        channel: grpc.aio.Channel | None = None
        call: Any = None
        try:
            channel = self._transport.aio_channel()
            # Requests go out as ready-made BytesMessage bytes (see tunnel_messages).
            session_call = channel.stream_stream(
                _SESSION_METHOD,
                request_serializer=_already_serialized,
                response_deserializer=control_pb2.BytesMessage.FromString,
            )
            call = session_call(metadata=session_metadata(self.id, self.name, self.shared_key, router.methods()))
            conn.start()
            self._ready.set()
            _log.debug("session_started", id=self.id, methods=len(router.methods()), tunnel="grpc")
            up = asyncio.ensure_future(self._pump_up(call, outbox, wakeup))
            down = asyncio.ensure_future(self._pump_down(call, conn))
            stop = asyncio.ensure_future(self._stop.wait())
            done, _ = await asyncio.wait({up, down, stop}, return_when=asyncio.FIRST_COMPLETED)
            for task in (up, down):
                if task in done and not task.cancelled() and task.exception() is not None and not stop.done():
                    self._error = task.exception()
                    _log.debug("session_tunnel_failed", id=self.id, error=str(self._error))
            up.cancel()
            down.cancel()
            stop.cancel()
        except Exception as exc:
            self._error = exc
            self._ready.set()
        finally:
            conn.close()
            if call is not None:
                call.cancel()
            if channel is not None:
                await channel.close()
            _log.debug("session_closed", id=self.id)

    @staticmethod
    async def _pump_up(call: Any, outbox: list[bytes | memoryview], wakeup: asyncio.Event) -> None:
        # Server frames -> daemon. Everything written while the previous message was in flight
        # leaves together, each tunnel message assembled (and its bytes copied) exactly once.
        while True:
            await wakeup.wait()
            wakeup.clear()
            pieces = outbox[:]
            outbox.clear()
            for message in tunnel_messages(pieces):
                await call.write(message)

    @staticmethod
    async def _pump_down(call: Any, conn: H2Connection) -> None:
        # Daemon -> server frames.
        while True:
            message = await call.read()
            if message is grpc.aio.EOF:
                return
            conn.feed(message.data)

    def close(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def tunnel_messages(pieces: Sequence[bytes | memoryview]) -> Iterator[bytes]:
    """Serialized `BytesMessage`s carrying `pieces` in order, each at most `_TUNNEL_CHUNK` bytes of data.

    The protobuf is written by hand (field 1, length-delimited) so the frame bytes are joined
    straight into the message, with no intermediate buffer and no second copy by protobuf.
    """
    for parts, size in message_batches(pieces, _TUNNEL_CHUNK):
        yield b"".join([b"\x0a", varint(size), *parts])


def _already_serialized(message: bytes) -> bytes:
    return message


def _quiet_closed_loop_callbacks(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Keep grpc's completion-queue poller from printing tracebacks about finished sessions.

    grpc.aio has one process-wide poller; when several sessions (each on its own loop) run at once,
    it may still hand an event to a session loop that has already closed, which raises "Event loop
    is closed" inside the poller's callback. Nothing is lost (that session is over), so it is
    logged at debug level; any other error goes to asyncio's usual handler.
    """
    error = context.get("exception")
    if isinstance(error, RuntimeError) and "Event loop is closed" in str(error):
        _log.debug("grpc_poller_event_for_closed_session", message=context.get("message", ""))
        return
    loop.default_exception_handler(context)
