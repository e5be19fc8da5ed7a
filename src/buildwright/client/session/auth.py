"""Registry auth for the daemon: this client shares no credentials.

Mirrors what buildkit's authprovider answers when it holds no credentials: `Credentials` returns an
empty answer (the daemon then pulls anonymously), and the client-side token authority is off, as
with BUILDKIT_NO_CLIENT_TOKEN (UNAVAILABLE), so the daemon fetches tokens itself.
"""

from __future__ import annotations

import grpc

from buildwright._pb import auth_pb2
from buildwright.client.session.h2server import Metadata, Router, RpcAbort, unary_handler

_SERVICE = "/moby.filesync.v1.Auth"


async def _credentials(request: auth_pb2.CredentialsRequest, metadata: Metadata) -> auth_pb2.CredentialsResponse:
    return auth_pb2.CredentialsResponse()


async def _fetch_token(request: auth_pb2.FetchTokenRequest, metadata: Metadata) -> auth_pb2.FetchTokenResponse:
    raise RpcAbort(grpc.StatusCode.UNIMPLEMENTED, "client side token fetching is not supported")


async def _token_authority(request: object, metadata: Metadata) -> auth_pb2.GetTokenAuthorityResponse:
    raise RpcAbort(grpc.StatusCode.UNAVAILABLE, "client side tokens disabled")


class AnonymousAuthAttachable:
    """Auth service that shares no credentials."""

    def register(self, router: Router) -> None:
        router.add_unary(f"{_SERVICE}/Credentials", unary_handler(auth_pb2.CredentialsRequest, _credentials))
        router.add_unary(f"{_SERVICE}/FetchToken", unary_handler(auth_pb2.FetchTokenRequest, _fetch_token))
        router.add_unary(
            f"{_SERVICE}/GetTokenAuthority", unary_handler(auth_pb2.GetTokenAuthorityRequest, _token_authority)
        )
        router.add_unary(
            f"{_SERVICE}/VerifyTokenAuthority", unary_handler(auth_pb2.VerifyTokenAuthorityRequest, _token_authority)
        )
