"""Stage-level semantics without an engine: ONBUILD triggers, named contexts, SOURCE_DATE_EPOCH,
the syntax directive and the metadata instructions' config and history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from buildwright.dockerfile import parse_dockerfile
from buildwright.errors import BuildConfigError, DockerfileError
from buildwright.frontend.args import proxy_env, source_date_epoch
from buildwright.frontend.contexts import NamedContext, context_name, find_context
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.options import CompiledBuild, FrontendOptions
from buildwright.frontend.resolver import ImageRequest, ResolvedImage
from buildwright.frontend.signals import is_valid_signal
from buildwright.llb import ProxyEnv
from buildwright.llb.platform import Platform

DIGEST = "sha256:" + "c" * 64


def _config(on_build: Sequence[str] = (), env: Sequence[str] = ("PATH=/bin",)) -> bytes:
    return json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": list(env), "OnBuild": list(on_build) or None},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
            "history": [{"created_by": "import"}],
        }
    ).encode()


class Resolver:
    """Answers every image with a plain config, except those given their own."""

    def __init__(self, configs: dict[str, bytes] | None = None) -> None:
        self.configs = configs or {}
        self.requests: list[ImageRequest] = []

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        self.requests.extend(requests)
        return [ResolvedImage(r.ref, DIGEST, self.configs.get(r.ref, _config())) for r in requests]


def compile_text(text: str, resolver: Resolver | None = None, **options: Any) -> CompiledBuild:
    return compile_dockerfile(
        parse_dockerfile(text), FrontendOptions(session_id="s1", **options), resolver or Resolver()
    )


def ops(compiled: CompiledBuild) -> list[dict[str, Any]]:
    return json.loads(compiled.definition.to_json())["ops"]  # type: ignore[no-any-return]


def names(compiled: CompiledBuild) -> list[str]:
    found = [op.get("metadata", {}).get("description", {}).get("llb.customname") for op in ops(compiled)]
    return [name for name in found if name]


def config(compiled: CompiledBuild) -> dict[str, Any]:
    return json.loads(compiled.image_config)  # type: ignore[no-any-return]


def history(compiled: CompiledBuild) -> list[str]:
    return [entry.get("created_by", "") for entry in config(compiled)["history"]]


# --- ONBUILD ---------------------------------------------------------------------------------

BASE_WITH_TRIGGERS = "docker.io/library/onbuild-base:latest"


def test_triggers_of_a_base_image_run_first_and_leave_the_config() -> None:
    resolver = Resolver({BASE_WITH_TRIGGERS: _config(on_build=["RUN echo one", "ENV T=1"])})
    compiled = compile_text("FROM onbuild-base\nRUN echo own\nONBUILD RUN echo later\n", resolver)

    steps = names(compiled)
    # The FROM is named before the triggers are counted; every trigger then counts as a step.
    assert steps[0].startswith("[1/2] FROM docker.io/library/onbuild-base:latest@")
    assert steps[1:] == ["[2/4] ONBUILD RUN echo one", "[3/4] RUN echo own"]
    assert config(compiled)["config"]["OnBuild"] == ["RUN echo later"]
    assert "T=1" in config(compiled)["config"]["Env"]
    assert history(compiled)[1:] == [
        "RUN /bin/sh -c echo one # buildkit",
        "ENV T=1",
        "RUN /bin/sh -c echo own # buildkit",
    ]


def test_triggers_of_a_parent_stage_fire_once_in_its_children() -> None:
    compiled = compile_text(
        "FROM busybox AS parent\nONBUILD RUN echo trigger\n"
        "FROM parent AS child\nRUN echo child\n"
        "FROM child\nRUN echo grandchild\n"
    )
    steps = names(compiled)
    assert "[child 1/2] ONBUILD RUN echo trigger" in steps
    assert not any("grandchild" in step and "ONBUILD" in step for step in steps)
    assert history(compiled).count("RUN /bin/sh -c echo trigger # buildkit") == 1
    assert "OnBuild" not in config(compiled)["config"]


def test_a_trigger_copying_from_a_stage_makes_it_reachable() -> None:
    resolver = Resolver({BASE_WITH_TRIGGERS: _config(on_build=["COPY --from=helper /h /h"])})
    compiled = compile_text("FROM debian AS helper\nRUN echo h > /h\nFROM onbuild-base\n", resolver)
    steps = names(compiled)
    assert "[helper 3/2] RUN echo h > /h" in steps  # named after two resolution rounds, as the reference does
    assert "[stage-1 2/2] ONBUILD COPY --from=helper /h /h" in steps
    assert "docker.io/library/debian:latest" in {request.ref for request in resolver.requests}


def test_an_invalid_trigger_is_reported_at_the_from_line() -> None:
    resolver = Resolver({BASE_WITH_TRIGGERS: _config(on_build=["COPY --from=$X a b"])})
    with pytest.raises(DockerfileError) as caught:
        compile_text("ARG X\n\nFROM onbuild-base\nRUN true\n", resolver)
    assert "variable expansion is not supported for --from" in caught.value.message
    assert caught.value.location is not None and caught.value.location.start_line == 3


def test_a_trigger_that_is_two_instructions_is_rejected() -> None:
    resolver = Resolver({BASE_WITH_TRIGGERS: _config(on_build=["RUN a\nRUN b"])})
    with pytest.raises(DockerfileError, match="onbuild trigger should be a single expression"):
        compile_text("FROM onbuild-base\n", resolver)


# --- named contexts --------------------------------------------------------------------------


def test_context_names_are_compared_in_familiar_form() -> None:
    assert context_name("docker.io/library/alpine:latest") == "alpine"
    assert context_name("docker.io/foo/bar:1") == "foo/bar:1"
    assert context_name("ghcr.io/x/y:latest") == "ghcr.io/x/y"
    contexts = {"alpine": NamedContext("alpine", "docker-image://busybox")}
    assert find_context(contexts, "docker.io/library/alpine:latest") is not None
    assert find_context({"scratch": NamedContext("scratch", "docker-image://busybox")}, "scratch") is None
    with pytest.raises(BuildConfigError, match="invalid context name"):
        context_name("Not_Valid")


def test_an_image_context_replaces_a_base_image() -> None:
    contexts = {"alpine": NamedContext("alpine", "docker-image://busybox:latest")}
    compiled = compile_text("FROM alpine\nRUN true\n", named_contexts=contexts)
    sources = [op["op"]["source"]["identifier"] for op in ops(compiled) if "source" in op["op"]]
    # Not pinned by digest, as the reference leaves it; and not a numbered step of its own.
    assert sources == ["docker-image://docker.io/library/busybox:latest"]
    assert names(compiled) == ["[context alpine] busybox:latest", "[1/2] RUN true"]


def test_a_local_context_is_sent_with_its_own_ignore_rules_and_only_what_is_read() -> None:
    contexts = {"extra": NamedContext("extra", "local:extra", ("*.tmp",))}
    compiled = compile_text("FROM busybox\nCOPY --from=extra a.txt /dir/ /dest/\n", named_contexts=contexts)
    local = next(op for op in ops(compiled) if op["op"].get("source", {}).get("identifier") == "local://extra")
    attrs = local["op"]["source"]["attrs"]
    assert attrs["local.sharedkeyhint"] == "context:extra"
    assert json.loads(attrs["local.excludepatterns"]) == ["*.tmp"]
    assert json.loads(attrs["local.followpaths"]) == ["a.txt", "dir"]
    assert local["metadata"]["description"]["llb.customname"] == "[context extra] load from client"


def test_a_context_named_like_a_stage_replaces_the_stage() -> None:
    contexts = {"builder": NamedContext("builder", "local:builder")}
    compiled = compile_text(
        "FROM busybox AS builder\nRUN exit 1\nFROM busybox\nCOPY --from=builder /o /o\n", named_contexts=contexts
    )
    assert not any("exit 1" in name for name in names(compiled))
    assert any(op["op"].get("source", {}).get("identifier") == "local://builder" for op in ops(compiled))


# --- SOURCE_DATE_EPOCH, proxies, syntax ------------------------------------------------------


def test_source_date_epoch_stamps_history_and_workdir() -> None:
    compiled = compile_text("FROM busybox\nWORKDIR /w\nENV A=1\n", build_args={"SOURCE_DATE_EPOCH": "1700000000"})
    created = [entry.get("created") for entry in config(compiled)["history"][1:]]
    assert created == ["2023-11-14T22:13:20Z", "2023-11-14T22:13:20Z"]
    mkdir = next(op for op in ops(compiled) if "file" in op["op"])["op"]["file"]["actions"][0]["mkdir"]
    assert mkdir["timestamp"] == str(1_700_000_000 * 10**9)


def test_a_bad_source_date_epoch_uses_the_engines_words() -> None:
    assert source_date_epoch({}) is None and source_date_epoch({"SOURCE_DATE_EPOCH": ""}) is None
    with pytest.raises(
        BuildConfigError, match=r'invalid source-date-epoch: strconv\.ParseInt: parsing "x": invalid syntax'
    ):
        source_date_epoch({"SOURCE_DATE_EPOCH": "x"})


def test_proxy_build_args_of_any_case_become_the_proxy_env() -> None:
    assert proxy_env({"HTTP_PROXY": "h", "no_proxy": "n", "OTHER": "o"}) == ProxyEnv(http_proxy="h", no_proxy="n")
    assert proxy_env({"OTHER": "o"}) is None


def test_workdir_is_never_marked_to_skip_the_cache() -> None:
    compiled = compile_text("FROM busybox\nWORKDIR /w\nRUN true\n", no_cache=True)
    by_name = {op["metadata"].get("description", {}).get("llb.customname"): op["metadata"] for op in ops(compiled)}
    assert "ignore_cache" not in by_name["[2/3] WORKDIR /w"]
    assert by_name["[3/3] RUN true"].get("ignore_cache") is True


def test_official_syntax_directives_are_accepted_and_others_refused() -> None:
    compile_text("# syntax=docker/dockerfile:1.7-labs\nFROM busybox\n")
    with pytest.raises(DockerfileError, match="asks for the frontend image example/frontend") as caught:
        compile_text("# syntax=example/frontend:1\nFROM busybox\n")
    assert caught.value.location is not None and caught.value.location.start_line == 1
    with pytest.raises(BuildConfigError, match="BUILDKIT_SYNTAX"):
        compile_text("FROM busybox\n", build_args={"BUILDKIT_SYNTAX": "example/frontend"})


# --- metadata instructions -------------------------------------------------------------------


def test_healthcheck_history_is_the_engines_quoted_form() -> None:
    compiled = compile_text(
        "FROM busybox\nHEALTHCHECK --interval=5m --timeout=1500ms --retries=4 CMD curl -f x\n"
        'HEALTHCHECK --retries=65 CMD ["a"]\nHEALTHCHECK NONE\n'
    )
    assert history(compiled)[1:] == [
        'HEALTHCHECK &{["CMD-SHELL" "curl -f x"] "5m0s" "1.5s" "0s" "0s" \'\\x04\'}',
        'HEALTHCHECK &{["CMD" "a"] "0s" "0s" "0s" "0s" \'A\'}',
        'HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" \'\\x00\'}',
    ]


@pytest.mark.parametrize(
    ("signal", "valid"),
    [("SIGTERM", True), ("sigkill", True), ("9", True), ("-1", True), ("+5", True), ("RTMIN+3", True),
     ("rtmax-14", True), ("CLD", True), ("0", False), ("SIGUNUSED", False), ("1x", False), ("", False)],
)  # fmt: skip
def test_stop_signals_are_checked_like_the_engine(signal: str, valid: bool) -> None:
    assert is_valid_signal(signal) is valid


def test_an_invalid_stop_signal_names_its_line() -> None:
    with pytest.raises(DockerfileError, match="invalid signal: SIGNOPE") as caught:
        compile_text("FROM busybox\nSTOPSIGNAL SIGNOPE\n")
    assert caught.value.location is not None and caught.value.location.start_line == 2
    assert config(compile_text("FROM busybox\nSTOPSIGNAL sigterm\n"))["config"]["StopSignal"] == "sigterm"


def test_a_git_context_is_a_checkout_and_a_plain_url_is_refused_at_the_reading_line() -> None:
    contexts = {"repo": NamedContext("repo", "https://example.com/repo.git#v1:sub")}
    compiled = compile_text("FROM busybox\nCOPY --from=repo / /src/\n", named_contexts=contexts)
    git = next(op for op in ops(compiled) if op["op"].get("source", {}).get("identifier", "").startswith("git://"))
    assert git["op"]["source"]["identifier"] == "git://example.com/repo.git#v1:sub"

    contexts = {"page": NamedContext("page", "http://example.com/file.txt")}
    with pytest.raises(DockerfileError, match="invalid argument") as caught:
        compile_text("FROM busybox\n\nCOPY --from=page / /page/\n", named_contexts=contexts)
    assert caught.value.location is not None and caught.value.location.start_line == 3


def test_a_local_context_mounted_by_run_sends_the_mounted_path() -> None:
    contexts = {"tools": NamedContext("tools", "local:tools")}
    compiled = compile_text("FROM busybox\nRUN --mount=from=tools,source=bin,target=/t true\n", named_contexts=contexts)
    local = next(op for op in ops(compiled) if op["op"].get("source", {}).get("identifier") == "local://tools")
    assert json.loads(local["op"]["source"]["attrs"]["local.followpaths"]) == ["bin"]


def test_no_cache_filter_marks_only_the_named_stages() -> None:
    compiled = compile_text(
        "FROM busybox AS Build\nRUN echo b\nFROM busybox\nCOPY --from=build / /b\nRUN echo last\n",
        no_cache_stages=("BUILD",),
    )
    by_name = {op["metadata"].get("description", {}).get("llb.customname"): op["metadata"] for op in ops(compiled)}
    assert by_name["[build 2/2] RUN echo b"].get("ignore_cache") is True
    assert "ignore_cache" not in by_name["[stage-1 3/3] RUN echo last"]


def test_triggers_of_an_image_read_by_copy_from_are_checked_but_never_run() -> None:
    resolver = Resolver({BASE_WITH_TRIGGERS: _config(on_build=["RUN echo never"])})
    compiled = compile_text("FROM busybox\nCOPY --from=onbuild-base /x /x\n", resolver)
    assert not any("never" in name for name in names(compiled))

    resolver = Resolver({BASE_WITH_TRIGGERS: _config(on_build=["COPY --from=$X a b"])})
    with pytest.raises(DockerfileError, match="variable expansion is not supported") as caught:
        compile_text("FROM busybox\n\nCOPY --from=onbuild-base /x /x\n", resolver)
    assert caught.value.location is not None and caught.value.location.start_line == 3


def test_an_image_of_another_worker_platform_is_built_on_that_platform() -> None:
    arm = json.dumps(
        {"architecture": "arm64", "os": "linux", "config": {}, "rootfs": {"diff_ids": ["sha256:" + "2" * 64]}}
    )
    resolver = Resolver({"docker.io/library/armimage:latest": arm.encode()})
    workers = (Platform("linux", "amd64"), Platform("linux", "arm64"))
    compiled = compile_text("FROM armimage\nRUN true\n", resolver, build_platforms=workers)
    platforms = {
        json.dumps(op["op"].get("platform")) for op in ops(compiled) if "exec" in op["op"] or "source" in op["op"]
    }
    assert platforms == {json.dumps({"Architecture": "arm64", "OS": "linux"})}
    # An explicit --platform wins.
    compiled = compile_text("FROM armimage\nRUN true\n", resolver, build_platforms=workers, target_platform=workers[0])
    assert all(op["op"].get("platform", {}).get("Architecture") != "arm64" for op in ops(compiled))


def test_a_local_context_as_a_base_carries_the_stage_platform() -> None:
    # The reference loads a named context used by FROM and sets the stage platform on its state
    # (dockerfile2llb: `d.state = st.Platform(*platform)`), so the steps on it carry the platform
    # as they do on an image base (issue 10: the LLB must be the reference's in that role).
    contexts = {"base": NamedContext("base", "local:rootfs")}
    arm = Platform("linux", "arm64")
    on_local = ops(compile_text("FROM base\nRUN true\n", named_contexts=contexts, target_platform=arm))
    on_image = ops(compile_text("FROM busybox\nRUN true\n", target_platform=arm))
    local = next(op for op in on_local if op["op"].get("source", {}).get("identifier") == "local://rootfs")
    assert local["op"]["source"]["attrs"]["local.sharedkeyhint"] == "context:base"
    run_on_local = next(op["op"] for op in on_local if "exec" in op["op"])
    run_on_image = next(op["op"] for op in on_image if "exec" in op["op"])
    assert run_on_local["platform"] == run_on_image["platform"] == {"Architecture": "arm64", "OS": "linux"}
