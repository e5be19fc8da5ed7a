"""The gRPC health service: the daemon checks the session is alive with it."""

from __future__ import annotations

import asyncio

from buildwright._pb import health_pb2
from buildwright.client.session.h2server import Metadata, Router, ServerStream, unary_handler

_SERVICE = "/grpc.health.v1.Health"
_SERVING = health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


async def _check(request: health_pb2.HealthCheckRequest, metadata: Metadata) -> health_pb2.HealthCheckResponse:
    return _SERVING


async def _watch(stream: ServerStream) -> None:
    await stream.recv()
    await stream.send(_SERVING.SerializeToString())
    # The status never changes while the session lives; hold the stream until it is cancelled.
    await asyncio.Event().wait()


class HealthAttachable:
    """Answers SERVING for as long as the session lives."""

    def register(self, router: Router) -> None:
        router.add_unary(f"{_SERVICE}/Check", unary_handler(health_pb2.HealthCheckRequest, _check))
        router.add_stream(f"{_SERVICE}/Watch", _watch)
