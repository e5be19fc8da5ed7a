"""Multi-platform compilation: --platform parsing, the multi-platform switch, per-platform LLB and names."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from buildwright.dockerfile import parse_dockerfile
from buildwright.errors import BuildConfigError
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.options import CompiledBuild, FrontendOptions
from buildwright.frontend.platform_names import platform_id, step_prefix
from buildwright.frontend.platforms import (
    MultiPlatformBuild,
    compile_platforms,
    multi_platform_requested,
    parse_platforms,
)
from buildwright.frontend.resolver import ImageRequest, ResolvedImage
from buildwright.llb.platform import Platform, default_platform

AMD64 = Platform("linux", "amd64")
AMD64_V2 = Platform("linux", "amd64", "v2")
ARM64 = Platform("linux", "arm64")


def _config(arch: str) -> bytes:
    return json.dumps(
        {
            "architecture": arch,
            "os": "linux",
            "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
            "history": [{"created_by": "import"}],
        }
    ).encode()


class IndexResolver:
    """Answers like an engine holding a multi-platform index: each platform its own config and digest."""

    def __init__(self) -> None:
        self.requests: list[ImageRequest] = []

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        self.requests.extend(requests)
        answers = []
        for request in requests:
            arch = request.platform.architecture if request.platform else "amd64"
            answers.append(ResolvedImage(request.ref, "sha256:" + "c" * 64, _config(arch)))
        return answers


def _ops(compiled: CompiledBuild) -> list[dict[str, Any]]:
    return json.loads(compiled.definition.to_json())["ops"]  # type: ignore[no-any-return]


def _names(compiled: CompiledBuild) -> list[str]:
    described = (op.get("metadata", {}).get("description", {}) for op in _ops(compiled))
    return [d["llb.customname"] for d in described if "llb.customname" in d]


def _run_envs(compiled: CompiledBuild) -> list[list[str]]:
    return [op["op"]["exec"]["meta"]["env"] for op in _ops(compiled) if "exec" in op["op"]]


def _compile(text: str, platforms: Sequence[Platform], **options: Any) -> tuple[MultiPlatformBuild, IndexResolver]:
    resolver = IndexResolver()
    built = compile_platforms(parse_dockerfile(text), FrontendOptions(session_id="s1", **options), platforms, resolver)
    return built, resolver


# --- parsing --------------------------------------------------------------------------------


def test_platforms_from_comma_lists_and_repeats_normalised_and_deduplicated() -> None:
    assert parse_platforms(["linux/amd64,linux/arm64/v8", "linux/x86_64", " linux/amd64/v2 "]) == (
        AMD64,
        ARM64,
        AMD64_V2,
    )
    assert parse_platforms("linux/arm/v7") == (Platform("linux", "arm", "v7"),)
    assert parse_platforms(None) == ()
    assert parse_platforms([]) == ()


def test_local_names_this_machine() -> None:
    found = parse_platforms("local,linux/s390x")
    assert found == (default_platform(), Platform("linux", "s390x"))


@pytest.mark.parametrize("value", ["linux/amd64,", "linux", "linux/amd64/v2/x", ","])
def test_bad_platform_is_a_config_error(value: str) -> None:
    with pytest.raises(BuildConfigError, match="invalid platform"):
        parse_platforms(value)


def test_several_platforms_make_a_platform_map() -> None:
    assert multi_platform_requested((AMD64, ARM64), {})
    assert not multi_platform_requested((AMD64,), {})
    assert not multi_platform_requested((), {})


@pytest.mark.parametrize("value", ["1", "true", "True", "T"])
def test_multi_platform_arg_forces_a_map_for_one_platform(value: str) -> None:
    assert multi_platform_requested((AMD64,), {"BUILDKIT_MULTI_PLATFORM": value})
    assert multi_platform_requested((), {"BUILDKIT_MULTI_PLATFORM": value})


def test_multi_platform_arg_false_with_several_platforms_conflicts() -> None:
    assert not multi_platform_requested((AMD64,), {"BUILDKIT_MULTI_PLATFORM": "0"})
    with pytest.raises(BuildConfigError, match="conflicting config: returning multiple target platforms"):
        multi_platform_requested((AMD64, ARM64), {"BUILDKIT_MULTI_PLATFORM": "false"})


def test_multi_platform_arg_must_be_a_go_boolean() -> None:
    with pytest.raises(BuildConfigError, match="invalid boolean value for multi-platform: yes"):
        multi_platform_requested((AMD64,), {"BUILDKIT_MULTI_PLATFORM": "yes"})


# --- names ----------------------------------------------------------------------------------


def test_platform_id_is_the_full_normalised_name() -> None:
    assert platform_id(AMD64_V2) == "linux/amd64/v2"
    assert platform_id(Platform("linux", "arm64", "v8")) == "linux/arm64"
    assert platform_id(Platform("windows", "amd64", "", "10.0.17763")) == "windows/amd64(10.0.17763)"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "linux/amd64"),
        ({"TARGETPLATFORM": "linux/amd64"}, "linux/amd64"),
        ({"TARGETPLATFORM": "linux/amd64/v2"}, "linux/amd64"),  # same arch: no arrow
        ({"TARGETPLATFORM": "linux/arm64"}, "linux/amd64->arm64"),
        ({"TARGETARCH": "arm", "TARGETVARIANT": "v7"}, "linux/amd64->arm/v7"),
        ({"TARGETOS": "windows"}, "linux/amd64->windows/amd64"),
        ({"TARGETPLATFORM": "not a platform", "TARGETARCH": "arm64"}, "linux/amd64->arm64"),
    ],
)
def test_step_prefix_marks_cross_compiling_stages(env: dict[str, str], expected: str) -> None:
    assert step_prefix(AMD64, env) == expected


# --- compilation ----------------------------------------------------------------------------

CROSS = """\
FROM --platform=$BUILDPLATFORM busybox AS build
ARG TARGETARCH
RUN echo "$TARGETARCH" > /arch

FROM busybox
ARG TARGETPLATFORM
COPY --from=build /arch /arch
RUN echo "$TARGETPLATFORM" > /platform
"""


def test_each_platform_compiles_with_its_own_target_args() -> None:
    built, _ = _compile(CROSS, [AMD64, ARM64])
    assert [part.id for part in built.builds] == ["linux/amd64", "linux/arm64"]
    amd64, arm64 = (part.compiled for part in built.builds)
    assert ["PATH=/bin", "TARGETARCH=amd64"] in _run_envs(amd64)
    assert ["PATH=/bin", "TARGETARCH=arm64"] in _run_envs(arm64)
    assert ["PATH=/bin", "TARGETPLATFORM=linux/arm64"] in _run_envs(arm64)
    assert json.loads(arm64.image_config)["architecture"] == "arm64"
    assert json.loads(amd64.image_config)["architecture"] == "amd64"


def test_steps_and_resolutions_name_their_platform() -> None:
    built, resolver = _compile(CROSS, [AMD64, ARM64])
    names = _names(built.builds[1].compiled)
    digest = "sha256:" + "c" * 64
    assert f"[linux/amd64 build 1/2] FROM docker.io/library/busybox:latest@{digest}" in names
    # The build stage runs on the build platform for an arm64 target: the reference's arrow.
    assert '[linux/amd64->arm64 build 2/2] RUN echo "arm64" > /arch' in names
    assert f"[linux/arm64 stage-1 1/3] FROM docker.io/library/busybox:latest@{digest}" in names
    assert '[linux/arm64 stage-1 3/3] RUN echo "linux/arm64" > /platform' in names
    logs = {(str(r.platform), r.log_name) for r in resolver.requests}
    assert ("linux/arm64", "[linux/arm64 internal] load metadata for docker.io/library/busybox:latest") in logs
    assert ("linux/amd64", "[linux/amd64 internal] load metadata for docker.io/library/busybox:latest") in logs


def test_a_build_platform_stage_is_one_step_for_every_target() -> None:
    # A stage on $BUILDPLATFORM that reads no TARGET* arg is the same op for all platforms (built once).
    text = "FROM --platform=$BUILDPLATFORM busybox AS tools\nRUN echo tools > /t\n"
    text += "FROM busybox\nCOPY --from=tools /t /t\n"
    built, _ = _compile(text, [AMD64, ARM64])
    runs = [[op for op in _ops(part.compiled) if "exec" in op["op"]] for part in built.builds]
    assert runs[0][0]["digest"] == runs[1][0]["digest"]


def test_variant_platforms_keep_their_variant_in_the_image_config() -> None:
    built, _ = _compile("FROM busybox\nRUN true\n", [AMD64, AMD64_V2])
    configs = [json.loads(part.compiled.image_config) for part in built.builds]
    assert "variant" not in configs[0]
    assert configs[1]["variant"] == "v2"
    assert configs[1]["architecture"] == "amd64"


def test_one_platform_compiles_as_a_plain_build_without_prefixes() -> None:
    resolver = IndexResolver()
    options = FrontendOptions(session_id="s1", target_platform=ARM64)
    compiled = compile_dockerfile(parse_dockerfile("FROM busybox\nRUN true\n"), options, resolver)
    assert _names(compiled)[1] == "[2/2] RUN true"
    assert resolver.requests[0].log_name is None


def test_multi_platform_without_platforms_uses_the_build_platform() -> None:
    built, _ = _compile("FROM busybox\nRUN true\n", [], build_platforms=(AMD64, AMD64_V2))
    assert [part.id for part in built.builds] == ["linux/amd64"]
    assert _names(built.builds[0].compiled)[1] == "[linux/amd64 2/2] RUN true"


def test_log_name_is_not_part_of_a_requests_identity() -> None:
    # Build checks resolve without log names; compilation must hit the same cached answers.
    plain = ImageRequest("docker.io/library/busybox:latest", ARM64)
    named = ImageRequest("docker.io/library/busybox:latest", ARM64, log_name="[linux/arm64 internal] x")
    assert plain == named
    assert hash(plain) == hash(named)
