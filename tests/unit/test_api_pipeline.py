"""The pipeline API without an engine: Container recipes compiled to LLB and image config, local
directory naming, step results folded from events, and Engine's sharing of one client."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import buildwright
from buildwright._pb import ops_pb2 as pb
from buildwright.client import BuildRequest, GatewayContext, StepRecorder
from buildwright.client import BuildResult as EngineBuildResult
from buildwright.client.events import VertexCached, VertexCompleted, VertexFailed, VertexQueued, VertexStarted
from buildwright.errors import LLBError
from buildwright.frontend.resolver import ImageRequest, ResolvedImage
from buildwright.llb import Platform, digest_of
from buildwright.pipeline import Engine, LocalNames, PipelineCompiler

AMD64 = Platform("linux", "amd64")
BUSYBOX_CONFIG = json.dumps(
    {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "WorkingDir": ""},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
        "history": [{"created_by": "base"}],
    }
).encode()


class FakeResolver:
    def __init__(self) -> None:
        self.batches: list[list[ImageRequest]] = []

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        self.batches.append(list(requests))
        return [ResolvedImage(r.ref, "sha256:" + "a" * 64, BUSYBOX_CONFIG) for r in requests]


def _gateway(resolver: FakeResolver | None = None) -> GatewayContext:
    return GatewayContext(
        resolver=resolver or FakeResolver(),
        session_id="sess123",
        llb_caps=frozenset(),
        frontend_caps=frozenset(),
        worker_platforms=(AMD64,),
    )


def _ops(definition: Any) -> dict[str, Any]:
    return {digest_of(data): pb.Op.FromString(data) for data in definition.ops}


def _compile(ctr: buildwright.Container, resolver: FakeResolver | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    compiled = PipelineCompiler(_gateway(resolver), LocalNames.collect(ctr)).compile(ctr)
    return _ops(compiled.definition), json.loads(compiled.image_config)


def _of_kind(ops: dict[str, Any], kind: str) -> list[Any]:
    return [op for op in ops.values() if op.WhichOneof("op") == kind]


def test_exec_runs_with_the_state_settings_and_config_follows(tmp_path: Path) -> None:
    ctr = (
        buildwright.image("busybox")
        .with_workdir("/src")
        .with_env("A", "1")
        .with_exec(["sh", "-c", "make"])
        .with_user("1000")
        .with_cmd(["run"])
        .with_label("k", "v")
        .with_exposed_port(53, protocol="udp")
    )
    ops, config = _compile(ctr)
    (exec_op,) = _of_kind(ops, "exec")
    assert list(exec_op.exec.meta.args) == ["sh", "-c", "make"]
    assert exec_op.exec.meta.cwd == "/src"
    assert "A=1" in exec_op.exec.meta.env and "PATH=/bin" in exec_op.exec.meta.env
    assert exec_op.exec.meta.user == ""  # the user was set after the exec
    (source,) = _of_kind(ops, "source")
    assert source.source.identifier == "docker-image://docker.io/library/busybox:latest@sha256:" + "a" * 64
    cfg = config["config"]
    assert cfg["Env"] == ["PATH=/bin", "A=1"]
    assert cfg["WorkingDir"] == "/src" and cfg["User"] == "1000" and cfg["Cmd"] == ["run"]
    assert cfg["Labels"] == {"k": "v"} and cfg["ExposedPorts"] == {"53/udp": {}}
    assert config["history"] == [{"created_by": "base"}]  # the base's; the exporter adds the new layers'


def test_entrypoint_drops_inherited_cmd_and_without_env_unsets() -> None:
    ctr = buildwright.image("busybox").with_env("X", "1").without_env("X").with_entrypoint(["/app"])
    _, config = _compile(ctr)
    assert config["config"]["Entrypoint"] == ["/app"]
    assert "Cmd" not in config["config"]
    assert config["config"]["Env"] == ["PATH=/bin"]


def test_local_directories_are_named_stably_and_sent_through_the_session(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "other" / "app").mkdir(parents=True)
    one = buildwright.local(tmp_path / "app", exclude=["*.log"])
    two = buildwright.local(tmp_path / "other" / "app")
    ctr = buildwright.scratch().with_directory("/a", one).with_directory("/b", two)
    names = LocalNames.collect(ctr)
    assert sorted(names.dirs.values()) == sorted([(tmp_path / "app").resolve(), (tmp_path / "other/app").resolve()])
    assert len(set(names.dirs)) == 2 and all(n.startswith("app-") for n in names.dirs)
    assert LocalNames.collect(ctr).dirs == names.dirs  # the same names every time
    ops, _ = _compile(ctr)
    locals_ = {op.source.attrs["local.session"]: op for op in _of_kind(ops, "source")}
    assert set(locals_) == {"sess123"}
    identifiers = {op.source.identifier for op in _of_kind(ops, "source")}
    assert identifiers == {f"local://{name}" for name in names.dirs}
    excludes = [
        json.loads(op.source.attrs["local.excludepatterns"])
        for op in _of_kind(ops, "source")
        if "local.excludepatterns" in op.source.attrs
    ]
    assert excludes == [["*.log"]]
    copies = [a.copy for op in _of_kind(ops, "file") for a in op.file.actions]
    assert sorted(c.dest for c in copies) == ["/a", "/b"]
    assert all(c.dirCopyContents and c.createDestPath for c in copies)


def test_directory_of_another_container_and_one_resolution_batch() -> None:
    builder = buildwright.image("busybox").with_exec(["sh", "-c", "mkdir /out && echo x > /out/x"])
    final = buildwright.image("debian:bookworm").with_directory("/app", builder.directory("/out"))
    resolver = FakeResolver()
    ops, _ = _compile(final, resolver)
    assert [sorted(r.ref for r in batch) for batch in resolver.batches] == [
        ["docker.io/library/busybox:latest", "docker.io/library/debian:bookworm"]
    ]
    (file_op,) = _of_kind(ops, "file")
    (action,) = file_op.file.actions
    assert action.copy.src == "/out" and action.copy.dest == "/app"


def test_mounts_apply_to_later_execs_only_and_stay_out_of_the_image(tmp_path: Path) -> None:
    ctr = (
        buildwright.image("busybox")
        .with_exec(["true"])
        .with_mounted_cache("/cache", "k1")
        .with_mounted_directory("/in", buildwright.local(tmp_path))
        .with_exec(["ls", "/cache"], expect_exit_codes=[0, 1])
    )
    ops, _ = _compile(ctr)
    execs = {tuple(op.exec.meta.args): op.exec for op in _of_kind(ops, "exec")}
    assert [m.dest for m in execs[("true",)].mounts] == ["/"]
    later = execs[("ls", "/cache")]
    by_dest = {m.dest: m for m in later.mounts}
    assert set(by_dest) == {"/", "/cache", "/in"}
    assert by_dest["/cache"].cacheOpt.ID == "k1" and by_dest["/in"].readonly
    assert list(later.meta.validExitCodes) == [0, 1]


def test_with_applies_a_reusable_step_and_values_stay_immutable() -> None:
    base = buildwright.image("busybox")

    def tools(ctr: buildwright.Container) -> buildwright.Container:
        return ctr.with_env("TOOLS", "1")

    derived = base.with_(tools)
    assert derived is not base and derived.parent is base
    _, config = _compile(base)
    assert config["config"]["Env"] == ["PATH=/bin"]
    _, config = _compile(derived)
    assert config["config"]["Env"] == ["PATH=/bin", "TOOLS=1"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: buildwright.image("busybox").with_exec("make"), "argument list"),  # type: ignore[arg-type]
        (lambda: buildwright.image("busybox").with_exec([]), "at least one"),
        (lambda: buildwright.image("busybox").with_env("A=B", "1"), "invalid environment"),
        (lambda: buildwright.image("busybox").with_(lambda c: "x"), "not a Container"),  # type: ignore[arg-type,return-value]
        (lambda: buildwright.image("busybox").with_directory("/x", "/tmp"), "expected a Directory"),  # type: ignore[arg-type]
        (lambda: buildwright.image("Bad Ref!"), "reference"),
        (lambda: buildwright.local("/definitely/not/here"), "not a directory"),
        (lambda: buildwright.scratch().with_exposed_port(1, protocol="icmp"), "protocol"),
    ],
)
def test_misuse_fails_early_with_a_clear_error(make: Callable[[], object], message: str) -> None:
    with pytest.raises(LLBError, match=message):
        make()


def _at(seconds: float) -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def test_step_recorder_folds_events_into_steps() -> None:
    recorder = StepRecorder()
    for event in (
        VertexQueued("d1", "[1/2] RUN a"),
        VertexQueued("d2", "[2/2] RUN b"),
        VertexStarted("d1", "[1/2] RUN a", _at(0)),
        VertexCompleted("d1", "[1/2] RUN a", _at(0), _at(2.5)),
        VertexCached("d1", "[1/2] RUN a"),  # a late cache report keeps the timings
        VertexStarted("d2", "[2/2] RUN b", _at(3)),
        VertexFailed("d2", "[2/2] RUN b", "exit code: 1", _at(4)),
    ):
        recorder.feed(event)
    first, second = recorder.steps()
    assert (first.name, first.cached, first.duration) == ("[1/2] RUN a", True, 2.5)
    assert (second.name, second.cached, second.error, second.duration) == ("[2/2] RUN b", False, "exit code: 1", 1.0)


class FakeClient:
    """Stands in for BuildkitClient: runs compile on a fake gateway, counting overlap. With
    `together`, each build waits until that many run at once (so overlap never depends on timing)."""

    def __init__(self, together: int = 1) -> None:
        self._together = threading.Barrier(together, timeout=30) if together > 1 else None
        self.running = 0
        self.most = 0
        self.calls: list[BuildRequest] = []
        self.closed = False
        self._lock = threading.Lock()

    def build(self, request: BuildRequest, *, compile: Callable[[GatewayContext], Any], on_event: Any) -> Any:
        with self._lock:
            self.calls.append(request)
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            compiled = compile(_gateway())
            if self._together is not None:
                self._together.wait()
            if on_event is not None:
                on_event(VertexQueued("d", "step"))
            digest = "sha256:" + digest_of(compiled.definition.ops[-1]).split(":")[1]
            return EngineBuildResult("ref", {"containerimage.digest": digest})
        finally:
            with self._lock:
                self.running -= 1

    def close(self) -> None:
        self.closed = True


def test_engine_runs_builds_concurrently_on_its_one_client(tmp_path: Path) -> None:
    client = FakeClient(together=2)
    seen: list[tuple[int, str]] = []
    engine = Engine(buildwright.EngineOptions(), client=client, max_parallel=2)  # type: ignore[arg-type]
    with engine:
        results = engine.build_many(
            [
                buildwright.BuildSpec(buildwright.image("busybox").with_exec(["a"]), tags=["a:1"]),
                buildwright.image("busybox").with_exec(["b"]),
            ],
            on_event=lambda index, event: seen.append((index, type(event).__name__)),
        )
    assert client.closed and client.most == 2
    assert len(client.calls) == 2 and results[0].image_id != results[1].image_id
    # The two builds reach the client in either order.
    assert {"name": "a:1"} in [call.exports[0].attrs for call in client.calls if call.exports]
    assert sorted(seen) == [(0, "VertexQueued"), (1, "VertexQueued")]
    with pytest.raises(buildwright.EngineError, match="closed"):
        engine.submit(buildwright.image("busybox"))


def test_engine_build_refuses_another_engine() -> None:
    engine = Engine(buildwright.EngineOptions(), client=FakeClient())  # type: ignore[arg-type]
    with engine, pytest.raises(buildwright.BuildConfigError, match="engine="):
        engine.build(buildwright.image("busybox"), engine=buildwright.EngineOptions())


def test_leaving_on_an_error_cancels_builds_not_started() -> None:
    client = FakeClient()
    futures = []
    engine = Engine(buildwright.EngineOptions(), client=client, max_parallel=1)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="stop"), engine as eng:
        futures = [eng.submit(buildwright.image("busybox").with_exec([str(i)])) for i in range(3)]
        raise RuntimeError("stop")
    assert futures[0].result().image_id
    assert futures[2].cancelled()
    assert client.closed and len(client.calls) < 3
