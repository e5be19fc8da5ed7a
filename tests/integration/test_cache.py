"""`--cache-to` / `--cache-from` on the engine: a cache exported from one engine lets a second,
empty engine skip the steps, for local directories, registries and inline cache.

The second engine is a private dockerd of its own (scripts/engine.sh under other state, socket,
bridge and namespace), started for this module and stopped at its end. Its busybox is loaded
from the first engine, so both pin the same base image and the steps have the same cache keys.
Before each import the second engine's build cache is pruned, and every Dockerfile carries a
fresh token, so a CACHED step there can only come from the imported cache.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

import buildwright
from buildwright.client.events import BuildEvent, VertexCached, VertexCompleted
from tests.integration.reference import ENGINE_SCRIPT, EngineInfo, run_image
from tests.integration.registry import Registry, start_registry

_SECOND_ENGINE = {
    "BUILDWRIGHT_ENGINE_STATE": "/var/lib/buildwright-engine-cachetest",
    "BUILDWRIGHT_ENGINE_RUN": "/run/bw-cachetest",
    "BUILDWRIGHT_ENGINE_SOCK": "/run/bw-cachetest/docker.sock",
    "BUILDWRIGHT_ENGINE_BRIDGE": "bwc0",
    "BUILDWRIGHT_ENGINE_NAMESPACE": "bw-cachetest",
}
_TIMEOUT = 600


def _script(env: Mapping[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ENGINE_SCRIPT), command], env=dict(env), capture_output=True, text=True, check=False
    )


def _engine_from(env: Mapping[str, str]) -> EngineInfo:
    printed = _script(env, "env")
    assert printed.returncode == 0, printed.stderr
    exported = dict(re.findall(r"^export (\w+)=(.*)$", printed.stdout, re.MULTILINE))
    merged = {**env, **exported}
    return EngineInfo(
        docker_host=exported["DOCKER_HOST"],
        docker_config=Path(exported["DOCKER_CONFIG"]),
        sock=Path(exported["BUILDWRIGHT_ENGINE_SOCK"]),
        docker_cli=exported["BUILDWRIGHT_DOCKER_CLI"],
        env=MappingProxyType(merged),
    )


@pytest.fixture(scope="module")
def second_engine(engine: EngineInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineInfo]:
    """An empty second engine with the first engine's busybox; stopped (only it) at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUILDWRIGHT_ENGINE_", "DOCKER_"))}
    env.update(_SECOND_ENGINE)
    assert Path(_SECOND_ENGINE["BUILDWRIGHT_ENGINE_SOCK"]) != engine.sock  # never touch the shared engine
    started = _script(env, "up")
    if started.returncode != 0:
        pytest.fail(f"the second engine did not start:\n{started.stderr[-3000:]}", pytrace=False)
    try:
        second = _engine_from(env)
        assert second.sock != engine.sock
        want = engine.docker("image", "inspect", "--format", "{{.Id}}", "busybox:latest").stdout.strip()
        have = second.docker("image", "inspect", "--format", "{{.Id}}", "busybox:latest", check=False)
        if have.stdout.strip() != want:
            archive = tmp_path_factory.mktemp("busybox") / "busybox.tar"
            engine.docker("save", "-o", str(archive), "busybox:latest")
            second.docker("rmi", "-f", "busybox:latest", check=False)
            second.docker("load", "-i", str(archive))
        yield second
    finally:
        stopped = _script(env, "down")
        assert stopped.returncode == 0, stopped.stderr


def _empty(engine: EngineInfo) -> None:
    engine.docker("buildx", "prune", "--all", "--force")


def _context(folder: Path, *, multistage: bool = True) -> tuple[Path, str]:
    token = uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    if multistage:
        dockerfile = (
            "FROM busybox:latest AS build\n"
            f"RUN echo {token} > /token\n"
            "RUN cat /token /token > /twice\n"
            "FROM busybox:latest\n"
            "COPY --from=build /twice /twice\n"
            "RUN wc -l < /twice > /lines\n"
        )
    else:
        dockerfile = f"FROM busybox:latest\nRUN echo {token} > /token\nRUN cat /token /token > /twice\n"
    (folder / "Dockerfile").write_text(dockerfile)
    return folder, token


def _cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", "build", "--progress", "plain", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )


def _buildx(engine: EngineInfo, *args: str) -> subprocess.CompletedProcess[str]:
    command = [engine.docker_cli, "buildx", "build", "--progress=plain", "--provenance=false", *args]
    return subprocess.run(command, env=dict(engine.env), capture_output=True, text=True, timeout=_TIMEOUT, check=False)


def _build_recording(engine: EngineInfo, context: Path, **kwargs: object) -> tuple[set[str], set[str]]:
    """Build with buildwright; returns the names of the steps that were CACHED and that ran."""
    cached: set[str] = set()
    ran: set[str] = set()

    def record(event: BuildEvent) -> None:
        if isinstance(event, VertexCached):
            cached.add(event.name)
        elif isinstance(event, VertexCompleted):
            ran.add(event.name)

    buildwright.build(
        context,
        engine=buildwright.EngineOptions(env=engine.env),
        on_event=record,
        **kwargs,  # type: ignore[arg-type]
    )
    return cached, ran - cached


def _assert_steps_skipped(cached: set[str], ran: set[str], count: int) -> None:
    steps = {name for name in cached | ran if re.match(r"\[([\w.-]+ )?\d+/\d+\] (RUN|COPY)", name)}
    assert len(steps) == count, f"expected {count} RUN/COPY steps, saw {sorted(steps)}"
    assert steps <= cached, f"steps that ran instead of coming from the imported cache: {sorted(steps - cached)}"


def _cache_content(manifest: Mapping[str, Any], config: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """What a cache manifest holds that must match: its layer blobs and the records that carry layers.

    The engine sometimes lists an extra layerless root record (the base image's) and sometimes not,
    whoever asked for the export, so whole-manifest digests are not compared.
    """
    blobs = [layer["blob"] for layer in config["layers"]]
    records = sorted(
        (record["digest"], blobs[layer["layer"]]) for record in config["records"] for layer in record.get("layers", ())
    )
    return sorted(layer["digest"] for layer in manifest["layers"]), records


def _local_cache_content(directory: Path) -> tuple[list[str], list[tuple[str, str]]]:
    blobs = directory / "blobs" / "sha256"
    manifest = json.loads((blobs / _index_digest(directory).removeprefix("sha256:")).read_bytes())
    config = json.loads((blobs / manifest["config"]["digest"].removeprefix("sha256:")).read_bytes())
    return _cache_content(manifest, config)


def _registry_cache_content(registry: Registry, repository: str, tag: str) -> tuple[list[str], list[tuple[str, str]]]:
    _, manifest = registry.manifest(repository, tag)
    return _cache_content(manifest, json.loads(registry.blob(repository, manifest["config"]["digest"])))


def _index_digest(directory: Path, tag: str = "latest") -> str:
    index = json.loads((directory / "index.json").read_text())
    (entry,) = [
        m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
    ]
    digest: str = entry["digest"]
    assert (directory / "blobs" / "sha256" / digest.removeprefix("sha256:")).is_file()
    return digest


def test_local_cache_lets_an_empty_engine_skip_the_steps(
    engine: EngineInfo, second_engine: EngineInfo, tmp_path: Path
) -> None:
    context, token = _context(tmp_path / "ctx")
    cache = tmp_path / "cache"
    exported = _cli(engine.env, "--cache-to", f"type=local,dest={cache},mode=max", str(context))
    assert exported.returncode == 0, exported.stderr[-3000:]
    assert "exporting cache to client directory" in exported.stderr
    _index_digest(cache)

    _empty(second_engine)
    tag = f"bw-cache/local:{token[:12]}"
    cached, ran = _build_recording(second_engine, context, tags=[tag], cache_from=[f"type=local,src={cache}"])
    _assert_steps_skipped(cached, ran, 4)
    assert run_image(second_engine, tag, "cat", "/lines").strip() == "2"


def test_local_cache_export_is_the_one_buildx_writes_and_each_imports_the_other(
    engine: EngineInfo, second_engine: EngineInfo, tmp_path: Path
) -> None:
    context, _ = _context(tmp_path / "ctx")
    first = _cli(engine.env, "--cache-to", f"type=local,dest={tmp_path / 'first'},mode=max", str(context))
    assert first.returncode == 0, first.stderr[-3000:]
    # Now every step is cached on the engine, so both exports describe the same cache records.
    again = _cli(engine.env, "--cache-to", f"type=local,dest={tmp_path / 'bw'},mode=max", str(context))
    assert again.returncode == 0, again.stderr[-3000:]
    reference = _buildx(engine, "--cache-to", f"type=local,dest={tmp_path / 'bx'},mode=max", str(context))
    assert reference.returncode == 0, reference.stderr[-3000:]
    layers, records = _local_cache_content(tmp_path / "bw")
    assert (layers, records) == _local_cache_content(tmp_path / "bx")
    assert len(records) == 4  # one record with a layer per RUN/COPY step

    _empty(second_engine)
    cached, ran = _build_recording(second_engine, context, cache_from=[f"type=local,src={tmp_path / 'bx'}"])
    _assert_steps_skipped(cached, ran, 4)

    _empty(second_engine)
    by_buildx = _buildx(second_engine, "--cache-from", f"type=local,src={tmp_path / 'first'}", str(context))
    assert by_buildx.returncode == 0, by_buildx.stderr[-3000:]
    assert len(re.findall(r"^#\d+ CACHED$", by_buildx.stderr, re.MULTILINE)) >= 4, by_buildx.stderr[-3000:]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with start_registry(tmp_path_factory.mktemp("cache-registry")) as running:
        yield running


def test_registry_cache_round_trip_and_same_manifest_as_buildx(
    engine: EngineInfo, second_engine: EngineInfo, registry: Registry, tmp_path: Path
) -> None:
    context, token = _context(tmp_path / "ctx")
    repository = f"bw-cache/reg-{token[:8]}"
    ref = f"{registry.host}/{repository}"
    exported = _cli(engine.env, "--cache-to", f"type=registry,ref={ref}:cache,mode=max", str(context))
    assert exported.returncode == 0, exported.stderr[-3000:]
    assert "exporting cache to registry" in exported.stderr

    _empty(second_engine)
    # A bare reference is a registry cache source.
    cached, ran = _build_recording(second_engine, context, cache_from=[f"{ref}:cache"])
    _assert_steps_skipped(cached, ran, 4)

    again = _cli(engine.env, "--cache-to", f"type=registry,ref={ref}:bw,mode=max", str(context))
    assert again.returncode == 0, again.stderr[-3000:]
    reference = _buildx(engine, "--cache-to", f"type=registry,ref={ref}:bx,mode=max", str(context))
    assert reference.returncode == 0, reference.stderr[-3000:]
    layers, records = _registry_cache_content(registry, repository, "bw")
    assert (layers, records) == _registry_cache_content(registry, repository, "bx")
    assert len(records) == 4


@pytest.mark.parametrize(
    "ask", [("--cache-to", "type=inline"), ("--build-arg", "BUILDKIT_INLINE_CACHE=1")], ids=["flag", "build-arg"]
)
def test_inline_cache_in_a_pushed_image(
    engine: EngineInfo, second_engine: EngineInfo, registry: Registry, tmp_path: Path, ask: tuple[str, str]
) -> None:
    context, token = _context(tmp_path / "ctx", multistage=False)
    repository = f"bw-cache/inline-{token[:8]}"
    image = f"{registry.host}/{repository}:1"
    pushed = _cli(engine.env, *ask, "--push", "-t", image, str(context))
    assert pushed.returncode == 0, pushed.stderr[-3000:]
    _, manifest = registry.manifest(repository, "1")
    config = json.loads(registry.blob(repository, manifest["config"]["digest"]))
    assert "moby.buildkit.cache.v0" in config  # the cache metadata rides in the image config

    _empty(second_engine)
    cached, ran = _build_recording(second_engine, context, cache_from=[image])
    _assert_steps_skipped(cached, ran, 2)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("type=nosuch", 'the engine refused the build: unknown cache exporter: "nosuch"'),
        ("type=local,mode=max", "local cache exporter requires dest"),
        ("type=registry", "registry cache exporter requires ref"),
        ("mode=max", 'type required for "mode=max"'),
    ],
)
def test_bad_cache_exports_fail_with_one_clear_line(
    engine: EngineInfo, tmp_path: Path, spec: str, message: str
) -> None:
    context, _ = _context(tmp_path / "ctx", multistage=False)
    done = _cli(engine.env, "--cache-to", spec, str(context))
    # A spec that cannot be read is a usage error (2); one the engine or the plan refuses, 1.
    assert done.returncode == (2 if spec == "mode=max" else 1), done.stderr[-2000:]
    assert f"ERROR: {message}" in done.stderr
    assert "Traceback" not in done.stderr
