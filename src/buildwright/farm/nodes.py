"""A builder's nodes, opened for a farm run: one connection each, reachable ones only.

A node that does not answer at the start is skipped with a warning (its reason from the probe).
Each open node is a pipeline `Engine` (builds share its one connection) plus the state the
scheduler changes: whether it still answers, and a semaphore of its parallelism.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from buildwright._log import get_logger
from buildwright.client import BuildkitClient
from buildwright.client.builders import BUILDER_ENV, Builder, Node, chosen_builder
from buildwright.client.history import count_active_builds
from buildwright.engine import Engine
from buildwright.errors import BuildConfigError, EngineError, EngineUnavailableError
from buildwright.farm.placement import NodeSlot
from buildwright.llb.platform import Platform
from buildwright.options import EngineOptions

_log = get_logger(__name__)
_CONNECT_TIMEOUT = 5.0


def farm_builder(name: str | None, env: Mapping[str, str] | None = None) -> Builder:
    """The builder a farm run uses, by `--builder`'s rule: `name`, else BUILDWRIGHT_BUILDER, else
    the one `builder use` chose (unless BUILDKIT_HOST names an engine).

    Raises:
        BuildConfigError: none is named, or no store has it.
    """
    found = chosen_builder(name, os.environ if env is None else env)
    if found is None:
        raise BuildConfigError(f"no builder for the farm: give one (--builder), set {BUILDER_ENV} or `builder use` one")
    return found[0]


def _normalised(platforms: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(Platform.parse(p)) for p in platforms))


class OpenNode:
    """One reachable node during a run."""

    def __init__(
        self, node: Node, client: BuildkitClient, engine: Engine, platforms: tuple[str, ...], busy: int = 0
    ) -> None:
        self.node = node
        self.client = client
        self.engine = engine
        parallelism = node.parallelism or 1
        self.slot = NodeSlot(node.name, node.endpoint, platforms, parallelism, busy)
        self.slots = threading.Semaphore(parallelism)
        self._lock = threading.Lock()
        self._lost: str | None = None

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def lost(self) -> str | None:
        """Why the node stopped answering, or None while it answers."""
        with self._lock:
            return self._lost

    def mark_lost(self, reason: str) -> bool:
        """Record that the node stopped answering; True the first time."""
        with self._lock:
            first = self._lost is None
            if first:
                self._lost = reason
            return first

    def close(self) -> None:
        with contextlib.suppress(EngineError):
            self.engine.close()


def _open(node: Node, builder: str, env: Mapping[str, str]) -> OpenNode:
    endpoint = node.to_endpoint(f"builder {builder} node {node.name}")
    client = BuildkitClient.connect([endpoint], timeout=_CONNECT_TIMEOUT)
    options = EngineOptions(
        addr=node.endpoint,
        tls_ca=node.tls_ca,
        tls_cert=node.tls_cert,
        tls_key=node.tls_key,
        tls_server_name=node.tls_server_name,
        env=env,
    )
    reported = tuple(str(p) for p in client.engine.worker_platforms)
    platforms = _normalised(node.platforms or reported)
    try:
        busy = count_active_builds(client.connection)
    except EngineError as exc:  # an engine without the history API: its load is unknown, not fatal
        _log.debug("farm_node_load_unknown", node=node.name, error=str(exc))
        busy = 0
    # Each leg has its own thread; the engine's pool only serves `Engine.submit`, unused here.
    return OpenNode(node, client, Engine(options, client=client, max_parallel=1), platforms, busy)


def open_nodes(builder: Builder, env: Mapping[str, str]) -> tuple[tuple[OpenNode, ...], tuple[str, ...]]:
    """The builder's reachable nodes (builder order) and a warning for each one skipped.

    Raises:
        EngineUnavailableError: no node answered.
    """
    with ThreadPoolExecutor(max_workers=max(len(builder.nodes), 1), thread_name_prefix="farm-connect") as pool:
        futures = [pool.submit(_open, node, builder.name, env) for node in builder.nodes]
    opened: list[OpenNode] = []
    warnings: list[str] = []
    tried: list[tuple[str, str]] = []
    for node, future in zip(builder.nodes, futures, strict=True):
        try:
            opened.append(future.result())
        except EngineError as exc:
            reason = str(exc).splitlines()[0]
            warnings.append(f"node {node.name} ({node.endpoint}) is skipped: {reason}")
            tried.append((node.endpoint, reason))
            _log.info("farm_node_skipped", node=node.name, endpoint=node.endpoint, reason=reason)
    if not opened:
        raise EngineUnavailableError(f"no node of builder {builder.name!r} answered", tried)
    return tuple(opened), tuple(warnings)
