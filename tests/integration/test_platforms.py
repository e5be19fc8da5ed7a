"""`--platform a,b` on the engine: one image per platform in an index, the same index buildx makes.

Variants of amd64 always run here; linux/arm64 runs when the engine emulates it (scripts/engine.sh
registers qemu-user-static and adds arm64 to busybox:latest), otherwise those tests are skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

import buildwright
from buildwright.errors import BuildConfigError, BuildFailed
from tests.integration.reference import (
    EngineInfo,
    ImageSnapshot,
    assert_same_image,
    buildx_build,
    snapshot_archive,
)

INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
LIST_TYPE = "application/vnd.docker.distribution.manifest.list.v2+json"

CROSS = """\
FROM --platform=$BUILDPLATFORM busybox AS build
ARG TARGETPLATFORM TARGETARCH BUILDPLATFORM
RUN echo "{marker} $BUILDPLATFORM->$TARGETPLATFORM $TARGETARCH" > /cross && uname -m >> /cross

FROM busybox
ARG TARGETARCH TARGETVARIANT
COPY --from=build /cross /cross
RUN echo "$TARGETARCH $TARGETVARIANT" > /target && uname -m >> /target
CMD ["cat", "/target"]
"""


def _engine(engine: EngineInfo) -> buildwright.EngineOptions:
    return buildwright.EngineOptions(env=engine.env)


def _context(tmp_path: Path, text: str = CROSS) -> Path:
    # A fresh marker per test: the first build really runs, so the cache check below means something.
    (tmp_path / "Dockerfile").write_text(text.replace("{marker}", uuid.uuid4().hex))
    return tmp_path


def _tag(name: str) -> str:
    return f"bw-platform/{name}-{uuid.uuid4().hex[:8]}"


def _saved_index(engine: EngineInfo, tag: str) -> tuple[str, dict[str, Any]]:
    """The media type of what `tag` names, and the index it names (empty when it is one manifest)."""
    with tempfile.TemporaryDirectory(prefix="bw-platform-") as tmp:
        archive = Path(tmp) / "image.tar"
        engine.docker("image", "save", "--output", str(archive), tag)
        with tarfile.open(archive) as tar:
            top = json.loads(_read(tar, "index.json"))["manifests"][0]
            if top["mediaType"] not in (INDEX_TYPE, LIST_TYPE):
                return top["mediaType"], {}
            return top["mediaType"], json.loads(_read(tar, "blobs/sha256/" + top["digest"].split(":", 1)[1]))


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    assert member is not None, name
    with member:
        return member.read()


def _index_platforms(engine: EngineInfo, tag: str) -> list[str]:
    _, index = _saved_index(engine, tag)
    found = []
    for entry in index.get("manifests", ()):
        platform = entry["platform"]
        if platform["os"] == "unknown":  # attestation manifests (none are asked for here)
            continue
        variant = f"/{platform['variant']}" if platform.get("variant") else ""
        found.append(f"{platform['os']}/{platform['architecture']}{variant}")
    return found


def _snapshot(engine: EngineInfo, tag: str, platform: str) -> ImageSnapshot:
    with tempfile.TemporaryDirectory(prefix="bw-platform-") as tmp:
        archive = Path(tmp) / "image.tar"
        engine.docker("image", "save", "--platform", platform, "--output", str(archive), tag)
        return snapshot_archive(archive, tag)


def _image_id(engine: EngineInfo, tag: str) -> str:
    return engine.docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.decode().strip()


def _file(engine: EngineInfo, tag: str, platform: str, path: str) -> str:
    return engine.docker("run", "--rm", "--platform", platform, tag, "cat", path).stdout.decode()


def _emulates_arm64(engine: EngineInfo) -> bool:
    platforms = engine.docker("buildx", "inspect").stdout.decode()
    stored = engine.docker("image", "inspect", "--platform", "linux/arm64", "busybox:latest", check=False)
    return "linux/arm64" in platforms and stored.returncode == 0


def _buildx(
    engine: EngineInfo, context: Path, tag: str, platforms: str, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """buildx with its default output on the docker driver (the moby exporter into the engine's
    image store), which is what buildwright's default output is compared with."""
    command = ["buildx", "build", "--progress=plain", "--provenance=false", "--platform", platforms, "-t", tag]
    done = subprocess.run(
        [engine.docker_cli, *command, *args, str(context)],
        env=dict(engine.env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def _cli(engine: EngineInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildwright", *args],
        env=dict(engine.env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _assert_same_platforms(engine: EngineInfo, reference: str, ours: str, platforms: list[str]) -> None:
    assert _index_platforms(engine, reference) == platforms
    assert _index_platforms(engine, ours) == platforms
    for platform in platforms:
        assert_same_image(_snapshot(engine, reference, platform), _snapshot(engine, ours, platform))
    # Same configs, layers and order: the very same index.
    assert _image_id(engine, ours) == _image_id(engine, reference)


def test_variants_make_the_index_buildx_makes(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path)
    reference, ours = _tag("variants-buildx"), _tag("variants")
    platforms = ["linux/amd64", "linux/amd64/v2"]
    _buildx(engine, context, reference, ",".join(platforms))

    result = buildwright.build(context, tags=[ours], platform=platforms, engine=_engine(engine))

    _assert_same_platforms(engine, reference, ours, platforms)
    # Every step was built by buildx already: the same LLB per platform, so all of it is cached.
    runs = [step for step in result.steps if "RUN" in step.name]
    assert {step.name.split(" ", 1)[0] for step in runs} == {"[linux/amd64", "[linux/amd64/v2"}
    assert all(step.cached for step in runs), [(s.name, s.cached) for s in runs]
    v2 = _snapshot(engine, ours, "linux/amd64/v2")
    assert v2.architecture == "amd64"
    assert _file(engine, ours, "linux/amd64/v2", "/target") == "amd64 v2\nx86_64\n"
    assert _file(engine, ours, "linux/amd64/v2", "/cross").endswith(" linux/amd64->linux/amd64/v2 amd64\nx86_64\n")


def test_emulated_arm64_image_matches_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    if not _emulates_arm64(engine):
        pytest.skip("the engine does not emulate linux/arm64 here (no binfmt_misc/qemu)")
    context = _context(tmp_path)
    reference, ours = _tag("arm64-buildx"), _tag("arm64")
    platforms = ["linux/amd64", "linux/arm64"]
    _buildx(engine, context, reference, ",".join(platforms))

    # Comma lists and repeats mix, and a platform named twice (arm64/v8 is arm64) is built once, as buildx does.
    platform_args = ["--platform", "linux/amd64,linux/arm64", "--platform", "linux/arm64/v8"]
    done = _cli(engine, "build", "--progress", "plain", *platform_args, "-t", ours, str(context))
    assert done.returncode == 0, done.stderr
    assert "[linux/arm64 stage-1 3/3] RUN" in done.stderr

    _assert_same_platforms(engine, reference, ours, platforms)
    arm64 = _snapshot(engine, ours, "linux/arm64")
    assert arm64.architecture == "arm64"
    # The arm64 step ran emulated; the cross-compiling stage ran natively on the build platform.
    assert _file(engine, ours, "linux/arm64", "/target") == "arm64 \naarch64\n"
    assert _file(engine, ours, "linux/arm64", "/cross").endswith(" linux/amd64->linux/arm64 arm64\nx86_64\n")


def test_one_platform_stays_one_image_unless_multi_platform_is_asked(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, "FROM busybox\nARG TARGETPLATFORM\nRUN echo $TARGETPLATFORM > /p\n")
    single = _tag("single")
    buildwright.build(context, tags=[single], platform="linux/amd64/v2", engine=_engine(engine))
    media_type, _ = _saved_index(engine, single)
    assert media_type != INDEX_TYPE

    reference, ours = _tag("forced-buildx"), _tag("forced")
    args = {"BUILDKIT_MULTI_PLATFORM": "1"}
    _buildx(engine, context, reference, "linux/amd64/v2", "--build-arg", "BUILDKIT_MULTI_PLATFORM=1")
    buildwright.build(context, tags=[ours], platform="linux/amd64/v2", build_args=args, engine=_engine(engine))
    _assert_same_platforms(engine, reference, ours, ["linux/amd64/v2"])


def test_multi_platform_false_with_two_platforms_is_refused_like_buildx(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, "FROM busybox\n")
    args = {"BUILDKIT_MULTI_PLATFORM": "0"}
    platforms = "linux/amd64,linux/amd64/v2"
    reference = buildx_build(
        engine, context, tag=_tag("conflict"), build_args=args, extra_args=["--platform", platforms], check=False
    )
    assert reference.returncode != 0
    message = "conflicting config: returning multiple target platforms is not allowed"
    assert message in reference.stderr
    with pytest.raises(BuildConfigError, match=message):
        buildwright.build(context, platform=platforms, build_args=args, engine=_engine(engine))


def test_a_step_failing_on_one_platform_names_that_platform_and_line(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path, 'FROM busybox\nARG TARGETVARIANT\nRUN test "$TARGETVARIANT" != v2\n')
    reference = buildx_build(
        engine, context, tag=_tag("fails"), extra_args=["--platform", "linux/amd64,linux/amd64/v2"], check=False
    )
    assert reference.returncode != 0
    assert '[linux/amd64/v2 2/2] RUN test "v2" != v2' in reference.stderr
    with pytest.raises(BuildFailed) as info:
        buildwright.build(context, platform="linux/amd64,linux/amd64/v2", engine=_engine(engine))
    assert info.value.vertex == '[linux/amd64/v2 2/2] RUN test "v2" != v2'
    assert info.value.exit_code == 1
    assert info.value.location is not None and info.value.location.start_line == 3


def test_a_platform_the_base_image_lacks_fails_at_the_from_line(engine: EngineInfo, tmp_path: Path) -> None:
    if not _emulates_arm64(engine):
        pytest.skip("busybox:latest is a single-platform image here: every platform resolves to it")
    context = _context(tmp_path, "FROM busybox\nRUN true\n")
    reference = buildx_build(
        engine, context, tag=_tag("lacks"), extra_args=["--platform", "linux/amd64,linux/s390x"], check=False
    )
    reason = "failed to resolve source metadata for docker.io/library/busybox:latest: no match for platform in manifest"
    assert reason in reference.stderr
    done = _cli(engine, "build", "--platform", "linux/amd64,linux/s390x", str(context))
    assert done.returncode == 1
    assert f"ERROR: Dockerfile:1: busybox: {reason}" in done.stderr
    assert "Traceback" not in done.stderr


def test_load_puts_every_platform_in_the_engine_store(engine: EngineInfo, tmp_path: Path) -> None:
    context = _context(tmp_path)
    reference, ours = _tag("load-buildx"), _tag("load")
    platforms = ["linux/amd64", "linux/amd64/v2"]
    buildx_build(engine, context, tag=reference, extra_args=["--platform", ",".join(platforms)])

    done = _cli(engine, "build", "--load", "--platform", ",".join(platforms), "-t", ours, str(context))
    assert done.returncode == 0, done.stderr

    _assert_same_platforms(engine, reference, ours, platforms)
