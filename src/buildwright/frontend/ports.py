"""EXPOSE port specs: `80`, `80/udp`, `8000-8002/tcp`, normalised to `port/proto` entries."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from buildwright.errors import DockerfileError

_PROTOCOLS = ("tcp", "udp", "sctp")

# Told each port once it is split, before it is validated further (where the reference runs the
# EXPOSE checks): the raw word, its protocol as written, and whether it maps an IP or host port.
PortObserver = Callable[[str, str, bool], None]


def parse_ports(words: list[str], observe: PortObserver | None = None) -> list[str]:
    """Expand each EXPOSE word into `port/proto` strings, in order, ranges unrolled."""
    out: list[str] = []
    for word in words:
        out.extend(_parse_port(word, observe))
    return out


def _parse_port(raw: str, observe: PortObserver | None) -> list[str]:
    ip, host_port, container_port = _split_parts(raw)
    proto, container_port = _split_proto(raw, container_port)
    if observe is not None:
        observe(raw, proto, bool(ip or host_port))
    if ip.startswith("["):
        ip = ip[1:].split("]", 1)[0]
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise DockerfileError(f"invalid IP address: {ip}") from None
    try:
        start, end = _parse_range(container_port)
    except ValueError:
        raise DockerfileError(f"invalid containerPort: {container_port}") from None
    if host_port:
        try:
            host_start, host_end = _parse_range(host_port)
        except ValueError:
            raise DockerfileError(f"invalid hostPort: {host_port}") from None
        if end - start != host_end - host_start and end != start:
            raise DockerfileError(
                f"invalid ranges specified for container and host Ports: {container_port} and {host_port}"
            )
    return [f"{port}/{proto.lower()}" for port in range(start, end + 1)]


def _split_parts(raw: str) -> tuple[str, str, str]:
    # [ip:]hostPort:containerPort, with a bracketed IPv6 address allowed.
    if raw.startswith("["):
        close = raw.find("]")
        if close != -1:
            ip = raw[: close + 1]
            rest = raw[close + 1 :].lstrip(":")
            host, _, container = rest.rpartition(":")
            return ip, host, container
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _split_proto(raw: str, port: str) -> tuple[str, str]:
    number, sep, proto = port.partition("/")
    if not sep:
        return "tcp", number
    if not number:
        raise DockerfileError(f'invalid port: "{raw}": no port specified: {port}<empty>')
    if proto.lower() not in _PROTOCOLS:
        raise DockerfileError(f'invalid port: "{raw}": invalid proto: {proto}')
    return proto, number


def _parse_range(text: str) -> tuple[int, int]:
    if not text:
        raise ValueError("empty")
    start_text, sep, end_text = text.partition("-")
    start = _port_number(start_text)
    if not sep or start_text == end_text:
        return start, start
    end = _port_number(end_text)
    if end < start:
        raise ValueError("range")
    return start, end


def _port_number(text: str) -> int:
    if not text.isdigit():
        raise ValueError(text)
    value = int(text)
    if value < 0 or value > 65535:
        raise ValueError(text)
    return value
