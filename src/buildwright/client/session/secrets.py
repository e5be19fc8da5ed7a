"""Build secrets served to the daemon (`RUN --mount=type=secret`); values never reach logs.

Secrets are named on the command line as buildx names them (`id=X,src=path`, `id=X,env=NAME`,
`type=env,id=X`) and read once, before the build starts, into masked values.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import field
from pathlib import Path

import grpc

from buildwright import _specs
from buildwright._pb import secrets_pb2
from buildwright._values import valueclass
from buildwright.client.session.h2server import Metadata, Router, RpcAbort, unary_handler
from buildwright.errors import BuildConfigError, UsageError

_SERVICE = "/moby.buildkit.secrets.v1.Secrets"
# The engine refuses larger secrets; buildx checks the file size up front.
MAX_SECRET_SIZE = 500 * 1024


@valueclass
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


@valueclass
class SecretSource:
    """Where secret `id` comes from: a file, an environment variable, or a value given directly.

    With neither `src`, `env` nor `value`, the environment variable named `id` is used when it
    is set, else the file named `id` (buildx's rule).
    """

    id: str
    src: str | None = None
    env: str | None = None
    value: bytes | None = field(default=None, repr=False)


def parse_secret_spec(spec: str) -> SecretSource:
    """A `--secret` value: `[type=file|env,]id=ID[,src|source=PATH][,env=VAR]`."""
    try:
        parsed = _specs.parse_secret_spec(spec)
    except _specs.SpecError as exc:
        raise UsageError(str(exc)) from exc
    return SecretSource(parsed.id, parsed.src or None, parsed.env or None)


def load_secrets(sources: Iterable[SecretSource], environ: Mapping[str, str] | None = None) -> dict[str, SecretValue]:
    """Read every secret now; a later source with the same id replaces an earlier one."""
    env_map = os.environ if environ is None else environ
    out: dict[str, SecretValue] = {}
    for source in sources:
        if not source.id:
            raise BuildConfigError("secret missing ID")
        if source.value is not None:
            data = bytes(source.value)
        else:
            src, env = source.src, source.env
            if src and env:
                raise BuildConfigError(f"secret {source.id}: can't set both source and env")
            if not src and not env:
                if source.id in env_map:
                    env = source.id
                else:
                    src = source.id
            data = env_map.get(env, "").encode() if env else _read_secret_file(source.id, Path(src or ""))
        if len(data) > MAX_SECRET_SIZE:
            raise BuildConfigError(f"secret {source.id} too big. max size 500KiB")
        out[source.id] = SecretValue(data)
    return out


def _read_secret_file(secret_id: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BuildConfigError(f"failed to read secret {secret_id} from {path}: {exc.strerror}") from exc
