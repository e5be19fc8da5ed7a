"""Build secrets served to the daemon (`RUN --mount=type=secret`); values never reach logs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import grpc

from buildwright._pb import secrets_pb2
from buildwright.client.session.h2server import Metadata, Router, RpcAbort, unary_handler

_SERVICE = "/moby.buildkit.secrets.v1.Secrets"


@dataclass(frozen=True, slots=True)
class SecretValue:
    """A secret's bytes with a masked repr, so it cannot leak through logs or tracebacks."""

    data: bytes = field(repr=False)

    def __repr__(self) -> str:
        return "SecretValue(***)"


class SecretsAttachable:
    """Serves secrets by id from an in-memory map."""

    def __init__(self, secrets: Mapping[str, SecretValue]) -> None:
        self._secrets = dict(secrets)

    async def _get(self, request: secrets_pb2.GetSecretRequest, metadata: Metadata) -> secrets_pb2.GetSecretResponse:
        value = self._secrets.get(request.ID)
        if value is None:
            # The daemon maps NOT_FOUND to "secret not found" (an empty mount when optional).
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"secret {request.ID} not found")
        return secrets_pb2.GetSecretResponse(data=value.data)

    def register(self, router: Router) -> None:
        router.add_unary(f"{_SERVICE}/GetSecret", unary_handler(secrets_pb2.GetSecretRequest, self._get))
