"""The engine client: endpoints, transports, connection, session services, gateway solve, events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildwright._lazy import lazy_exports

if TYPE_CHECKING:
    from buildwright.client.client import (
        BuildkitClient,
        ClientState,
    )
    from buildwright.client.connection import (
        Connection,
        EngineInfo,
        connect,
    )
    from buildwright.client.endpoint import (
        Endpoint,
        EndpointKind,
        TLSConfig,
        parse_endpoint,
        resolve_endpoints,
    )
    from buildwright.client.events import (
        BuildEvent,
        BuildWarning,
        LogChunk,
        StatusProgress,
        VertexCached,
        VertexCompleted,
        VertexFailed,
        VertexQueued,
        VertexStarted,
    )
    from buildwright.client.exporters import (
        ExportSpec,
    )
    from buildwright.client.gateway import (
        GatewayCaps,
        GatewayWarning,
    )
    from buildwright.client.identity import (
        node_id,
    )
    from buildwright.client.session.secrets import (
        SecretValue,
    )
    from buildwright.client.solve import (
        BuildRequest,
        BuildResult,
        CompiledBuildLike,
        GatewayContext,
        shared_key_for,
    )
    from buildwright.client.steps import (
        StepRecorder,
        StepResult,
    )

# Imported on first use: see buildwright/_lazy.py.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "buildwright.client.client": ("BuildkitClient", "ClientState"),
        "buildwright.client.connection": ("Connection", "EngineInfo", "connect"),
        "buildwright.client.endpoint": ("Endpoint", "EndpointKind", "TLSConfig", "parse_endpoint", "resolve_endpoints"),
        "buildwright.client.events": (
            "BuildEvent",
            "BuildWarning",
            "LogChunk",
            "StatusProgress",
            "VertexCached",
            "VertexCompleted",
            "VertexFailed",
            "VertexQueued",
            "VertexStarted",
        ),
        "buildwright.client.exporters": ("ExportSpec",),
        "buildwright.client.gateway": ("GatewayCaps", "GatewayWarning"),
        "buildwright.client.identity": ("node_id",),
        "buildwright.client.session.secrets": ("SecretValue",),
        "buildwright.client.solve": (
            "BuildRequest",
            "BuildResult",
            "CompiledBuildLike",
            "GatewayContext",
            "shared_key_for",
        ),
        "buildwright.client.steps": ("StepRecorder", "StepResult"),
    },
)

__all__ = [
    "BuildEvent",
    "BuildRequest",
    "BuildResult",
    "BuildWarning",
    "BuildkitClient",
    "ClientState",
    "CompiledBuildLike",
    "Connection",
    "Endpoint",
    "EndpointKind",
    "EngineInfo",
    "ExportSpec",
    "GatewayCaps",
    "GatewayContext",
    "GatewayWarning",
    "LogChunk",
    "SecretValue",
    "StatusProgress",
    "StepRecorder",
    "StepResult",
    "TLSConfig",
    "VertexCached",
    "VertexCompleted",
    "VertexFailed",
    "VertexQueued",
    "VertexStarted",
    "connect",
    "node_id",
    "parse_endpoint",
    "resolve_endpoints",
    "shared_key_for",
]
