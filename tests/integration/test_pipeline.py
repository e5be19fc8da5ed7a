"""The Python API for pipelines on the engine: concurrent builds on one connection, typed step
results, and images defined in Python (no Dockerfile) whose files and config are checked."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

import buildwright
from buildwright.client import BuildkitClient
from buildwright.client.events import BuildEvent, VertexCompleted
from tests.integration.reference import EngineInfo, run_image, snapshot_image

TWO_TARGETS = """\
FROM busybox:latest AS base
ARG NONCE
WORKDIR /work

FROM base AS left
RUN sleep 2 && echo "left $NONCE" > /work/out.txt
CMD ["cat", "/work/out.txt"]

FROM base AS right
RUN sleep 2 && echo "right $NONCE" > /work/out.txt
CMD ["cat", "/work/out.txt"]
"""


def _options(engine: EngineInfo) -> buildwright.EngineOptions:
    return buildwright.EngineOptions(env=engine.env)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _config(engine: EngineInfo, tag: str) -> dict[str, object]:
    inspected = json.loads(engine.docker("image", "inspect", tag).stdout)
    config = inspected[0]["Config"]
    assert isinstance(config, dict)
    return config


def test_two_targets_build_concurrently_on_one_connection(
    engine: EngineInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Dockerfile").write_text(TWO_TARGETS)
    nonce = uuid.uuid4().hex
    connects: list[object] = []
    real_connect = BuildkitClient.connect

    def counting_connect(*args: object, **kwargs: object) -> object:
        connects.append(args)
        return real_connect(*args, **kwargs)  # type: ignore[arg-type]

    # Every build must go through the engine's one client; api.build must not open its own.
    monkeypatch.setattr(BuildkitClient, "connect", counting_connect)
    events: dict[int, list[BuildEvent]] = defaultdict(list)
    lock = threading.Lock()

    def on_event(index: int, event: BuildEvent) -> None:
        with lock:
            events[index].append(event)

    with buildwright.connect(_options(engine)) as eng:
        left, right = eng.build_many(
            [
                buildwright.BuildSpec(
                    tmp_path, target="left", tags=["bw-pipeline/left:1"], build_args={"NONCE": nonce}
                ),
                buildwright.BuildSpec(
                    tmp_path, target="right", tags=["bw-pipeline/right:1"], build_args={"NONCE": nonce}
                ),
            ],
            on_event=on_event,
        )
    assert len(connects) == 1

    assert run_image(engine, "bw-pipeline/left:1") == f"left {nonce}\n"
    assert run_image(engine, "bw-pipeline/right:1") == f"right {nonce}\n"
    assert left.image_id and right.image_id and left.image_id != right.image_id
    assert left.stages is not None and left.duration > 0

    # Typed steps: the RUN of each target ran (not cached) and has timings; they overlapped in time.
    runs = []
    for result, name in ((left, "left"), (right, "right")):
        (step,) = [s for s in result.steps if "RUN" in s.name]
        assert f'echo "{name}' in step.name and not step.cached
        assert step.started is not None and step.completed is not None
        assert step.duration is not None and step.duration >= 2
        runs.append(step)
    first, second = sorted(runs, key=lambda s: s.started)  # type: ignore[arg-type,return-value]
    assert second.started is not None and first.completed is not None
    assert second.started < first.completed, "the two builds ran one after the other"

    # Each build's events arrived, tagged with its position, and only its own steps completed.
    for index, result in ((0, left), (1, right)):
        completed = {e.digest for e in events[index] if isinstance(e, VertexCompleted)}
        run = next(s for s in result.steps if "RUN" in s.name)
        assert run.digest in completed
    left_run = next(s for s in left.steps if "RUN" in s.name)
    assert left_run.digest not in {e.digest for e in events[1] if isinstance(e, VertexCompleted)}


def test_a_rebuild_reports_cached_steps(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(TWO_TARGETS)
    args = {"NONCE": uuid.uuid4().hex}
    with buildwright.connect(_options(engine)) as eng:
        first = eng.build(tmp_path, target="left", tags=["bw-pipeline/cached:1"], build_args=args)
        again = eng.submit(tmp_path, target="left", tags=["bw-pipeline/cached:1"], build_args=args).result()
    first_run = next(s for s in first.steps if "RUN" in s.name)
    again_run = next(s for s in again.steps if "RUN" in s.name)
    assert not first_run.cached and again_run.cached
    assert again_run in again.cached_steps
    assert again.image_id == first.image_id


def test_pipeline_builds_an_image_with_files_and_config(engine: EngineInfo, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.sh").write_text("echo built\n")
    (app / "skip.log").write_text("not sent\n")
    nonce = uuid.uuid4().hex

    def with_tools(ctr: buildwright.Container) -> buildwright.Container:
        return ctr.with_env("TOOLS", "yes").with_new_file("/etc/tools.conf", f"nonce={nonce}\n", permissions=0o600)

    builder = (
        buildwright.image("busybox:latest")
        .with_workdir("/src")
        .with_directory("/src", buildwright.local(app, exclude=["*.log"]))
        # The nonce makes the step run (a cached step may be reported without a completion time).
        .with_exec(
            ["sh", "-c", f": {nonce}; mkdir -p /out && sh main.sh > /out/result.txt && ls /src > /out/listing.txt"]
        )
    )
    final = (
        buildwright.image("busybox:latest")
        .with_(with_tools)
        .with_directory("/app", builder.directory("/out"))
        .with_file("/app/main.sh", buildwright.local(app), "main.sh", permissions=0o755)
        .with_workdir("/app")
        .with_env("GREETING", "hi")
        .with_user("1000")
        .with_entrypoint(["sh", "-c"])
        .with_cmd(["cat result.txt"])
        .with_label("org.example.pipeline", "yes")
        .with_exposed_port(8080)
    )
    events: list[BuildEvent] = []
    with buildwright.connect(_options(engine)) as eng:
        result = final.build(tags=["bw-pipeline/image:1"], engine=eng, on_event=events.append)

    assert result.image_id and result.stages is None
    assert any(isinstance(e, VertexCompleted) for e in events)
    exec_step = next(s for s in result.steps if s.name.startswith(f"exec sh -c : {nonce}"))
    assert not exec_step.cached and exec_step.duration is not None

    files = snapshot_image(engine, "bw-pipeline/image:1").files
    assert files["app/result.txt"].digest == _sha256(b"built\n")
    assert files["app/listing.txt"].digest == _sha256(b"main.sh\n")  # the excluded file never reached the engine
    assert files["app/main.sh"].mode & 0o777 == 0o755
    assert files["etc/tools.conf"].digest == _sha256(f"nonce={nonce}\n".encode())
    assert files["etc/tools.conf"].mode & 0o777 == 0o600

    config = _config(engine, "bw-pipeline/image:1")
    assert config["Entrypoint"] == ["sh", "-c"]
    assert config["Cmd"] == ["cat result.txt"]
    assert config["WorkingDir"] == "/app"
    assert config["User"] == "1000"
    assert config["Labels"] == {"org.example.pipeline": "yes"}
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    env = config["Env"]
    assert isinstance(env, list) and "GREETING=hi" in env and "TOOLS=yes" in env
    assert any(item.startswith("PATH=") for item in env)  # inherited from busybox's config
    assert run_image(engine, "bw-pipeline/image:1") == "built\n"


def test_pipeline_exec_failure_is_a_build_failure(engine: EngineInfo) -> None:
    ctr = buildwright.image("busybox:latest").with_exec(["sh", "-c", f"echo boom-{uuid.uuid4().hex}; exit 3"])
    with pytest.raises(buildwright.BuildFailed) as info:
        ctr.build(engine=_options(engine))
    assert info.value.exit_code == 3
    assert any("boom-" in line for line in info.value.log_tail)


def test_cache_mount_and_expected_exit_codes(engine: EngineInfo) -> None:
    key = f"bw-pipeline-{uuid.uuid4().hex}"
    ctr = (
        buildwright.image("busybox:latest")
        .with_mounted_cache("/cache", key)
        .with_exec(["sh", "-c", "echo kept > /cache/f"])
        .with_exec(["sh", "-c", "cp /cache/f /copied; exit 5"], expect_exit_codes=[5])
    )
    ctr.build(tags=["bw-pipeline/cache:1"], engine=_options(engine))
    files = snapshot_image(engine, "bw-pipeline/cache:1").files
    assert files["copied"].digest == _sha256(b"kept\n")
    assert "cache/f" not in files


def test_export_writes_the_container_filesystem_to_a_directory(engine: EngineInfo, tmp_path: Path) -> None:
    nonce = uuid.uuid4().hex
    ctr = (
        buildwright.scratch()
        .with_new_file("/hello.txt", f"hi {nonce}\n")
        .with_directory(
            "/nested",
            buildwright.image("busybox:latest").with_exec(["sh", "-c", "mkdir /d && echo x > /d/x"]).directory("/d"),
        )
    )
    with buildwright.connect(_options(engine)) as eng:
        result = ctr.export(tmp_path / "out", engine=eng)
    assert (tmp_path / "out" / "hello.txt").read_text() == f"hi {nonce}\n"
    assert (tmp_path / "out" / "nested" / "x").read_text() == "x\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["hello.txt", "nested"]
    assert result.steps
