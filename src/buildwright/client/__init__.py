"""The engine client: endpoints, transports, connection, session services, gateway solve, events."""

from buildwright.client.client import BuildkitClient, ClientState
from buildwright.client.connection import Connection, EngineInfo, connect
from buildwright.client.endpoint import Endpoint, EndpointKind, TLSConfig, parse_endpoint, resolve_endpoints
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
from buildwright.client.exporters import ExportSpec
from buildwright.client.gateway import GatewayCaps, GatewayWarning
from buildwright.client.identity import node_id
from buildwright.client.session.secrets import SecretValue
from buildwright.client.solve import BuildRequest, BuildResult, CompiledBuildLike, GatewayContext, shared_key_for
from buildwright.client.steps import StepRecorder, StepResult

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
