"""What each node of a builder is: reachable or why not, BuildKit version, workers, cache usage.

`builder ls`, `builder inspect` and `version` ask the same questions; the answers are values here.
"""

from __future__ import annotations

from collections.abc import Sequence

from buildwright._pb import control_pb2
from buildwright._values import valueclass
from buildwright.client.boundary import engine_errors
from buildwright.client.builders import Builder, Node
from buildwright.client.connection import Connection, connect
from buildwright.client.diskusage import disk_usage, summarize
from buildwright.client.endpoint import Endpoint
from buildwright.errors import BuildConfigError, BuildwrightError, EngineUnavailableError


@valueclass
class Worker:
    id: str
    platforms: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]


@valueclass
class NodeStatus:
    """One node as the engine reported it; `error` says why it is unreachable (then the rest is empty)."""

    node: Node
    endpoint: str
    error: str | None = None
    version: str | None = None
    revision: str | None = None
    platforms: tuple[str, ...] = ()
    workers: tuple[Worker, ...] = ()
    usage: tuple[tuple[str, int], ...] = ()

    @property
    def reachable(self) -> bool:
        return self.error is None


def _platform_text(pb: object) -> str:
    text = f"{getattr(pb, 'OS', '')}/{getattr(pb, 'Architecture', '')}"
    variant = getattr(pb, "Variant", "")
    return f"{text}/{variant}" if variant else text


def _workers(conn: Connection, timeout: float) -> tuple[tuple[Worker, ...], str | None]:
    with engine_errors("list workers", str(conn.endpoint)):
        response = conn.control.ListWorkers(control_pb2.ListWorkersRequest(), timeout=timeout)
    workers = tuple(
        Worker(
            record.ID,
            tuple(_platform_text(p) for p in record.platforms),
            tuple(sorted(record.Labels.items())),
        )
        for record in response.record
    )
    revisions = [r.BuildkitVersion.revision for r in response.record if r.BuildkitVersion.revision]
    return workers, (revisions[0] if revisions else None)


def node_status(node: Node, *, detailed: bool = False, timeout: float = 5.0) -> NodeStatus:
    """Connect to one node; never raises for an unusable node (the reason goes into `error`)."""
    try:
        endpoint: Endpoint = node.to_endpoint(origin=f"node {node.name}")
    except BuildwrightError as exc:
        return NodeStatus(node, node.endpoint, error=str(exc))
    return endpoint_status(node, endpoint, detailed=detailed, timeout=timeout)


def endpoint_status(node: Node, endpoint: Endpoint, *, detailed: bool = False, timeout: float = 5.0) -> NodeStatus:
    """`node_status` for an endpoint already resolved (with its TLS material)."""
    try:
        with connect((endpoint,), timeout=timeout, version=True) as conn:
            info = conn.info
            workers: tuple[Worker, ...] = ()
            revision = None
            usage: tuple[tuple[str, int], ...] = ()
            if detailed:
                workers, revision = _workers(conn, timeout)
                usage = tuple(summarize(disk_usage(conn)).items())
            return NodeStatus(
                node,
                str(endpoint),
                version=info.buildkit_version,
                revision=revision,
                platforms=tuple(str(p) for p in info.worker_platforms),
                workers=workers,
                usage=usage,
            )
    except BuildwrightError as exc:
        tried = exc.tried if isinstance(exc, EngineUnavailableError) else []
        reason = tried[0][1] if tried else str(exc)
        return NodeStatus(node, str(endpoint), error=reason)


def builder_status(builder: Builder, *, detailed: bool = False, timeout: float = 5.0) -> tuple[NodeStatus, ...]:
    return tuple(node_status(n, detailed=detailed, timeout=timeout) for n in builder.nodes)


def first_reachable(endpoints: Sequence[Endpoint], *, detailed: bool = False, timeout: float = 5.0) -> NodeStatus:
    """The status of the first endpoint that answers, else of the last one tried."""
    status: NodeStatus | None = None
    for endpoint in endpoints:
        status = endpoint_status(Node(endpoint.origin, str(endpoint)), endpoint, detailed=detailed, timeout=timeout)
        if status.reachable:
            break
    if status is None:
        raise BuildConfigError("no engine endpoints to try")
    return status
