"""The public face of the client layer: connect to an engine, run builds on it."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from buildwright.client.boundary import engine_errors
from buildwright.client.connection import Connection, EngineInfo, connect
from buildwright.client.endpoint import Endpoint, TLSConfig, resolve_endpoints
from buildwright.client.session.auth import CredentialSource
from buildwright.client.solve import (
    BuildRequest,
    BuildResult,
    CompiledBuildLike,
    EventCallback,
    GatewayContext,
    run_build,
    run_compile,
)
from buildwright.client.transport import Transport, transport_for
from buildwright.errors import EngineError, EngineLostError, EngineUnavailableError

T = TypeVar("T")


class ClientState(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class BuildkitClient:
    """A connected engine client; use as a context manager.

    Example:
        with BuildkitClient.connect(addr="unix:///run/buildkit/buildkitd.sock") as client:
            result = client.build(request, compile=compile_fn, on_event=print)
    """

    def __init__(
        self,
        connection: Connection,
        *,
        timeout: float = 10.0,
        transport_factory: Callable[[Endpoint], Transport] = transport_for,
    ) -> None:
        self._conn = connection
        self._timeout = timeout
        self._transport_factory = transport_factory
        # A connection that lost the engine is replaced before the next build: grpc would
        # otherwise fail calls fast for as long as its reconnect back-off lasts.
        self._lock = threading.Lock()
        self._broken: Connection | None = None
        self.state = ClientState.OPEN

    @classmethod
    def connect(
        cls,
        endpoints: Sequence[Endpoint] | None = None,
        *,
        addr: str | None = None,
        tls: TLSConfig | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        transport_factory: Callable[[Endpoint], Transport] = transport_for,
    ) -> BuildkitClient:
        """Connect to the first endpoint that answers.

        Args:
            endpoints: explicit endpoints; otherwise resolved from `addr`, `tls` and `env`
                (see `resolve_endpoints`).
            timeout: seconds to wait for each endpoint.
            transport_factory: how endpoints become transports (tests inject their own).

        Raises:
            EngineUnavailableError: no endpoint answered (each one and its reason are listed).
        """
        candidates = tuple(endpoints) if endpoints else resolve_endpoints(addr, tls=tls, env=env)
        connection = connect(candidates, timeout=timeout, transport_factory=transport_factory)
        return cls(connection, timeout=timeout, transport_factory=transport_factory)

    @property
    def engine(self) -> EngineInfo:
        """What the engine reported: endpoint, worker platforms, BuildKit version."""
        return self._conn.info

    @property
    def connection(self) -> Connection:
        return self._conn

    def build(
        self,
        request: BuildRequest,
        *,
        compile: Callable[[GatewayContext], CompiledBuildLike],
        on_event: EventCallback | None = None,
    ) -> BuildResult:
        """Run one build; `compile` receives the GatewayContext and returns the compiled graph.

        `on_event` is called with each BuildEvent, in order, from a background thread.

        Raises:
            BuildFailed: a step failed (vertex name, exit code, last log lines).
            EngineError: the engine could not be used.
        """
        conn = self._usable_connection()
        with engine_errors("build", str(conn.endpoint)):
            try:
                return run_build(conn, request, compile, on_event)
            except (EngineLostError, EngineUnavailableError) as exc:
                raise self._why_lost(conn, exc) from exc

    def compile(
        self,
        compile: Callable[[GatewayContext], T],
        *,
        on_event: EventCallback | None = None,
        registry_auth: CredentialSource | None = None,
    ) -> T:
        """Run `compile` in a gateway session (base images resolve on the engine) without building.

        `registry_auth` serves credentials for base images in private registries. Returns whatever
        `compile` returns.
        """
        conn = self._usable_connection()
        with engine_errors("compile", str(conn.endpoint)):
            try:
                return run_compile(conn, compile, on_event, registry_auth)
            except (EngineLostError, EngineUnavailableError) as exc:
                raise self._why_lost(conn, exc) from exc

    def _usable_connection(self) -> Connection:
        """The open connection, made again first if the last one lost the engine.

        Raises:
            EngineUnavailableError: the engine does not answer again (the reason says why).
        """
        with self._lock:
            if self.state is not ClientState.OPEN:
                raise EngineError("client is closed")
            if self._broken is self._conn:
                old = self._conn
                self._conn = connect([old.endpoint], timeout=self._timeout, transport_factory=self._transport_factory)
                self._broken = None
                old.close()
            return self._conn

    def _why_lost(self, conn: Connection, error: EngineError) -> EngineError:
        """After the engine went away: the error to raise, with the reason the engine gives now
        when it still does not answer (the relay or grpc's own message says little)."""
        with self._lock:
            if self._conn is conn:
                self._broken = conn
        if isinstance(error, EngineLostError):
            return error
        try:
            self._usable_connection()
        except EngineUnavailableError as now:
            return now
        return error

    def close(self) -> None:
        with self._lock:
            if self.state is ClientState.OPEN:
                self._conn.close()
                self.state = ClientState.CLOSED

    def __enter__(self) -> BuildkitClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
