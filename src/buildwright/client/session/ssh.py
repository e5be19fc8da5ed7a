"""SSH agent forwarding (`RUN --mount=type=ssh`, `--ssh default|id=socket`).

The daemon asks `CheckAgent` whether an id is served, then opens one `ForwardAgent` stream per
connection a build step makes to its socket; each stream is joined to a fresh connection to the
client's agent socket. Requests are relayed one at a time and those that would change the
agent (add or remove keys, lock, extensions) are refused here, so a build can use the keys
but not alter them, as buildkit's read-only agent does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

from buildwright._log import get_logger
from buildwright._pb import sshforward_pb2
from buildwright.client.session.filesync import request_options
from buildwright.client.session.h2server import Metadata, Router, RpcAbort, ServerStream, unary_handler
from buildwright.errors import BuildConfigError

_log = get_logger(__name__)

_SERVICE = "/moby.sshforward.v1.SSH"
DEFAULT_ID = "default"
# The daemon names the agent a stream is for in this metadata key.
ID_KEY = "buildkit.ssh.id"
# Agent protocol message types (draft-miller-ssh-agent) a read-only agent refuses.
_AGENT_FAILURE = 5
_MUTATING_REQUESTS = frozenset({17, 18, 19, 20, 21, 22, 23, 25, 26, 27})
_MAX_AGENT_MESSAGE = 256 * 1024


@dataclass(frozen=True, slots=True)
class SSHAgentSpec:
    """An `--ssh` value: agent `id` and the socket serving it (None: `$SSH_AUTH_SOCK`)."""

    id: str = DEFAULT_ID
    socket: str | None = None


def parse_ssh_spec(spec: str) -> SSHAgentSpec:
    """`default`, `id`, or `id=/path/to/agent.sock` (buildx's `--ssh` syntax)."""
    agent_id, sep, paths = spec.partition("=")
    path_list = paths.split(",") if sep else []
    if len(path_list) > 1:
        raise BuildConfigError(f"--ssh {spec}: only one agent socket per id is supported")
    return SSHAgentSpec(agent_id or DEFAULT_ID, path_list[0] if path_list and path_list[0] else None)


def resolve_agents(specs: Iterable[SSHAgentSpec], environ: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Agent id -> socket path, checked now so a typo fails before the build starts."""
    env_map = os.environ if environ is None else environ
    out: dict[str, Path] = {}
    for spec in specs:
        if spec.id in out:
            raise BuildConfigError(f'duplicate agent ID "{spec.id}"')
        path = spec.socket or env_map.get("SSH_AUTH_SOCK", "")
        if not path:
            raise BuildConfigError(f"--ssh {spec.id}: invalid empty ssh agent socket (SSH_AUTH_SOCK is not set)")
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise BuildConfigError(f"--ssh {spec.id}: {path}: {exc.strerror}") from None
        if not stat.S_ISSOCK(mode):
            # buildx can also load private key files into an in-memory agent; buildwright cannot.
            raise BuildConfigError(
                f"--ssh {spec.id}: {path} is not an agent socket (private key files are not supported; "
                "load them with ssh-add and pass the agent's socket)"
            )
        out[spec.id] = Path(path)
    return out


class SSHAgentAttachable:
    """Serves SSH agents by id, each backed by a local agent socket."""

    def __init__(self, agents: Mapping[str, Path]) -> None:
        self._agents = dict(agents)

    async def _check(
        self, request: sshforward_pb2.CheckAgentRequest, metadata: Metadata
    ) -> sshforward_pb2.CheckAgentResponse:
        agent_id = request.ID or DEFAULT_ID
        if agent_id not in self._agents:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"unset ssh forward key {agent_id}")
        return sshforward_pb2.CheckAgentResponse()

    async def _forward(self, stream: ServerStream) -> None:
        agent_id = (request_options(stream.metadata).get(ID_KEY) or [DEFAULT_ID])[0] or DEFAULT_ID
        path = self._agents.get(agent_id)
        if path is None:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"unset ssh forward key {agent_id}")
        try:
            reader, writer = await asyncio.open_unix_connection(str(path))
        except OSError as exc:
            raise RpcAbort(grpc.StatusCode.UNAVAILABLE, f"failed to connect to {path}: {exc.strerror}") from None
        _log.debug("ssh_agent_forward", id=agent_id)
        try:
            await _relay(stream, reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def register(self, router: Router) -> None:
        router.add_unary(f"{_SERVICE}/CheckAgent", unary_handler(sshforward_pb2.CheckAgentRequest, self._check))
        router.add_stream(f"{_SERVICE}/ForwardAgent", self._forward)


async def _relay(stream: ServerStream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Relay framed agent requests from the build to the agent, one request and answer at a time."""
    pending = bytearray()
    while True:
        message = await stream.recv()
        if message is None:
            return
        pending += sshforward_pb2.BytesMessage.FromString(message).data
        while len(pending) >= 4:
            size = int.from_bytes(pending[:4], "big")
            if size == 0 or size > _MAX_AGENT_MESSAGE:
                raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, "invalid ssh agent message")
            if len(pending) < 4 + size:
                break
            request = bytes(pending[: 4 + size])
            del pending[: 4 + size]
            if request[4] in _MUTATING_REQUESTS:
                answer = (1).to_bytes(4, "big") + bytes([_AGENT_FAILURE])
            else:
                writer.write(request)
                await writer.drain()
                header = await reader.readexactly(4)
                answer = header + await reader.readexactly(int.from_bytes(header, "big"))
            await stream.send(sshforward_pb2.BytesMessage(data=answer).SerializeToString())
