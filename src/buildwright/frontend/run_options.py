"""Build-wide settings of every RUN: network, /etc/hosts entries, /dev/shm size, ulimits, cgroup parent
and hostname, and the parsers for the buildx flags that set them.

These are `docker buildx build --network/--add-host/--shm-size/--ulimit/--cgroup-parent` and the
`BUILDKIT_SANDBOX_HOSTNAME` build arg. buildx hands them to the Dockerfile frontend as attributes
(`force-network-mode`, `add-hosts`, `shm-size`, `ulimit`, `cgroup-parent`, `hostname`), which puts
them on every exec; ours is the same frontend, so they arrive here as one typed value instead.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Final

from buildwright._frozen import replace
from buildwright._log import get_logger
from buildwright._units import INT64_MAX, ram_in_bytes
from buildwright._values import valueclass
from buildwright.errors import BuildConfigError, UsageError
from buildwright.llb import caps
from buildwright.llb.exec import HostIP, NetMode, Ulimit

SHM_DIR: Final = "/dev/shm"
HOSTNAME_ARG: Final = "BUILDKIT_SANDBOX_HOSTNAME"
# An --add-host address replaced by the engine's gateway IP, which dockerd publishes as a worker label.
HOST_GATEWAY: Final = "host-gateway"
HOST_GATEWAY_LABEL: Final = "org.mobyproject.buildkit.worker.moby.host-gateway-ip"
NETWORK_MODES: Final = ("default", "none", "host")

# The resource names docker's ulimit parser knows (`as` is left out there too: dockerd's init needs it).
ULIMIT_NAMES: Final = frozenset(
    {
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    }
)
_INTEGER = re.compile(r"[+-]?[0-9]+")

_log = get_logger(__name__)


@valueclass
class RunDefaults:
    """What every RUN of a build gets unless the RUN says otherwise (only `--network` can).

    `extra_hosts` may hold `HOST_GATEWAY` until `resolve_host_gateway` replaces it (compiling
    refuses it); `shm_size` is in bytes, 0 for the engine's default; empty strings mean "not set".
    """

    network: NetMode = NetMode.SANDBOX
    extra_hosts: tuple[HostIP, ...] = ()
    shm_size: int = 0
    ulimits: tuple[Ulimit, ...] = ()
    cgroup_parent: str = ""
    hostname: str = ""

    def resolve(self, build_args: Mapping[str, str], llb_caps: frozenset[str] | None) -> RunDefaults:
        """The settings one compilation applies.

        A non-empty `BUILDKIT_SANDBOX_HOSTNAME` build arg sets the hostname. Ulimits, the /dev/shm
        size and the cgroup parent need engine caps; as in the reference frontend they are left out
        when the engine lacks the cap or its caps are unknown (a warning says so).
        """
        if any(h.ip == HOST_GATEWAY for h in self.extra_hosts):
            raise BuildConfigError("--add-host host-gateway was not resolved to the engine's gateway IP")
        resolved = self
        hostname = build_args.get(HOSTNAME_ARG)
        if hostname:
            resolved = replace(resolved, hostname=hostname)
        known = llb_caps or frozenset()
        dropped: list[str] = []
        if resolved.ulimits and caps.EXEC_META_ULIMIT not in known:
            resolved, dropped = replace(resolved, ulimits=()), [*dropped, "ulimit"]
        if resolved.shm_size > 0 and caps.EXEC_MOUNT_TMPFS_SIZE not in known:
            resolved, dropped = replace(resolved, shm_size=0), [*dropped, "shm-size"]
        if resolved.cgroup_parent and caps.EXEC_META_CGROUP_PARENT not in known:
            resolved, dropped = replace(resolved, cgroup_parent=""), [*dropped, "cgroup-parent"]
        if dropped:
            _log.warning("run_options_unsupported_by_engine", options=dropped, caps_known=llb_caps is not None)
        return resolved


def parse_network(value: str) -> NetMode:
    """`--network`: `default` (or empty), `none` or `host`; other modes need a builder of their own."""
    if value in ("", "default"):
        return NetMode.SANDBOX
    if value == "none":
        return NetMode.NONE
    if value == "host":
        return NetMode.HOST
    raise BuildConfigError(f'network mode "{value}" is not supported: use {", ".join(NETWORK_MODES)}')


def parse_extra_hosts(items: Iterable[str]) -> tuple[HostIP, ...]:
    """`--add-host` values: `host:ip` or `host=ip`, several per value separated by commas (CSV).

    The address may be in brackets (`[::1]`), or `host-gateway` (kept as `HOST_GATEWAY` until
    `resolve_host_gateway`). Host names are lower-cased and addresses written in Go's canonical
    form, as the engine's frontend does, so the exec (and its cache key) match buildx's.
    """
    hosts: list[HostIP] = []
    for item in items:
        for field in _csv_fields(item, "--add-host"):
            host, sep, address = field.partition("=")
            if not sep:
                host, sep, address = field.partition(":")
            if not sep or not host or not address:
                raise UsageError(f'invalid host "{field}": expected host:ip or host=ip')
            if address == HOST_GATEWAY:
                hosts.append(HostIP(host.lower(), HOST_GATEWAY))
                continue
            for one in address.split(","):
                canonical = _canonical_ip(one)
                if canonical is None:
                    raise UsageError(f'invalid host "{field}": "{one}" is not an IP address')
                hosts.append(HostIP(host.lower(), canonical))
    return tuple(hosts)


def resolve_host_gateway(hosts: tuple[HostIP, ...], worker_labels: Iterable[Mapping[str, str]]) -> tuple[HostIP, ...]:
    """Replace `host-gateway` addresses with the gateway IP the first worker that has one reports."""
    if all(h.ip != HOST_GATEWAY for h in hosts):
        return hosts
    gateway = next((labels[HOST_GATEWAY_LABEL] for labels in worker_labels if labels.get(HOST_GATEWAY_LABEL)), None)
    if gateway is None:
        raise BuildConfigError(
            "--add-host host-gateway: the engine reports no host-gateway IP (only dockerd's BuildKit has one)"
        )
    canonical = _canonical_ip(gateway)
    if canonical is None:
        raise BuildConfigError(f"--add-host host-gateway: the engine's host-gateway IP {gateway!r} is not an address")
    return tuple(HostIP(h.host, canonical) if h.ip == HOST_GATEWAY else h for h in hosts)


def parse_ulimits(items: Iterable[str]) -> tuple[Ulimit, ...]:
    """`--ulimit NAME=SOFT[:HARD]` values (HARD defaults to SOFT, -1 is unlimited).

    A name given twice keeps its last value, and the result is sorted by name, as docker's
    option type hands them over (the order is part of the exec's cache key).
    """
    by_name: dict[str, Ulimit] = {}
    for item in items:
        ulimit = _parse_ulimit(item)
        by_name[ulimit.name] = ulimit
    return tuple(by_name[name] for name in sorted(by_name))


def _parse_ulimit(item: str) -> Ulimit:
    name, sep, values = item.partition("=")
    if not sep:
        raise UsageError(f'invalid ulimit "{item}": expected NAME=SOFT[:HARD]')
    if name not in ULIMIT_NAMES:
        known = ", ".join(sorted(ULIMIT_NAMES))
        raise UsageError(f'invalid ulimit "{item}": unknown type "{name}" (known: {known})')
    parts = values.split(":")
    if len(parts) > 2:
        raise UsageError(f'invalid ulimit "{item}": at most two limits, SOFT[:HARD]')
    numbers = [_int64(part, f'invalid ulimit "{item}"') for part in parts]
    soft, hard = numbers[0], numbers[-1]
    if hard != -1:
        if soft == -1:
            raise UsageError(f'invalid ulimit "{item}": an unlimited (-1) soft limit needs an unlimited hard one')
        if soft > hard:
            raise UsageError(f'invalid ulimit "{item}": the soft limit {soft} is above the hard limit {hard}')
    return Ulimit(name, soft, hard)


def parse_mem_bytes(value: str) -> int:
    """A size like `--shm-size` takes: a number of bytes with an optional binary unit (`64m`, `1.5GiB`, `512k`)."""
    size = ram_in_bytes(value)
    if size is None:
        raise BuildConfigError(f'invalid size "{value}": a number of bytes with an optional unit (b, k, m, g, t or p)')
    if size > INT64_MAX:
        raise BuildConfigError(f'invalid size "{value}": too large')
    return size


def _int64(text: str, context: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise BuildConfigError(f'{context}: "{text}" is not a number')
    number = int(text)
    if not -INT64_MAX - 1 <= number <= INT64_MAX:
        raise BuildConfigError(f'{context}: "{text}" is out of range')
    return number


def _csv_fields(value: str, flag: str) -> list[str]:
    # A list flag value is one CSV record (quotes let a field hold commas), as buildx reads it.
    if not value:
        return []
    try:
        rows = list(csv.reader([value], strict=True))
    except csv.Error as exc:
        raise BuildConfigError(f'invalid {flag} value "{value}": {exc}') from exc
    return rows[0] if rows else []


def _canonical_ip(text: str) -> str | None:
    """The address as Go's net.IP prints it, or None when it is not one Go would parse."""
    if len(text) > 2 and text[0] == "[" and text[-1] == "]":
        text = text[1:-1]
    if "%" in text:  # Go's ParseIP takes no zone
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)  # Go prints v4-in-v6 addresses as plain IPv4
    return str(address)


def run_defaults_from_flags(
    *,
    network: str = "default",
    add_hosts: Iterable[str] = (),
    shm_size: int | str | None = None,
    ulimits: Iterable[str] = (),
    cgroup_parent: str | None = None,
) -> RunDefaults:
    """The settings buildx's flags of the same names ask for, checked (host-gateway still unresolved)."""
    if isinstance(shm_size, str):
        size = parse_mem_bytes(shm_size)
    elif shm_size is None:
        size = 0
    elif shm_size < 0:
        raise BuildConfigError(f"invalid shm size {shm_size}: negative")
    else:
        size = shm_size
    # One string is one flag value, not a list of characters.
    return RunDefaults(
        network=parse_network(network),
        extra_hosts=parse_extra_hosts((add_hosts,) if isinstance(add_hosts, str) else add_hosts),
        shm_size=size,
        ulimits=parse_ulimits((ulimits,) if isinstance(ulimits, str) else ulimits),
        cgroup_parent=cgroup_parent or "",
    )
