"""A connection to one engine: its transport, channel, stubs and what the engine said about itself."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field

import grpc

from buildwright._log import get_logger
from buildwright._pb import control_pb2, control_pb2_grpc, gateway_pb2_grpc
from buildwright._values import valueclass
from buildwright.client.boundary import engine_errors, rpc_code, rpc_details
from buildwright.client.endpoint import Endpoint
from buildwright.client.transport import Transport, transport_for
from buildwright.errors import BuildwrightError, EngineError, EngineUnavailableError
from buildwright.llb.platform import Platform

_log = get_logger(__name__)


class ConnectionState(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


@valueclass
class EngineInfo:
    """What the engine reported when the connection was opened."""

    endpoint: Endpoint
    worker_platforms: tuple[Platform, ...]
    # None when not asked for (see `Connection.open`) or when the daemon does not implement
    # Control.Info (dockerd 20.10 and older).
    buildkit_version: str | None = None
    # Every worker's labels merged (on dockerd, the snapshotter label says the containerd store
    # is on): kept from the probe's ListWorkers, so nothing asks for the workers a second time.
    worker_labels: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def is_dockerd(self) -> bool:
        return self.endpoint.is_dockerd


def _platform(pb: object) -> Platform | None:
    os_name = getattr(pb, "OS", "")
    arch = getattr(pb, "Architecture", "")
    if not os_name or not arch:
        return None
    return Platform(os_name, arch, getattr(pb, "Variant", ""), getattr(pb, "OSVersion", ""))


class Connection:
    """An open channel to one engine with its Control and LLBBridge stubs. A context manager."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._channel: grpc.Channel | None = None
        self._control: control_pb2_grpc.ControlStub | None = None
        self._gateway: gateway_pb2_grpc.LLBBridgeStub | None = None
        self._info: EngineInfo | None = None
        self.state = ConnectionState.NEW

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def endpoint(self) -> Endpoint:
        return self._transport.endpoint

    @property
    def channel(self) -> grpc.Channel:
        """The open gRPC channel (for services beside Control and LLBBridge, e.g. content)."""
        self._require_open()
        assert self._channel is not None
        return self._channel

    @property
    def control(self) -> control_pb2_grpc.ControlStub:
        self._require_open()
        assert self._control is not None
        return self._control

    @property
    def gateway(self) -> gateway_pb2_grpc.LLBBridgeStub:
        self._require_open()
        assert self._gateway is not None
        return self._gateway

    @property
    def info(self) -> EngineInfo:
        self._require_open()
        assert self._info is not None
        return self._info

    def _require_open(self) -> None:
        if self.state is not ConnectionState.OPEN:
            raise EngineError(f"connection to {self.endpoint} is {self.state.value}, not open")

    def open(self, timeout: float = 10.0, *, version: bool = False) -> EngineInfo:
        """Dial the endpoint and probe it: ListWorkers, and with `version` also Info (where implemented).

        A build does not need the BuildKit version, and buildx does not ask for it before a build
        either (only `buildx ls/inspect/version` do): one round trip less on every build.
        """
        if self.state is not ConnectionState.NEW:
            raise EngineError(f"connection to {self.endpoint} is already {self.state.value}")
        where = str(self.endpoint)
        try:
            with engine_errors("connect", where):
                self._transport.open(timeout)
                self._channel = self._transport.channel()
                grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError as exc:
            self._close_quietly()
            reason = f"no gRPC connection within {timeout:g}s"
            raise EngineUnavailableError(f"{where}: {reason}", [(where, reason)]) from exc
        except BuildwrightError:
            self._close_quietly()
            raise
        self._control = control_pb2_grpc.ControlStub(self._channel)
        self._gateway = gateway_pb2_grpc.LLBBridgeStub(self._channel)
        try:
            self._info = self._probe(timeout, version=version)
        except BuildwrightError:
            self._close_quietly()
            raise
        self.state = ConnectionState.OPEN
        _log.debug(
            "engine_connected",
            endpoint=where,
            platforms=[str(p) for p in self._info.worker_platforms],
            version=self._info.buildkit_version,
        )
        return self._info

    def _probe(self, timeout: float, *, version: bool) -> EngineInfo:
        assert self._control is not None
        where = str(self.endpoint)
        with engine_errors("list workers", where):
            workers = self._control.ListWorkers(control_pb2.ListWorkersRequest(), timeout=timeout)
        platforms: list[Platform] = []
        labels: dict[str, str] = {}
        for record in workers.record:
            labels.update(record.Labels)
            for p in record.platforms:
                platform = _platform(p)
                if platform is not None and platform not in platforms:
                    platforms.append(platform)
        buildkit_version: str | None = None
        if version:
            try:
                info = self._control.Info(control_pb2.InfoRequest(), timeout=timeout)
                buildkit_version = info.buildkitVersion.version or None
            except grpc.RpcError as exc:
                # Old dockerd answers UNIMPLEMENTED; any other failure is real.
                if rpc_code(exc) is not grpc.StatusCode.UNIMPLEMENTED:
                    raise EngineError(f"engine info on {where} failed: {rpc_details(exc)}") from exc
        return EngineInfo(self.endpoint, tuple(platforms), buildkit_version, labels)

    def _close_quietly(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        self._transport.close()
        self.state = ConnectionState.CLOSED

    def close(self) -> None:
        if self.state is ConnectionState.CLOSED:
            return
        self._close_quietly()

    def __enter__(self) -> Connection:
        if self.state is ConnectionState.NEW:
            self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    endpoints: Sequence[Endpoint],
    *,
    timeout: float = 10.0,
    transport_factory: Callable[[Endpoint], Transport] = transport_for,
    version: bool = False,
) -> Connection:
    """Open a connection to the first endpoint that answers (with `version`, learn its BuildKit version).

    Raises:
        EngineUnavailableError: none answered; the message names each endpoint and why.
    """
    tried: list[tuple[str, str]] = []
    for endpoint in endpoints:
        conn = Connection(transport_factory(endpoint))
        try:
            conn.open(timeout=timeout, version=version)
            return conn
        except EngineError as exc:
            name = f"{endpoint} ({endpoint.origin})" if endpoint.origin else str(endpoint)
            reasons = [reason for _, reason in exc.tried] if isinstance(exc, EngineUnavailableError) else []
            tried.append((name, "; ".join(reasons) or exc.message))
    if len(tried) == 1:
        ((name, reason),) = tried
        raise EngineUnavailableError(f"cannot use the BuildKit engine at {name}: {reason}", tried)
    lines = "; ".join(f"{name}: {reason}" for name, reason in tried) or "no endpoints given"
    raise EngineUnavailableError(f"no BuildKit engine answered ({lines})", tried)
