"""The session's Auth service: credentials per host from a source, token methods off."""

from __future__ import annotations

import asyncio
from typing import cast

import grpc
import pytest

from buildwright._pb import auth_pb2
from buildwright.client.dockerconfig import RegistryCredentials
from buildwright.client.session.auth import AnonymousAuthAttachable, AuthAttachable
from buildwright.client.session.h2server import Router, RpcAbort, UnaryHandler
from buildwright.errors import BuildConfigError

_SERVICE = "/moby.filesync.v1.Auth"


class _Routes:
    def __init__(self) -> None:
        self.unary: dict[str, UnaryHandler] = {}

    def add_unary(self, path: str, handler: UnaryHandler) -> None:
        self.unary[path] = handler


class _Source:
    def __init__(self, answers: dict[str, RegistryCredentials | None], fail: bool = False) -> None:
        self.answers = answers
        self.asked: list[str] = []
        self.fail = fail

    def credentials(self, host: str) -> RegistryCredentials | None:
        self.asked.append(host)
        if self.fail:
            raise BuildConfigError("failed to read docker config /x/config.json: not a JSON object")
        return self.answers.get(host)


def _routes(attachable: AuthAttachable) -> _Routes:
    routes = _Routes()
    attachable.register(cast(Router, routes))
    return routes


def _ask(routes: _Routes, *hosts: str) -> list[auth_pb2.CredentialsResponse]:
    async def run() -> list[auth_pb2.CredentialsResponse]:
        handler = routes.unary[f"{_SERVICE}/Credentials"]
        out = []
        for host in hosts:
            data = await handler(auth_pb2.CredentialsRequest(Host=host).SerializeToString(), ())
            out.append(auth_pb2.CredentialsResponse.FromString(data))
        return out

    return asyncio.run(run())


def test_registers_every_auth_method() -> None:
    assert sorted(_routes(AuthAttachable()).unary) == [
        f"{_SERVICE}/{name}" for name in ("Credentials", "FetchToken", "GetTokenAuthority", "VerifyTokenAuthority")
    ]


def test_credentials_by_host_looked_up_once() -> None:
    source = _Source(
        {
            "reg.example:5000": RegistryCredentials("alice", "pw"),
            "token.example": RegistryCredentials("ignored", "also-ignored", identity_token="tok"),
        }
    )
    answers = _ask(
        _routes(AuthAttachable(source)), "reg.example:5000", "token.example", "none.example", "reg.example:5000"
    )
    assert [(a.Username, a.Secret) for a in answers] == [("alice", "pw"), ("", "tok"), ("", ""), ("alice", "pw")]
    assert source.asked == ["reg.example:5000", "token.example", "none.example"]


def test_anonymous_answers_empty() -> None:
    (answer,) = _ask(_routes(AnonymousAuthAttachable()), "reg.example")
    assert (answer.Username, answer.Secret) == ("", "")


def test_config_error_becomes_a_status_the_engine_reports() -> None:
    routes = _routes(AuthAttachable(_Source({}, fail=True)))
    with pytest.raises(RpcAbort) as failure:
        _ask(routes, "reg.example")
    assert failure.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert "config.json" in failure.value.message


@pytest.mark.parametrize(
    ("method", "request_type", "code"),
    [
        ("FetchToken", auth_pb2.FetchTokenRequest, grpc.StatusCode.UNIMPLEMENTED),
        ("GetTokenAuthority", auth_pb2.GetTokenAuthorityRequest, grpc.StatusCode.UNAVAILABLE),
        ("VerifyTokenAuthority", auth_pb2.VerifyTokenAuthorityRequest, grpc.StatusCode.UNAVAILABLE),
    ],
)
def test_token_methods_are_off(method: str, request_type: type, code: grpc.StatusCode) -> None:
    # UNAVAILABLE from GetTokenAuthority makes the engine ask Credentials and fetch tokens itself.
    handler = _routes(AuthAttachable(_Source({}))).unary[f"{_SERVICE}/{method}"]
    with pytest.raises(RpcAbort) as failure:
        asyncio.run(handler(request_type(Host="reg.example").SerializeToString(), ()))
    assert failure.value.code is code
