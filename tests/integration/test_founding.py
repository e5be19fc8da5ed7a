"""The founding use case on the real engine: every example built by buildwright and by buildx is the
same image, printing the example's expected output; pruning, parallel stages, --target and the
one-line errors of the CLI.

Each example is built here and nowhere else in the suite: a build of the same steps by another
test file at the same time would run them beside buildx's, and buildwright's build could then take
either run's cache (the same files, other log timestamps)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import buildwright
from buildwright.client.events import BuildEvent, VertexCompleted
from tests.integration.buildkitd import (
    TRANSPORTS,
    Buildkitd,
    Prefetch,
    buildx_remote_build,
    engine_options,
    remote_builder,
    start_early,
)
from tests.integration.cli import run_cli
from tests.integration.examples_manifest import EXAMPLES_DIR, example_id, load_examples
from tests.integration.reference import (
    EngineInfo,
    assert_same_image,
    buildx_build,
    run_image,
    snapshot_archive,
    snapshot_image,
)


def _engine(engine: EngineInfo) -> buildwright.EngineOptions:
    return buildwright.EngineOptions(env=engine.env)


def _cli(engine: EngineInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(engine.env, *args)


@pytest.fixture(scope="module", autouse=True)
def _buildkitd_examples_early(request: pytest.FixtureRequest) -> None:
    # The buildkitd's builds of the examples go on in the background while the dockerd tests run.
    start_early(request, "test_example_on_buildkitd_matches_the_remote_driver", "examples_on_buildkitd")


@pytest.mark.parametrize("example", load_examples(), ids=example_id)
def test_example_matches_the_reference_builder(engine: EngineInfo, example: dict[str, Any]) -> None:
    folder: Path = EXAMPLES_DIR / example["name"]
    build_args = example.get("build_args", {})
    target = example.get("target")
    reference_tag = f"bw-founding/{example_id(example)}:buildx"
    ours_tag = f"bw-founding/{example_id(example)}:buildwright"

    buildx_build(engine, folder, tag=reference_tag, target=target, build_args=build_args)
    result = buildwright.build(folder, tags=[ours_tag], target=target, build_args=build_args, engine=_engine(engine))

    assert result.image_id
    expected = (folder / example.get("expected_output", "expected-output.txt")).read_text()
    # The example itself is right: the reference's image prints what the example says it does.
    assert run_image(engine, reference_tag) == expected
    assert_same_image(snapshot_image(engine, reference_tag), snapshot_image(engine, ours_tag))
    assert run_image(engine, ours_tag) == expected


def test_every_example_folder_is_listed() -> None:
    listed = {entry["name"] for entry in load_examples()}
    folders = {path.name for path in EXAMPLES_DIR.iterdir() if (path / "Dockerfile").is_file()}
    assert listed == folders


@dataclass(frozen=True)
class _OnBuildkitd:
    reference: Path
    ours: dict[str, Path]


@pytest.fixture(scope="module")
def examples_on_buildkitd(
    engine: EngineInfo, buildkitd: Buildkitd, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prefetch[str, _OnBuildkitd]]:
    """Every example on the buildkitd: buildx's remote driver, then buildwright over unix and over
    TCP+mTLS, each into a docker tarball; a few examples at a time."""
    folder = tmp_path_factory.mktemp("examples-bkd")
    builder = remote_builder(engine, buildkitd, tcp=False)
    examples = {example_id(example): example for example in load_examples()}

    def build(key: str) -> _OnBuildkitd:
        example = examples[key]
        source: Path = EXAMPLES_DIR / example["name"]
        args = {"target": example.get("target"), "build_args": example.get("build_args", {})}
        reference = folder / f"{key}-buildx.tar"
        buildx_remote_build(engine, builder, source, reference, **args)
        ours: dict[str, Path] = {}
        for transport in TRANSPORTS:
            ours[transport] = folder / f"{key}-{transport}.tar"
            buildwright.build(
                source,
                outputs=[f"type=docker,dest={ours[transport]}"],
                engine=engine_options(engine, buildkitd, tcp=transport == "tcp"),
                **args,
            )
        return _OnBuildkitd(reference, ours)

    prefetch = Prefetch(list(examples), build)
    yield prefetch
    prefetch.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("example", load_examples(), ids=example_id)
def test_example_on_buildkitd_matches_the_remote_driver(
    engine: EngineInfo, example: dict[str, Any], transport: str, examples_on_buildkitd: Prefetch[str, _OnBuildkitd]
) -> None:
    built = examples_on_buildkitd.get(example_id(example))
    ours = built.ours[transport]
    assert_same_image(snapshot_archive(built.reference, "buildx"), snapshot_archive(ours, "buildwright"))
    if transport == "unix":
        # The image runs and prints what the example promises (loaded into the engine to run it).
        loaded = engine.docker("load", "--input", str(ours)).stdout.decode()
        image = loaded.strip().rsplit(" ", 1)[-1]
        try:
            expected = EXAMPLES_DIR / example["name"] / example.get("expected_output", "expected-output.txt")
            assert run_image(engine, image) == expected.read_text()
        finally:
            engine.docker("image", "rm", "--force", image, check=False)


UNUSED_STAGE = """\
FROM busybox:latest AS broken
RUN exit 1

FROM busybox:latest AS good
RUN echo fine > /fine

FROM busybox:latest
COPY --from=good /fine /fine
CMD ["cat", "/fine"]
"""


def test_unused_failing_stage_is_never_sent(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(UNUSED_STAGE)
    tag = "bw-founding/unused-stage:buildwright"

    buildwright.build(tmp_path, tags=[tag], engine=_engine(engine))
    assert run_image(engine, tag) == "fine\n"

    printed = _cli(engine, "llb", str(tmp_path))
    assert printed.returncode == 0, printed.stderr
    dump = json.loads(printed.stdout)
    commands = json.dumps(dump)
    assert "echo fine" in commands
    assert "exit 1" not in commands

    buildx_build(engine, tmp_path, tag="bw-founding/unused-stage:buildx")
    assert_same_image(snapshot_image(engine, "bw-founding/unused-stage:buildx"), snapshot_image(engine, tag))


PARALLEL = """\
FROM busybox:latest AS left
ARG NONCE
RUN echo "left $NONCE" > /left && sleep 3

FROM busybox:latest AS right
ARG NONCE
RUN echo "right $NONCE" > /right && sleep 3

FROM busybox:latest
COPY --from=left /left /left
COPY --from=right /right /right
"""


def test_independent_stages_run_at_the_same_time(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(PARALLEL)
    events: list[BuildEvent] = []
    buildwright.build(
        tmp_path,
        tags=["bw-founding/parallel:buildwright"],
        build_args={"NONCE": uuid.uuid4().hex},  # a fresh value: the sleeps cannot come from cache
        engine=_engine(engine),
        on_event=events.append,
    )

    # The engine's own step times, not the client's wall clock: on a loaded machine (the suite runs
    # files side by side) the build's start-up may take seconds, but the steps still overlap.
    sleeps = [e for e in events if isinstance(e, VertexCompleted) and "sleep 3" in e.name]
    assert len(sleeps) == 2, [getattr(e, "name", "") for e in events]
    (a, b) = sleeps
    assert a.started and a.completed and b.started and b.completed
    assert a.started < b.completed and b.started < a.completed, "the two sleeps did not overlap"


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("ERROR: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], result.stderr


def test_unknown_target_is_one_clear_line(engine: EngineInfo) -> None:
    result = _cli(engine, "build", "--target", "nope", str(EXAMPLES_DIR / "multistage"))
    _assert_one_line_error(result, 'target stage "nope" could not be found')
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_dockerfile_is_one_clear_line(engine: EngineInfo, tmp_path: Path) -> None:
    result = _cli(engine, "build", str(tmp_path))
    _assert_one_line_error(result, "Dockerfile", "no such file")
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_context_is_one_clear_line(engine: EngineInfo, tmp_path: Path) -> None:
    result = _cli(engine, "build", str(tmp_path / "absent"))
    _assert_one_line_error(result, "absent", "not found")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_engine_names_each_endpoint(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\n")
    env = dict(engine.env)
    env["DOCKER_HOST"] = f"unix://{tmp_path}/no-docker.sock"
    env.pop("BUILDKIT_HOST", None)
    result = subprocess.run(
        [sys.executable, "-m", "buildwright", "build", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    _assert_one_line_error(result)
    assert "no-docker.sock" in result.stderr
    assert "Traceback" not in result.stderr


def test_failing_step_names_its_dockerfile_lines(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\n\nRUN echo about to fail && \\\n  exit 3\nRUN true\n")
    result = _cli(engine, "build", "--progress", "quiet", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "exit code: 3" in result.stderr.splitlines()[0]
    assert " > about to fail" in result.stderr
    assert "Dockerfile:3" in result.stderr
    assert " 3 | >>> RUN echo about to fail" in result.stderr
