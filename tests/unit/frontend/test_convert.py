"""Compiling Dockerfiles to LLB without an engine: a fake resolver answers for base images."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from buildwright.dockerfile import parse_dockerfile
from buildwright.errors import BuildConfigError, DockerfileError
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.options import CompiledBuild, FrontendOptions
from buildwright.frontend.resolver import ImageRequest, ResolvedImage

BUSYBOX_DIGEST = "sha256:" + "b" * 64
BUSYBOX_CONFIG = json.dumps(
    {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
        "history": [{"created_by": "import"}],
    }
).encode()


class FakeResolver:
    def __init__(self) -> None:
        self.requests: list[ImageRequest] = []

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        self.requests.extend(requests)
        return [ResolvedImage(request.ref, BUSYBOX_DIGEST, BUSYBOX_CONFIG) for request in requests]


def compile_text(text: str, **options: Any) -> tuple[CompiledBuild, FakeResolver]:
    resolver = FakeResolver()
    compiled = compile_dockerfile(parse_dockerfile(text), FrontendOptions(session_id="s1", **options), resolver)
    return compiled, resolver


def ops(compiled: CompiledBuild) -> list[dict[str, Any]]:
    return json.loads(compiled.definition.to_json())["ops"]  # type: ignore[no-any-return]


def custom_names(compiled: CompiledBuild) -> list[str]:
    names = []
    for op in ops(compiled):
        name = op.get("metadata", {}).get("description", {}).get("llb.customname")
        if name:
            names.append(name)
    return names


MULTISTAGE = """\
FROM busybox AS builder
WORKDIR /src
COPY hello.txt .
RUN cat hello.txt > out

FROM busybox AS unused
RUN exit 1

FROM busybox
COPY --from=builder /src/out /out
CMD ["cat", "/out"]
"""


def test_unused_stage_is_pruned() -> None:
    compiled, _ = compile_text(MULTISTAGE)
    names = custom_names(compiled)
    assert not any("exit 1" in name for name in names)
    assert "unused" in compiled.stages.pruned
    assert any(name.startswith("[builder 4/4] RUN cat hello.txt") for name in names), names


def test_target_builds_exactly_that_stage() -> None:
    compiled, _ = compile_text(MULTISTAGE, target="builder")
    config = json.loads(compiled.image_config)
    assert config["config"]["WorkingDir"] == "/src"
    assert "Cmd" in config["config"]  # inherited from busybox, not the final stage's
    assert config["config"]["Cmd"] == ["sh"]
    names = custom_names(compiled)
    assert not any("COPY --from" in name for name in names)


def test_unknown_target_is_a_clear_error() -> None:
    with pytest.raises(BuildConfigError, match='target stage "nope" could not be found'):
        compile_text(MULTISTAGE, target="nope")


def test_image_config_and_history() -> None:
    compiled, resolver = compile_text(MULTISTAGE)
    assert {r.ref for r in resolver.requests} == {"docker.io/library/busybox:latest"}
    config = json.loads(compiled.image_config)
    assert config["config"]["Cmd"] == ["cat", "/out"]
    assert config["config"]["Env"] == ["PATH=/bin"]
    history = [h["created_by"] for h in config["history"]]
    assert history == ["import", "COPY /src/out /out # buildkit", 'CMD ["cat" "/out"]']


def test_context_upload_is_narrowed_to_used_paths() -> None:
    compiled, _ = compile_text(MULTISTAGE)
    locals_ = [op for op in ops(compiled) if op["op"].get("source", {}).get("identifier") == "local://context"]
    assert len(locals_) == 1
    attrs = locals_[0]["op"]["source"]["attrs"]
    assert attrs["local.followpaths"] == '["hello.txt"]'
    assert attrs["local.session"] == "s1"


def test_compiling_twice_gives_the_same_bytes() -> None:
    first, _ = compile_text(MULTISTAGE)
    second, _ = compile_text(MULTISTAGE)
    assert first.definition.ops == second.definition.ops
    assert first.definition.to_json() == second.definition.to_json()


def test_copy_from_later_stage_fails_with_location() -> None:
    text = "FROM busybox AS first\nCOPY --from=later /a /b\nFROM busybox AS later\n"
    with pytest.raises(DockerfileError) as info:
        compile_text(text, target="first")
    assert info.value.location is not None and info.value.location.start_line == 2


def test_arg_in_from_and_build_args() -> None:
    text = "ARG BASE=busybox\nFROM ${BASE}\nARG GREETING=hi\nRUN echo $GREETING\n"
    compiled, resolver = compile_text(text, build_args={"GREETING": "hello"})
    assert resolver.requests[0].ref == "docker.io/library/busybox:latest"
    history = [h["created_by"] for h in json.loads(compiled.image_config)["history"]]
    assert history[-1] == "RUN |1 GREETING=hello /bin/sh -c echo $GREETING # buildkit"


def test_copy_from_external_image_creates_an_implicit_stage() -> None:
    text = "FROM scratch\nCOPY --from=busybox:latest /bin/busybox /x\n"
    compiled, resolver = compile_text(text)
    assert [r.ref for r in resolver.requests] == ["docker.io/library/busybox:latest"]
    names = custom_names(compiled)
    assert f"FROM docker.io/library/busybox:latest@{BUSYBOX_DIGEST}" in names
    # The implicit image stage counts as a stage, so names carry the stage prefix (as upstream).
    assert "[stage-0 1/1] COPY --from=busybox:latest /bin/busybox /x" in names


def test_stage_by_index() -> None:
    text = "FROM busybox\nRUN echo a > /a\nFROM busybox\nCOPY --from=0 /a /a\n"
    compiled, _ = compile_text(text)
    assert any(name.startswith("[stage-0 2/2] RUN echo a") for name in custom_names(compiled))


def test_circular_dependency_names_stage_and_line() -> None:
    text = "FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n"
    with pytest.raises(DockerfileError, match="circular dependency detected on stage: a") as info:
        compile_text(text, target="a")
    assert info.value.location is not None and info.value.location.start_line == 2


def test_base_image_config_is_returned_with_its_creation_time() -> None:
    text = 'FROM busybox AS base\nRUN true\nFROM base\nCMD ["x"]\n'
    config = json.loads(BUSYBOX_CONFIG)
    config["created"] = "2024-01-02T03:04:05Z"
    resolver_answer = json.dumps(config).encode()

    class DatedResolver(FakeResolver):
        def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
            return [ResolvedImage(r.ref, BUSYBOX_DIGEST, resolver_answer) for r in requests]

    compiled = compile_dockerfile(parse_dockerfile(text), FrontendOptions(session_id="s1"), DatedResolver())
    assert compiled.base_image_config is not None
    assert json.loads(compiled.base_image_config)["created"] == "2024-01-02T03:04:05Z"
    assert "created" not in json.loads(compiled.image_config)


def test_scratch_has_no_base_image_config() -> None:
    compiled, _ = compile_text("FROM scratch\nCOPY a /a\n")
    assert compiled.base_image_config is None
