"""Registry auth for the engine: credentials from the docker config, served on request.

When a registry answers 401, the engine asks the session for the host's credentials
(`Auth.Credentials`) and uses them for basic auth or to fetch a bearer token itself. The
client-side token authority (`GetTokenAuthority`) is off, as with buildkit's
BUILDKIT_NO_CLIENT_TOKEN: the engine then asks for credentials instead of client-made tokens,
so `FetchToken` is never needed. A host without credentials gets an empty answer (anonymous).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import grpc

from buildwright._log import get_logger
from buildwright._pb import auth_pb2
from buildwright.client.dockerconfig import RegistryCredentials
from buildwright.client.session.h2server import Metadata, Router, RpcAbort, unary_handler
from buildwright.errors import BuildwrightError

_SERVICE = "/moby.filesync.v1.Auth"
_log = get_logger(__name__)


class CredentialSource(Protocol):
    """Where registry credentials come from (`DockerConfig`, or a fake in tests)."""

    def credentials(self, host: str) -> RegistryCredentials | None:
        """The credentials for `host`, or None for anonymous access. May block (helper programs)."""
        ...


class _NoCredentials:
    def credentials(self, host: str) -> RegistryCredentials | None:
        return None


def to_response(credentials: RegistryCredentials | None) -> auth_pb2.CredentialsResponse:
    """An identity token goes alone in `Secret`; otherwise user name and password (buildkit's rule)."""
    if credentials is None:
        return auth_pb2.CredentialsResponse()
    if credentials.identity_token:
        return auth_pb2.CredentialsResponse(Secret=credentials.identity_token)
    return auth_pb2.CredentialsResponse(Username=credentials.username, Secret=credentials.password)


async def _fetch_token(request: auth_pb2.FetchTokenRequest, metadata: Metadata) -> auth_pb2.FetchTokenResponse:
    raise RpcAbort(grpc.StatusCode.UNIMPLEMENTED, "client side token fetching is not supported")


async def _token_authority(request: object, metadata: Metadata) -> auth_pb2.GetTokenAuthorityResponse:
    raise RpcAbort(grpc.StatusCode.UNAVAILABLE, "client side tokens disabled")


class AuthAttachable:
    """Serves registry credentials from a `CredentialSource`, looked up once per host per build."""

    def __init__(self, source: CredentialSource | None = None) -> None:
        self._source: CredentialSource = source if source is not None else _NoCredentials()
        self._cache: dict[str, RegistryCredentials | None] = {}
        self._lock = asyncio.Lock()

    async def _credentials(
        self, request: auth_pb2.CredentialsRequest, metadata: Metadata
    ) -> auth_pb2.CredentialsResponse:
        host = request.Host
        # One lookup at a time: helper programs (keychains) misbehave when run concurrently.
        async with self._lock:
            if host not in self._cache:
                try:
                    # A helper program may take a while; the session's loop must keep serving.
                    self._cache[host] = await asyncio.to_thread(self._source.credentials, host)
                except BuildwrightError as exc:
                    raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, exc.message) from exc
                found = self._cache[host]
                _log.debug("registry_credentials", host=host, shared=found is not None)
        return to_response(self._cache[host])

    def register(self, router: Router) -> None:
        router.add_unary(f"{_SERVICE}/Credentials", unary_handler(auth_pb2.CredentialsRequest, self._credentials))
        router.add_unary(f"{_SERVICE}/FetchToken", unary_handler(auth_pb2.FetchTokenRequest, _fetch_token))
        router.add_unary(
            f"{_SERVICE}/GetTokenAuthority", unary_handler(auth_pb2.GetTokenAuthorityRequest, _token_authority)
        )
        router.add_unary(
            f"{_SERVICE}/VerifyTokenAuthority", unary_handler(auth_pb2.VerifyTokenAuthorityRequest, _token_authority)
        )


class AnonymousAuthAttachable(AuthAttachable):
    """Auth service that shares no credentials (compile-only sessions, API callers without a config)."""

    def __init__(self) -> None:
        super().__init__(None)
