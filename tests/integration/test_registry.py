"""Registries: push (`--push`), pull (`FROM`, `--pull`) and credentials from the docker config.

Two real registries run on 127.0.0.1 (Debian's docker-registry): one open, one behind basic auth.
The engine treats 127.0.0.0/8 registries as insecure (plain HTTP) by default. Credentials come
from a private docker config folder: `auths` entries or a credential helper program
(tests/integration/credential_helper/).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import buildwright
from buildwright.errors import BuildFailed, DockerfileError
from tests.integration.reference import EngineInfo, run_image
from tests.integration.registry import (
    HELPER_DIR,
    TEST_PASSWORD,
    TEST_USER,
    Registry,
    basic_auth,
    docker_config_env,
    start_registry,
)

# SOURCE_DATE_EPOCH makes both builders' image configs byte-identical, so manifests can be compared.
PUSH_DOCKERFILE = """\
FROM busybox:latest
ARG MARK
RUN echo "$MARK" > /marker
"""


@pytest.fixture(scope="module")
def open_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with start_registry(tmp_path_factory.mktemp("registry-open")) as registry:
        yield registry


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with start_registry(tmp_path_factory.mktemp("registry-auth"), auth=(TEST_USER, TEST_PASSWORD)) as registry:
        yield registry


def _context(folder: Path, dockerfile: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_text(dockerfile)
    return folder


def _cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", "build", "--progress", "plain", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _buildx(engine: EngineInfo, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [engine.docker_cli, "buildx", "build", "--progress=plain", "--provenance=false", *args]
    return subprocess.run(command, env=dict(env), capture_output=True, text=True, timeout=600, check=False)


def _repo(name: str) -> str:
    return f"bw-reg/{name}-{uuid.uuid4().hex[:8]}"


def _env(engine: EngineInfo, folder: Path, config: Mapping[str, object]) -> dict[str, str]:
    return docker_config_env(engine.env, engine.docker_config, folder, config)


def _config_digest(registry: Registry, repository: str, tag: str) -> str:
    _, manifest = registry.manifest(repository, tag)
    assert manifest["mediaType"].endswith("manifest.v2+json") or manifest["mediaType"].endswith(
        "image.manifest.v1+json"
    ), manifest["mediaType"]
    return str(manifest["config"]["digest"])


def test_push_without_auth_same_manifest_as_buildx(engine: EngineInfo, open_registry: Registry, tmp_path: Path) -> None:
    env = _env(engine, tmp_path / "docker", {})
    context = _context(tmp_path / "ctx", PUSH_DOCKERFILE)
    repo = _repo("plain")
    args = ("--build-arg", "MARK=pushed", "--build-arg", "SOURCE_DATE_EPOCH=1700000000")
    reference = _buildx(engine, env, "--push", "-t", f"{open_registry.host}/{repo}:buildx", *args, str(context))
    assert reference.returncode == 0, reference.stderr[-3000:]

    done = _cli(env, "--push", "-t", f"{open_registry.host}/{repo}:bw", *args, str(context))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "pushing manifest" in done.stderr

    _, want = open_registry.manifest(repo, "buildx")
    _, got = open_registry.manifest(repo, "bw")
    assert got["mediaType"] == want["mediaType"]
    assert got["layers"] == want["layers"]
    for layer in got["layers"]:
        assert open_registry.blob(repo, layer["digest"])  # every layer was uploaded
    # The configs match but for history times: buildwright does not yet hand the engine the base
    # image's config (`containerimage.base.config`), so the exporter clamps the base's history
    # times to SOURCE_DATE_EPOCH as well.
    want_config = _without_times(json.loads(open_registry.blob(repo, want["config"]["digest"])))
    got_config = _without_times(json.loads(open_registry.blob(repo, got["config"]["digest"])))
    assert got_config == want_config


def _without_times(config: dict[str, Any]) -> dict[str, Any]:
    history = [{k: v for k, v in entry.items() if k != "created"} for entry in config.get("history", [])]
    return {**config, "history": history}


def test_push_then_pull_back_with_pull(engine: EngineInfo, open_registry: Registry, tmp_path: Path) -> None:
    """The pushed image is what a later `FROM` gets from the registry under `--pull`."""
    env = _env(engine, tmp_path / "docker", {})
    repo = _repo("roundtrip")
    pushed = f"{open_registry.host}/{repo}:1"
    result = buildwright.build(
        _context(tmp_path / "push", PUSH_DOCKERFILE),
        tags=[pushed],
        build_args={"MARK": "from-registry"},
        push=True,
        engine=buildwright.EngineOptions(env=env),
    )
    assert open_registry.tags(repo) == ["1"]
    assert _config_digest(open_registry, repo, "1") == result.metadata["containerimage.config.digest"]

    consumer = _context(tmp_path / "pull", f"FROM {pushed}\nRUN cp /marker /seen\n")
    tag = f"bw-reg/consumer-{uuid.uuid4().hex[:8]}:1"
    buildwright.build(consumer, tags=[tag], pull=True, engine=buildwright.EngineOptions(env=env))
    assert run_image(engine, tag, "cat", "/seen").strip() == "from-registry"


def test_pull_resolves_from_registry_not_engine_store(
    engine: EngineInfo, open_registry: Registry, tmp_path: Path
) -> None:
    """`--pull` takes the registry's image even when the engine holds another under the same name."""
    env = _env(engine, tmp_path / "docker", {})
    repo = _repo("pullmode")
    name = f"{open_registry.host}/{repo}:t"
    options = buildwright.EngineOptions(env=env)
    buildwright.build(
        _context(tmp_path / "remote", PUSH_DOCKERFILE),
        tags=[name],
        build_args={"MARK": "registry"},
        push=True,
        engine=options,
    )
    # Now the engine's store has a different image under the same name; the registry keeps the first.
    buildwright.build(
        _context(tmp_path / "local", PUSH_DOCKERFILE), tags=[name], build_args={"MARK": "engine"}, engine=options
    )
    consumer = _context(tmp_path / "consumer", f"FROM {name}\nRUN cp /marker /seen\n")
    pulled_tag = f"bw-reg/pulled-{uuid.uuid4().hex[:8]}:1"
    done = _cli(env, "--pull", "-t", pulled_tag, str(consumer))
    assert done.returncode == 0, done.stderr[-3000:]
    assert run_image(engine, pulled_tag, "cat", "/seen").strip() == "registry"

    reference_tag = f"bw-reg/pulled-buildx-{uuid.uuid4().hex[:8]}:1"
    reference = _buildx(engine, env, "--load", "--pull", "-t", reference_tag, str(consumer))
    assert reference.returncode == 0, reference.stderr[-3000:]
    assert run_image(engine, reference_tag, "cat", "/seen").strip() == "registry"

    # Without --pull, dockerd's own image wins, for buildx's docker driver and for buildwright.
    local_tag = f"bw-reg/local-{uuid.uuid4().hex[:8]}:1"
    done = _cli(env, "-t", local_tag, str(consumer))
    assert done.returncode == 0, done.stderr[-3000:]
    assert run_image(engine, local_tag, "cat", "/seen").strip() == "engine"
    reference = _buildx(engine, env, "--load", "-t", reference_tag, str(consumer))
    assert reference.returncode == 0, reference.stderr[-3000:]
    assert run_image(engine, reference_tag, "cat", "/seen").strip() == "engine"


@pytest.mark.parametrize(
    "output",
    ["type=registry,name={name}", "type=image,name={name},push=true", "type=image,push=true"],
    ids=["registry", "image-push", "image-push-tag"],
)
def test_push_through_output(engine: EngineInfo, open_registry: Registry, tmp_path: Path, output: str) -> None:
    """`-o type=registry` and `-o type=image,push=true` push like `--push` (names from `-t` or `name=`)."""
    env = _env(engine, tmp_path / "docker", {})
    repo = _repo("output")
    name = f"{open_registry.host}/{repo}:1"
    args = ["-o", output.format(name=name)]
    if "name=" not in output:
        args += ["-t", name]
    done = _cli(env, *args, "--build-arg", "MARK=output", str(_context(tmp_path / "ctx", PUSH_DOCKERFILE)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert open_registry.tags(repo) == ["1"]


def test_push_without_name_is_refused(engine: EngineInfo, tmp_path: Path) -> None:
    env = _env(engine, tmp_path / "docker", {})
    done = _cli(env, "--push", str(_context(tmp_path / "ctx", PUSH_DOCKERFILE)))
    assert done.returncode == 1
    assert "ERROR: tag is needed when pushing to registry" in done.stderr


def test_push_with_auths_credentials(engine: EngineInfo, auth_registry: Registry, tmp_path: Path) -> None:
    env = _env(
        engine, tmp_path / "docker", {"auths": {auth_registry.host: {"auth": basic_auth(TEST_USER, TEST_PASSWORD)}}}
    )
    repo = _repo("auths")
    done = _cli(
        env,
        "--push",
        "-t",
        f"{auth_registry.host}/{repo}:1",
        "--build-arg",
        "MARK=auths",
        str(_context(tmp_path / "ctx", PUSH_DOCKERFILE)),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert auth_registry.tags(repo) == ["1"]
    assert TEST_PASSWORD not in done.stderr


def test_push_with_credential_helper(engine: EngineInfo, auth_registry: Registry, tmp_path: Path) -> None:
    store = tmp_path / "helper-store.json"
    store.write_text(json.dumps({auth_registry.host: {"Username": TEST_USER, "Secret": TEST_PASSWORD}}))
    env = _env(engine, tmp_path / "docker", {"credHelpers": {auth_registry.host: "bwtest"}})
    env["BW_TEST_CREDENTIALS"] = str(store)
    assert (HELPER_DIR / "docker-credential-bwtest").is_file()
    repo = _repo("helper")
    result = buildwright.build(
        _context(tmp_path / "ctx", PUSH_DOCKERFILE),
        tags=[f"{auth_registry.host}/{repo}:1"],
        build_args={"MARK": "helper"},
        push=True,
        engine=buildwright.EngineOptions(env=env),
    )
    assert auth_registry.tags(repo) == ["1"]
    assert _config_digest(auth_registry, repo, "1") == result.metadata["containerimage.config.digest"]
    # The engine asked for this registry's credentials, and the helper was asked for exactly it.
    assert set(Path(f"{store}.log").read_text().split()) == {auth_registry.host}


def test_push_with_wrong_credentials_names_registry(
    engine: EngineInfo, auth_registry: Registry, tmp_path: Path
) -> None:
    env = _env(
        engine, tmp_path / "docker", {"auths": {auth_registry.host: {"auth": basic_auth(TEST_USER, "wrong-pass")}}}
    )
    repo = _repo("denied")
    done = _cli(
        env,
        "--push",
        "-t",
        f"{auth_registry.host}/{repo}:1",
        "--build-arg",
        "MARK=denied",
        str(_context(tmp_path / "ctx", PUSH_DOCKERFILE)),
    )
    assert done.returncode == 1, done.stderr[-3000:]
    error = [line for line in done.stderr.splitlines() if line.startswith("ERROR:")]
    assert error, done.stderr[-3000:]
    assert auth_registry.host in error[0]
    assert "401" in error[0] or "unauthorized" in error[0].lower()
    assert "Traceback" not in done.stderr
    assert "wrong-pass" not in done.stderr
    assert auth_registry.tags(repo) == []


def test_from_image_in_authenticated_registry(engine: EngineInfo, auth_registry: Registry, tmp_path: Path) -> None:
    config = {"auths": {auth_registry.host: {"auth": basic_auth(TEST_USER, TEST_PASSWORD)}}}
    env = _env(engine, tmp_path / "docker", config)
    options = buildwright.EngineOptions(env=env)
    repo = _repo("base")
    base = f"{auth_registry.host}/{repo}:1"
    buildwright.build(
        _context(tmp_path / "base", PUSH_DOCKERFILE),
        tags=[base],
        build_args={"MARK": "base"},
        push=True,
        engine=options,
    )
    consumer = _context(tmp_path / "consumer", f"FROM {base}\nRUN cp /marker /seen\n")
    tag = f"bw-reg/from-auth-{uuid.uuid4().hex[:8]}:1"
    buildwright.build(consumer, tags=[tag], pull=True, engine=options)
    assert run_image(engine, tag, "cat", "/seen").strip() == "base"

    # Without credentials the registry refuses, and the error points at the FROM line.
    anonymous = buildwright.EngineOptions(env=_env(engine, tmp_path / "anonymous", {}))
    with pytest.raises((DockerfileError, BuildFailed)) as caught:
        buildwright.build(consumer, tags=[tag], pull=True, engine=anonymous)
    message = str(caught.value)
    assert auth_registry.host in message
    if isinstance(caught.value, DockerfileError):
        assert caught.value.location is not None and caught.value.location.start_line == 1
