"""SSH agent forwarding (`RUN --mount=type=ssh`, `--ssh default|id=socket|id=keyfile[,keyfile]`).

The daemon asks `CheckAgent` whether an id is served, then opens one `ForwardAgent` stream per
connection a build step makes to its socket. For an agent socket each stream is joined to a fresh
connection to it; for private key files an in-memory agent (`sshkeys.py`) answers. Requests are
handled one at a time and those that would change the agent (add or remove keys, lock,
extensions) are refused here, so a build can use the keys but not alter them, as buildkit's
read-only agent does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path

import grpc

from buildwright._log import get_logger
from buildwright._pb import sshforward_pb2
from buildwright._values import valueclass
from buildwright.client.session.filesync import request_options
from buildwright.client.session.h2server import Metadata, Router, RpcAbort, ServerStream, unary_handler
from buildwright.client.session.sshkeys import KeyAgent
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


@valueclass
class SSHAgentSpec:
    """An `--ssh` value: agent `id` and what serves it: one agent socket, or private key files
    (none: `$SSH_AUTH_SOCK`)."""

    id: str = DEFAULT_ID
    paths: tuple[str, ...] = ()


def parse_ssh_spec(spec: str) -> SSHAgentSpec:
    """`default`, `id`, `id=/path/to/agent.sock` or `id=key[,key...]` (buildx's `--ssh` syntax)."""
    agent_id, sep, paths = spec.partition("=")
    path_list = tuple(p for p in paths.split(",") if p) if sep else ()
    return SSHAgentSpec(agent_id or DEFAULT_ID, path_list)


# What serves one agent id: a local agent's socket, or keys held in memory.
AgentSource = Path | KeyAgent


def resolve_agents(specs: Iterable[SSHAgentSpec], environ: Mapping[str, str] | None = None) -> dict[str, AgentSource]:
    """Agent id -> its socket or loaded keys, checked now so a typo fails before the build starts."""
    env_map = os.environ if environ is None else environ
    out: dict[str, AgentSource] = {}
    for spec in specs:
        if spec.id in out:
            raise BuildConfigError(f'duplicate agent ID "{spec.id}"')
        paths = spec.paths or (env_map.get("SSH_AUTH_SOCK", ""),)
        if not paths[0]:
            raise BuildConfigError(f"--ssh {spec.id}: invalid empty ssh agent socket (SSH_AUTH_SOCK is not set)")
        sockets: list[str] = []
        keys: list[Path] = []
        for path in paths:
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                raise BuildConfigError(f"--ssh {spec.id}: {path}: {exc.strerror}") from exc
            (sockets.append(path) if stat.S_ISSOCK(mode) else keys.append(Path(path)))
        if len(sockets) > 1:
            raise BuildConfigError(f"--ssh {spec.id}: only single socket allowed")
        if sockets and keys:
            raise BuildConfigError(f"--ssh {spec.id}: invalid combination of keys and sockets")
        try:
            out[spec.id] = Path(sockets[0]) if sockets else KeyAgent(keys)
        except BuildConfigError as exc:
            raise BuildConfigError(f"--ssh {spec.id}: {exc}") from exc
    return out


class SSHAgentAttachable:
    """Serves SSH agents by id, each backed by a local agent socket or by keys in memory."""

    def __init__(self, agents: Mapping[str, AgentSource]) -> None:
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
        source = self._agents.get(agent_id)
        if source is None:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"unset ssh forward key {agent_id}")
        if isinstance(source, KeyAgent):
            _log.debug("ssh_agent_keys", id=agent_id, keys=len(source.paths))
            keys = source

            async def ask_keys(request: bytes) -> bytes:
                return keys.answer(request)

            await _relay(stream, ask_keys)
            return
        try:
            reader, writer = await asyncio.open_unix_connection(str(source))
        except OSError as exc:
            raise RpcAbort(grpc.StatusCode.UNAVAILABLE, f"failed to connect to {source}: {exc.strerror}") from exc
        _log.debug("ssh_agent_forward", id=agent_id)

        async def ask_socket(request: bytes) -> bytes:
            writer.write(request)
            await writer.drain()
            header = await reader.readexactly(4)
            return header + await reader.readexactly(int.from_bytes(header, "big"))

        try:
            await _relay(stream, ask_socket)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def register(self, router: Router) -> None:
        router.add_unary(f"{_SERVICE}/CheckAgent", unary_handler(sshforward_pb2.CheckAgentRequest, self._check))
        router.add_stream(f"{_SERVICE}/ForwardAgent", self._forward)


async def _relay(stream: ServerStream, ask: Callable[[bytes], Awaitable[bytes]]) -> None:
    """Pass framed agent requests from the build to `ask`, one request and answer at a time."""
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
                answer = await ask(request)
            await stream.send(sshforward_pb2.BytesMessage(data=answer).SerializeToString())
