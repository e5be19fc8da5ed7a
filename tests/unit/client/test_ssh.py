"""SSH agent forwarding: spec parsing, socket checks, and the read-only relay over the session server."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import grpc
import grpc.aio
import pytest

from buildwright._pb import sshforward_pb2, sshforward_pb2_grpc
from buildwright.client.session.ssh import SSHAgentAttachable, SSHAgentSpec, parse_ssh_spec, resolve_agents
from buildwright.errors import BuildConfigError
from tests.unit.client.test_h2server import _serve

_IDENTITIES = bytes([12]) + (0).to_bytes(4, "big")


def _frame(body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + body


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("default", SSHAgentSpec("default")),
        ("", SSHAgentSpec("default")),
        ("deploy=/run/a.sock", SSHAgentSpec("deploy", ("/run/a.sock",))),
        ("deploy=", SSHAgentSpec("deploy")),
        ("deploy=/k/one,/k/two", SSHAgentSpec("deploy", ("/k/one", "/k/two"))),
    ],
)
def test_parse_ssh_spec(spec: str, expected: SSHAgentSpec) -> None:
    assert parse_ssh_spec(spec) == expected


def test_resolve_agents_checks_sockets(tmp_path: Path) -> None:
    sock_path = tmp_path / "agent.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(sock_path))
    try:
        assert resolve_agents([SSHAgentSpec()], {"SSH_AUTH_SOCK": str(sock_path)}) == {"default": sock_path}
        with pytest.raises(BuildConfigError, match="SSH_AUTH_SOCK is not set"):
            resolve_agents([SSHAgentSpec()], {})
        with pytest.raises(BuildConfigError, match="duplicate agent ID"):
            resolve_agents([SSHAgentSpec("a", (str(sock_path),)), SSHAgentSpec("a", (str(sock_path),))], {})
        key = tmp_path / "id_ed25519"
        key.write_text("not a socket")
        with pytest.raises(BuildConfigError, match=r"^--ssh k: failed to parse .*id_ed25519: ssh: no key found$"):
            resolve_agents([SSHAgentSpec("k", (str(key),))], {})
        with pytest.raises(BuildConfigError, match="No such file"):
            resolve_agents([SSHAgentSpec("m", (str(tmp_path / "missing"),))], {})
        with pytest.raises(BuildConfigError, match="only single socket allowed"):
            resolve_agents([SSHAgentSpec("x", (str(sock_path), str(sock_path)))], {})
        with pytest.raises(BuildConfigError, match="invalid combination of keys and sockets"):
            resolve_agents([SSHAgentSpec("x", (str(key), str(sock_path)))], {})
    finally:
        listener.close()


def test_agent_is_relayed_read_only(tmp_path: Path) -> None:
    agent_sock = tmp_path / "agent.sock"
    seen: list[int] = []

    async def agent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readexactly(4)
            except asyncio.IncompleteReadError:
                break
            body = await reader.readexactly(int.from_bytes(head, "big"))
            seen.append(body[0])
            writer.write(_frame(_IDENTITIES if body[0] == 11 else bytes([6])))
            await writer.drain()
        writer.close()

    async def body(channel: grpc.aio.Channel) -> None:
        server = await asyncio.start_unix_server(agent, str(agent_sock))
        try:
            stub = sshforward_pb2_grpc.SSHStub(channel)
            await stub.CheckAgent(sshforward_pb2.CheckAgentRequest(ID=""))
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await stub.CheckAgent(sshforward_pb2.CheckAgentRequest(ID="other"))
            assert info.value.code() is grpc.StatusCode.NOT_FOUND

            call = stub.ForwardAgent(metadata=(("buildkit.ssh.id", "default"),))
            # One identities request split over two messages, then a remove-all request.
            request = _frame(bytes([11]))
            await call.write(sshforward_pb2.BytesMessage(data=request[:2]))
            await call.write(sshforward_pb2.BytesMessage(data=request[2:]))
            answer = await call.read()
            assert answer.data == _frame(_IDENTITIES)
            await call.write(sshforward_pb2.BytesMessage(data=_frame(bytes([19]))))
            refused = await call.read()
            assert refused.data == _frame(bytes([5]))
            await call.done_writing()
            assert await call.read() is grpc.aio.EOF
        finally:
            server.close()

    _serve(tmp_path, [SSHAgentAttachable({"default": agent_sock})], body)
    assert seen == [11]  # the remove-all request never reached the agent
