"""Transports: one per endpoint kind, each turning an Endpoint into grpc channels.

A buildkitd is dialled directly (unix socket, or tcp with optional mutual TLS); a dockerd goes
through a DockerGrpcRelay. Tests may supply their own Transport (anything with this shape).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Protocol

import grpc
import grpc.aio

from buildwright.client.endpoint import Endpoint, EndpointKind, TLSConfig
from buildwright.client.probe import TLSMaterial, dial, probe, unavailable
from buildwright.client.relay import DockerAddress, DockerGrpcRelay, dial_docker_grpc
from buildwright.errors import BuildConfigError, EngineError, UsageError

# Message size limits, chosen rather than grpc's defaults (4 MiB received, unlimited sent):
# - receive 64 MiB: status batches and results of big builds exceed 4 MiB; BuildKit sends at most
#   16 MiB (its server limit, moby/buildkit#4969), older dockerd more, and the cap bounds memory.
# - send 64 MiB: a definition is one message. BuildKit engines refuse more than 16 MiB
#   (moby/buildkit#6097; a larger default is proposed), older dockerd takes more; the engine's
#   refusal is reported with the sizes (solve.py), and nothing above 64 MiB is even tried.
#   Context files never travel as one message (the session tunnel sends 1 MiB chunks).
MAX_RECEIVE_MESSAGE = 64 * 1024 * 1024
MAX_SEND_MESSAGE = 64 * 1024 * 1024
CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.max_receive_message_length", MAX_RECEIVE_MESSAGE),
    ("grpc.max_send_message_length", MAX_SEND_MESSAGE),
    # The relay socket and dockerd do not care about the authority; buildkitd's TLS might.
    ("grpc.enable_http_proxy", 0),
)


class Transport(Protocol):
    """Opens grpc channels to one engine endpoint."""

    @property
    def endpoint(self) -> Endpoint: ...

    def open(self, timeout: float = 10.0) -> None:
        """Prepare (start relays, dial once to check the endpoint answers).

        Raises:
            EngineUnavailableError: the endpoint cannot be used (the reason is in `tried`).
        """
        ...

    def channel(self) -> grpc.Channel:
        """A new synchronous channel."""
        ...

    def aio_channel(self) -> grpc.aio.Channel:
        """A new asyncio channel (call from the loop that will use it)."""
        ...

    def close(self) -> None: ...


class SessionDialer(Protocol):
    """A transport that can also hand the session its own HTTP/2 (h2c) socket to the engine.

    The session then speaks `Control.Session` itself (session/tunnel.py) instead of through a
    grpc channel; transports without it (TLS, test transports) use `aio_channel`.
    """

    def dial_session(self, timeout: float = 10.0) -> tuple[socket.socket, bytes] | None:
        """A connected blocking socket speaking HTTP/2 with prior knowledge, and any bytes already
        read from it; None when this endpoint needs grpc's own connection.

        Raises:
            EngineUnavailableError: the engine cannot be reached (named as the endpoint).
            EngineError: dockerd refused the `/grpc` upgrade.
        """
        ...


def _read(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BuildConfigError(f"cannot read the TLS {what} {path}: {exc.strerror or exc}") from exc


def tls_material(tls: TLSConfig) -> TLSMaterial:
    """Read an endpoint's TLS files once.

    Raises:
        BuildConfigError: a file cannot be read, or a client certificate comes without its key
            (or the other way round).
    """
    if (tls.cert is None) != (tls.key is None):
        given, missing = ("--tlscert", "--tlskey") if tls.key is None else ("--tlskey", "--tlscert")
        raise UsageError(f"{given} needs {missing}: a client certificate and its key go together")
    return TLSMaterial(
        root_certificates=_read(tls.ca_cert, "CA certificate"),
        private_key=_read(tls.key, "client key"),
        certificate_chain=_read(tls.cert, "client certificate"),
        ca_path=tls.ca_cert,
        cert_path=tls.cert,
        key_path=tls.key,
        server_name=tls.server_name,
    )


class DirectTransport:
    """A buildkitd on a unix socket or tcp (with mutual TLS when configured)."""

    def __init__(self, endpoint: Endpoint) -> None:
        if endpoint.is_dockerd:
            raise EngineError(f"{endpoint} needs the dockerd relay transport")
        self._endpoint = endpoint
        self._target = f"unix:{endpoint.address}" if endpoint.kind is EndpointKind.BUILDKITD_UNIX else endpoint.address
        self._credentials: grpc.ChannelCredentials | None = None
        self._options = CHANNEL_OPTIONS
        self._tls = tls_material(endpoint.tls) if endpoint.tls is not None else None
        if self._tls is not None:
            # The probe checks this same material with the same server name, so a certificate
            # problem is reported before grpcio would hide it behind reconnect back-off.
            self._credentials = grpc.ssl_channel_credentials(
                root_certificates=self._tls.root_certificates,
                private_key=self._tls.private_key,
                certificate_chain=self._tls.certificate_chain,
            )
            if self._tls.server_name:
                self._options = (*CHANNEL_OPTIONS, ("grpc.ssl_target_name_override", self._tls.server_name))

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint

    def open(self, timeout: float = 10.0) -> None:
        """Dial once and check the daemon speaks gRPC, so a failure gets a precise reason."""
        probe(self._endpoint, self._tls, timeout)

    def channel(self) -> grpc.Channel:
        if self._credentials is not None:
            return grpc.secure_channel(self._target, self._credentials, options=self._options)
        return grpc.insecure_channel(self._target, options=self._options)

    def aio_channel(self) -> grpc.aio.Channel:
        if self._credentials is not None:
            return grpc.aio.secure_channel(self._target, self._credentials, options=self._options)
        return grpc.aio.insecure_channel(self._target, options=self._options)

    def dial_session(self, timeout: float = 10.0) -> tuple[socket.socket, bytes] | None:
        """A unix socket to the buildkitd (its gRPC server takes HTTP/2 with prior knowledge);
        None for tcp, where grpc's channel brings TLS and name resolution."""
        if self._endpoint.kind is not EndpointKind.BUILDKITD_UNIX:
            return None
        sock = dial(self._endpoint, timeout)
        sock.settimeout(None)
        return sock, b""

    def close(self) -> None:
        """Channels are closed by their owners."""


class DockerRelayTransport:
    """dockerd's embedded BuildKit through the `/grpc` upgrade and a private relay socket."""

    def __init__(self, endpoint: Endpoint) -> None:
        if not endpoint.is_dockerd:
            raise EngineError(f"{endpoint} is not a dockerd endpoint")
        self._endpoint = endpoint
        if endpoint.kind is EndpointKind.DOCKERD_UNIX:
            address = DockerAddress(unix_path=endpoint.address)
        else:
            host, _, port = endpoint.address.rpartition(":")
            address = DockerAddress(tcp=(host.strip("[]"), int(port)))
        self._relay = DockerGrpcRelay(address)
        self._started = False

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint

    def open(self, timeout: float = 10.0) -> None:
        try:
            self._relay.check(timeout)
        except TimeoutError as exc:
            raise unavailable(self._endpoint, f"no answer to the /grpc upgrade within {timeout:g}s") from exc
        except OSError as exc:
            raise unavailable(self._endpoint, f"cannot connect: {exc.strerror or exc}") from exc
        except EngineError as exc:
            raise unavailable(self._endpoint, exc.message) from exc
        self._relay.start()
        self._started = True

    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self._relay.target, options=CHANNEL_OPTIONS)

    def aio_channel(self) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(self._relay.target, options=CHANNEL_OPTIONS)

    def dial_session(self, timeout: float = 10.0) -> tuple[socket.socket, bytes] | None:
        """dockerd's `/grpc` upgrade on a connection of the session's own, past the relay."""
        try:
            return dial_docker_grpc(self._relay.address, timeout)
        except OSError as exc:
            raise unavailable(self._endpoint, f"cannot connect: {exc.strerror or exc}") from exc

    def close(self) -> None:
        if self._started:
            self._relay.close()
            self._started = False


def transport_for(endpoint: Endpoint) -> Transport:
    """The transport that speaks to `endpoint`."""
    if endpoint.is_dockerd:
        return DockerRelayTransport(endpoint)
    return DirectTransport(endpoint)
