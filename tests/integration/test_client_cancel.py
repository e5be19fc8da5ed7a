"""Ctrl-C during a build cancels the build on the engine, not only the local call."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import threading
import time
import uuid

import pytest

from buildwright._pb import ops_pb2
from buildwright.client import BuildkitClient, BuildRequest, GatewayContext
from tests.integration.reference import EngineInfo


def _definition(marker: str) -> ops_pb2.Definition:
    platform = ops_pb2.Platform(OS="linux", Architecture="amd64")
    image = ops_pb2.Op(source=ops_pb2.SourceOp(identifier="docker-image://docker.io/library/busybox:latest"))
    image.platform.CopyFrom(platform)
    image_bytes = image.SerializeToString(deterministic=True)
    run = ops_pb2.Op(inputs=[ops_pb2.Input(digest="sha256:" + hashlib.sha256(image_bytes).hexdigest())])
    run.platform.CopyFrom(platform)
    run.exec.meta.CopyFrom(ops_pb2.Meta(args=["/bin/sleep", marker], env=["PATH=/bin"], cwd="/"))
    run.exec.mounts.add(input=0, dest="/", output=0)
    run_bytes = run.SerializeToString(deterministic=True)
    final = ops_pb2.Op(inputs=[ops_pb2.Input(digest="sha256:" + hashlib.sha256(run_bytes).hexdigest())])
    definition = ops_pb2.Definition()
    getattr(definition, "def").extend([image_bytes, run_bytes, final.SerializeToString(deterministic=True)])
    return definition


def _sleeping(marker: str) -> bool:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return any(line.strip() == f"/bin/sleep {marker}" for line in ps.splitlines())


class _Compiled:
    def __init__(self, definition: ops_pb2.Definition) -> None:
        self.definition = definition
        self.image_config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()


def test_keyboard_interrupt_cancels_engine_build(engine: EngineInfo) -> None:
    # A unique sleep length identifies this build's process on the host.
    marker = str(600 + int(uuid.uuid4().hex[:4], 16) % 300)

    def compile_fn(gw: GatewayContext) -> _Compiled:
        return _Compiled(_definition(marker))

    def interrupt_when_running() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _sleeping(marker):
            time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=interrupt_when_running, daemon=True)
    started = time.monotonic()
    with BuildkitClient.connect(addr=f"docker://{engine.sock}") as client:
        watcher.start()
        with pytest.raises(KeyboardInterrupt):
            client.build(BuildRequest(), compile=compile_fn)
    assert time.monotonic() - started < 60
    deadline = time.monotonic() + 20
    while _sleeping(marker) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _sleeping(marker), "the engine kept running the cancelled step"
