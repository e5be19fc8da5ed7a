"""Where the engine is: endpoint values and the rules that pick them from flags and environment.

Order: an explicit `--addr` wins; then `BUILDKIT_HOST` (a standalone buildkitd); then `DOCKER_HOST`,
else dockerd's default socket, reached through dockerd's `/grpc` upgrade. Addresses are:

- `unix:///path` and `tcp://host:port` - a buildkitd (tcp may carry mutual TLS),
- `docker://` (default socket), `docker:///path/docker.sock`, `docker+tcp://host:port` - a dockerd.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from pathlib import Path

from buildwright._values import valueclass
from buildwright.errors import BuildConfigError, UsageError

DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock"


class EndpointKind(enum.Enum):
    """How an endpoint is spoken to."""

    BUILDKITD_UNIX = "buildkitd-unix"
    BUILDKITD_TCP = "buildkitd-tcp"
    DOCKERD_UNIX = "dockerd-unix"
    DOCKERD_TCP = "dockerd-tcp"

    @property
    def is_dockerd(self) -> bool:
        return self in (EndpointKind.DOCKERD_UNIX, EndpointKind.DOCKERD_TCP)


@valueclass
class TLSConfig:
    """Mutual TLS material for a tcp buildkitd; the server certificate is always verified."""

    ca_cert: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    # Name to verify the server certificate against, when it differs from the dialled host.
    server_name: str | None = None


@valueclass
class Endpoint:
    """One engine address: a unix socket path or a `host:port`, plus how to speak to it."""

    kind: EndpointKind
    address: str
    tls: TLSConfig | None = None
    # Where the endpoint came from (`--addr`, `BUILDKIT_HOST`, ...), for error messages.
    origin: str = ""

    @property
    def is_dockerd(self) -> bool:
        return self.kind.is_dockerd

    def __str__(self) -> str:
        scheme = {
            EndpointKind.BUILDKITD_UNIX: "unix://",
            EndpointKind.BUILDKITD_TCP: "tcp://",
            EndpointKind.DOCKERD_UNIX: "docker://",
            EndpointKind.DOCKERD_TCP: "docker+tcp://",
        }[self.kind]
        return f"{scheme}{self.address}"


def parse_endpoint(text: str, *, tls: TLSConfig | None = None, origin: str = "--addr") -> Endpoint:
    """Parse one address (see the module docstring for the accepted forms)."""
    text = text.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise UsageError(f"invalid engine address {text!r}: expected a scheme such as unix:// or tcp://")
    scheme = scheme.lower()
    if scheme in ("unix", "docker", "docker+unix"):
        path = rest or (DEFAULT_DOCKER_SOCKET if scheme != "unix" else "")
        if not path.startswith("/"):
            raise UsageError(f"invalid engine address {text!r}: a unix socket needs an absolute path")
        kind = EndpointKind.BUILDKITD_UNIX if scheme == "unix" else EndpointKind.DOCKERD_UNIX
        if tls is not None:
            raise UsageError(f"TLS options apply to tcp:// addresses only, not {text!r}")
        return Endpoint(kind, path, None, origin)
    if scheme in ("tcp", "docker+tcp"):
        host, colon, port = rest.rstrip("/").rpartition(":")
        if not colon or not host or not port.isdigit():
            raise UsageError(f"invalid engine address {text!r}: expected host:port")
        kind = EndpointKind.BUILDKITD_TCP if scheme == "tcp" else EndpointKind.DOCKERD_TCP
        if tls is not None and kind is EndpointKind.DOCKERD_TCP:
            raise UsageError("TLS to a dockerd over tcp is not supported")
        return Endpoint(kind, f"{host}:{port}", tls, origin)
    raise UsageError(
        f"unsupported engine address {text!r}: use unix://, tcp://, docker://, docker+unix:// or docker+tcp://"
    )


def _docker_host_endpoint(value: str) -> Endpoint:
    # DOCKER_HOST names a dockerd, so its unix/tcp schemes mean the dockerd kinds.
    scheme, sep, rest = value.partition("://")
    if sep and scheme.lower() == "unix":
        return parse_endpoint(f"docker://{rest}", origin="DOCKER_HOST")
    if sep and scheme.lower() == "tcp":
        return parse_endpoint(f"docker+tcp://{rest}", origin="DOCKER_HOST")
    raise BuildConfigError(f"unsupported DOCKER_HOST {value!r}: only unix:// and tcp:// are supported")


def resolve_endpoints(
    addr: str | None = None,
    *,
    tls: TLSConfig | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[Endpoint, ...]:
    """Return the endpoints to try, in order.

    Args:
        addr: an explicit address (the `--addr` flag); when given it is the only candidate.
        tls: TLS material, applied to the explicit address or `BUILDKIT_HOST`.
        env: the environment to read (defaults to `os.environ`).
    """
    environ = os.environ if env is None else env
    if addr:
        return (parse_endpoint(addr, tls=tls, origin="--addr"),)
    buildkit_host = environ.get("BUILDKIT_HOST", "").strip()
    if buildkit_host:
        return (parse_endpoint(buildkit_host, tls=tls, origin="BUILDKIT_HOST"),)
    docker_host = environ.get("DOCKER_HOST", "").strip()
    if docker_host:
        return (_docker_host_endpoint(docker_host),)
    return (Endpoint(EndpointKind.DOCKERD_UNIX, DEFAULT_DOCKER_SOCKET, None, "default"),)
