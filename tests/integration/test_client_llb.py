"""The client driving a graph built with buildwright.llb (not hand-made ops): the layers fit together."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from buildwright import llb
from buildwright.client import BuildkitClient, BuildRequest, ExportSpec, GatewayContext
from buildwright.frontend.resolver import ImageRequest
from tests.integration.reference import EngineInfo, run_image


@dataclass(frozen=True)
class _Compiled:
    definition: llb.Definition
    image_config: bytes


def test_llb_state_graph_builds(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "greeting").write_text("hi")
    tag = f"bw-client-llb:{uuid.uuid4().hex[:8]}"
    platform = llb.Platform("linux", "amd64")

    def compile_fn(gw: GatewayContext) -> _Compiled:
        [base] = gw.resolver.resolve_image_configs([ImageRequest("docker.io/library/busybox:latest", platform)])
        context = llb.local("context", session_id=gw.session_id, shared_key_hint="context")
        options = llb.CopyOptions(copy_dir_contents_only=True, create_dest_path=True, allow_wildcard=True)
        state = llb.image("docker.io/library/busybox:latest", platform=platform).file(
            llb.copy(context, "/", "/app/", options)
        )
        built = state.run(["/bin/sh", "-c", "cat /app/greeting > /app/copy && echo ' there' >> /app/copy"]).root()
        config = json.loads(base.config)
        return _Compiled(built.marshal(platform=platform, caps=gw.llb_caps), json.dumps(config).encode())

    with BuildkitClient.connect(addr=f"docker://{engine.sock}") as client:
        client.build(
            BuildRequest(local_dirs={"context": tmp_path}, exports=(ExportSpec.engine_image([tag]),)),
            compile=compile_fn,
        )
    try:
        assert run_image(engine, tag, "cat", "/app/copy") == "hi there\n"
    finally:
        engine.docker("image", "rm", "-f", tag, check=False)


def test_compile_only_resolves_without_building(engine: EngineInfo) -> None:
    def compile_fn(gw: GatewayContext) -> str:
        [base] = gw.resolver.resolve_image_configs([ImageRequest("docker.io/library/busybox:latest")])
        assert json.loads(base.config)["rootfs"]["type"] == "layers"
        return base.digest

    with BuildkitClient.connect(addr=f"docker://{engine.sock}") as client:
        digest = client.compile(compile_fn)
    assert digest.startswith("sha256:")
