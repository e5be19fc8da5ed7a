"""Each build-check rule on small Dockerfiles: one that must be reported and one that must not.

Runs need no engine: base images are served by a fake resolver (or count as empty without one).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace

import pytest

from buildwright.dockerfile import Dockerfile, parse_dockerfile
from buildwright.errors import BuildwrightError, DockerfileError
from buildwright.frontend import FrontendOptions, compile_dockerfile
from buildwright.frontend.lint import LintOptions, LintResult, StageRules, run_lint
from buildwright.frontend.resolver import ImageRequest, ResolvedImage
from buildwright.llb.platform import Platform


class FakeImages:
    """Answers every request with a config built from `env`, `shell`, `onbuild` and a platform."""

    def __init__(
        self,
        env: Sequence[str] = ("PATH=/usr/bin:/bin",),
        shell: Sequence[str] = (),
        onbuild: Sequence[str] = (),
        os: str = "linux",
        arch: str = "amd64",
    ) -> None:
        self.config = {
            "os": os,
            "architecture": arch,
            "config": {"Env": list(env), "Shell": list(shell) or None, "OnBuild": list(onbuild) or None},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
            "history": [{"created_by": "base"}],
        }
        self.requests: list[ImageRequest] = []

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        self.requests.extend(requests)
        data = json.dumps(self.config).encode()
        return [ResolvedImage(request.ref, "sha256:" + "1" * 64, data) for request in requests]


def lint(
    text: str,
    *,
    images: FakeImages | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    ignore: Sequence[str] = (),
    platform: str | None = None,
) -> LintResult:
    options = LintOptions(
        target=target,
        build_args=dict(build_args or {}),
        ignore_patterns=tuple(ignore),
        target_platform=Platform.parse(platform) if platform else None,
        all_stages=target is None,
    )
    result = run_lint(text, "Dockerfile", options, images)
    # A build hands the checks its parsed Dockerfile: they must find exactly the same.
    try:
        parsed = parse_dockerfile(text)
    except DockerfileError:
        return result
    asked = len(images.requests) if images is not None else 0
    shared = run_lint(text, "Dockerfile", options, images, parsed=parsed)
    assert (shared.findings, shared.error_phase, str(shared.error)) == (
        result.findings,
        result.error_phase,
        str(result.error),
    )
    _build_finds_the_same(text, parsed, replace(options, all_stages=False), images)
    if images is not None:
        del images.requests[asked:]
    return result


class _EmptyImages:
    """What the checks assume without an engine: every base image an empty config."""

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        return [ResolvedImage(request.ref, "", b"{}") for request in requests]


def _build_finds_the_same(text: str, parsed: Dockerfile, options: LintOptions, images: FakeImages | None) -> None:
    # A build compiles with the rules firing and hands them over: its checks walk nothing again
    # and must report what a check of the same target reports.
    alone = run_lint(text, "Dockerfile", options, images, parsed=parsed)
    rules = StageRules(options.ignore_patterns)
    frontend = FrontendOptions(
        target=options.target,
        build_args=options.build_args,
        ignore_patterns=options.ignore_patterns,
        target_platform=options.target_platform,
    )
    with contextlib.suppress(BuildwrightError):  # the rules fired up to the failure are kept
        compile_dockerfile(parsed, frontend, images or _EmptyImages(), rules=rules)
    built = run_lint(text, "Dockerfile", options, images, parsed=parsed, dispatched=rules)
    assert built.findings == alone.findings


def found(result: LintResult, rule: str | None = None) -> list[tuple[str, str, int]]:
    return [
        (f.rule.name, f.message, f.location.start_line if f.location else 0)
        for f in result.findings
        if rule is None or f.rule.name == rule
    ]


def test_stage_name_casing() -> None:
    assert found(lint("FROM busybox AS Builder\n"), "StageNameCasing") == [
        ("StageNameCasing", "Stage name 'Builder' should be lowercase", 1)
    ]
    assert found(lint("FROM busybox AS builder\n"), "StageNameCasing") == []


def test_from_as_casing() -> None:
    assert found(lint("FROM busybox as base\n"), "FromAsCasing") == [
        ("FromAsCasing", "'as' and 'FROM' keywords' casing do not match", 1)
    ]
    assert found(lint("from busybox AS base\n"), "FromAsCasing") == [
        ("FromAsCasing", "'AS' and 'from' keywords' casing do not match", 1)
    ]
    # A mixed-case FROM is left to ConsistentInstructionCasing.
    assert found(lint("From busybox as base\n"), "FromAsCasing") == []
    assert found(lint("from busybox as base\n"), "FromAsCasing") == []


def test_no_empty_continuation() -> None:
    result = lint("FROM busybox\nRUN echo a \\\n\n  && echo b\n")
    assert found(result, "NoEmptyContinuation") == [("NoEmptyContinuation", "Empty continuation line", 4)]
    assert found(lint("FROM busybox\nRUN echo a \\\n  && echo b\n"), "NoEmptyContinuation") == []


def test_consistent_instruction_casing_follows_the_majority() -> None:
    result = lint("FROM busybox\nrun true\nRUN true\nCopy a /b\n")
    assert found(result, "ConsistentInstructionCasing") == [
        ("ConsistentInstructionCasing", "Command 'run' should match the case of the command majority (uppercase)", 2),
        ("ConsistentInstructionCasing", "Command 'Copy' should match the case of the command majority (uppercase)", 4),
    ]
    lower = lint("from busybox\nrun true\nENV a=b\n")
    assert found(lower, "ConsistentInstructionCasing") == [
        ("ConsistentInstructionCasing", "Command 'ENV' should match the case of the command majority (lowercase)", 3)
    ]
    assert found(lint("FROM busybox\nRUN true\n"), "ConsistentInstructionCasing") == []


def test_duplicate_and_reserved_stage_names() -> None:
    result = lint("FROM busybox AS scratch\nFROM busybox AS app\nFROM busybox AS app\n")
    assert found(result, "ReservedStageName") == [
        ("ReservedStageName", 'Stage name should not use the same name as reserved stage "scratch"', 1)
    ]
    assert found(result, "DuplicateStageName") == [
        ("DuplicateStageName", 'Duplicate stage name "app", stage names should be unique', 3)
    ]
    clean = lint("FROM busybox AS one\nFROM busybox AS two\n")
    assert found(clean, "ReservedStageName") == found(clean, "DuplicateStageName") == []


def test_json_args_recommended_unless_a_shell_is_set() -> None:
    result = lint("FROM busybox\nCMD run-it\nENTRYPOINT start\n")
    assert [line for _, _, line in found(result, "JSONArgsRecommended")] == [2, 3]
    assert found(result)[0][1] == (
        "JSON arguments recommended for CMD to prevent unintended behavior related to OS signals"
    )
    assert found(lint('FROM busybox\nCMD ["run-it"]\n'), "JSONArgsRecommended") == []
    # A SHELL in the stage, in a parent stage or in the base image silences it.
    assert found(lint('FROM busybox\nSHELL ["/bin/ash", "-c"]\nCMD run-it\n'), "JSONArgsRecommended") == []
    assert found(lint('FROM busybox AS a\nSHELL ["sh", "-c"]\nFROM a\nCMD x\n'), "JSONArgsRecommended") == []
    with_shell = FakeImages(shell=["/bin/bash", "-c"])
    assert found(lint("FROM busybox\nCMD run-it\n", images=with_shell), "JSONArgsRecommended") == []


def test_maintainer_deprecated() -> None:
    assert found(lint("FROM busybox\nMAINTAINER someone\n"), "MaintainerDeprecated") == [
        ("MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label", 2)
    ]
    assert found(lint('FROM busybox\nLABEL org.opencontainers.image.authors="someone"\n'), "MaintainerDeprecated") == []


def test_undefined_arg_in_from_with_suggestion() -> None:
    result = lint("ARG VERSION=1\nFROM busybox:$VERSON\n")
    assert found(result, "UndefinedArgInFrom") == [
        ("UndefinedArgInFrom", "FROM argument 'VERSON' is not declared (did you mean VERSION?)", 2)
    ]
    # Declared without a value, or predefined: not reported.
    assert found(lint("ARG TAG\nFROM busybox${TAG:+:}${TAG}\n"), "UndefinedArgInFrom") == []
    assert found(lint("FROM --platform=$BUILDPLATFORM busybox\n"), "UndefinedArgInFrom") == []


def test_workdir_relative_path_only_before_an_absolute_one() -> None:
    result = lint("FROM busybox\nWORKDIR app\nWORKDIR sub\n")
    assert found(result, "WorkdirRelativePath") == [
        ("WorkdirRelativePath", 'Relative workdir "app" can have unexpected results if the base image changes', 2)
    ]
    assert found(lint("FROM busybox\nWORKDIR /app\nWORKDIR sub\n"), "WorkdirRelativePath") == []
    assert found(lint("FROM busybox AS a\nWORKDIR /app\nFROM a\nWORKDIR sub\n"), "WorkdirRelativePath") == []


def test_undefined_var_in_expanded_fields() -> None:
    text = (
        "FROM busybox\n"
        "ARG DECLARED\n"
        "ENV A=$DECLARED B=$PATHH\n"
        "COPY $SRC /dst\n"
        "RUN echo $NOT_EXPANDED_BY_THE_BUILDER\n"
        "ENV C=${UNSET:-default}\n"
    )
    result = lint(text)
    assert found(result, "UndefinedVar") == [
        ("UndefinedVar", "Usage of undefined variable '$PATHH' (did you mean $PATH?)", 3),
        ("UndefinedVar", "Usage of undefined variable '$SRC'", 4),
        ("UndefinedVar", "Usage of undefined variable '$UNSET'", 6),
    ]


def test_undefined_var_sees_base_image_env_and_onbuild_triggers() -> None:
    images = FakeImages(env=["PATH=/bin", "HOME=/root"], onbuild=["ENV X=$FROM_TRIGGER"])
    result = lint("FROM busybox\nENV A=$HOME\n", images=images)
    assert found(result, "UndefinedVar") == [("UndefinedVar", "Usage of undefined variable '$FROM_TRIGGER'", 1)]


def test_undefined_var_in_arg_default_only_when_the_default_is_used() -> None:
    text = "FROM busybox\nARG A=$MISSING\n"
    assert [line for _, _, line in found(lint(text), "UndefinedVar")] == [2]
    assert found(lint(text, build_args={"A": "given"}), "UndefinedVar") == []


def test_multiple_instructions_disallowed_reports_the_earlier_one() -> None:
    result = lint('FROM busybox\nCMD ["a"]\nCMD ["b"]\nHEALTHCHECK NONE\nHEALTHCHECK NONE\n')
    assert found(result, "MultipleInstructionsDisallowed") == [
        (
            "MultipleInstructionsDisallowed",
            "Multiple CMD instructions should not be used in the same stage because only the last one will be used",
            2,
        ),
        (
            "MultipleInstructionsDisallowed",
            "Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will "
            "be used",
            4,
        ),
    ]
    # Each stage has its own CMD.
    assert found(lint('FROM busybox AS a\nCMD ["a"]\nFROM a\nCMD ["b"]\n'), "MultipleInstructionsDisallowed") == []


def test_legacy_key_value_format() -> None:
    result = lint("FROM busybox\nENV key value\nLABEL k v\n")
    assert found(result, "LegacyKeyValueFormat") == [
        ("LegacyKeyValueFormat", '"ENV key=value" should be used instead of legacy "ENV key value" format', 2),
        ("LegacyKeyValueFormat", '"LABEL key=value" should be used instead of legacy "LABEL key value" format', 3),
    ]
    assert found(lint("FROM busybox\nENV key=value\nLABEL k=v\n"), "LegacyKeyValueFormat") == []


def test_invalid_base_image_platform() -> None:
    arm = FakeImages(arch="arm64")
    result = lint("FROM busybox\n", images=arm, platform="linux/amd64")
    assert found(result, "InvalidBaseImagePlatform") == [
        (
            "InvalidBaseImagePlatform",
            'Base image busybox was pulled with platform "linux/arm64", expected "linux/amd64" for current build',
            1,
        )
    ]
    assert found(lint("FROM busybox\n", images=FakeImages(), platform="linux/amd64"), "InvalidBaseImagePlatform") == []


def test_redundant_target_platform() -> None:
    result = lint("FROM --platform=$TARGETPLATFORM busybox\n")
    assert found(result, "RedundantTargetPlatform") == [
        (
            "RedundantTargetPlatform",
            "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
            1,
        )
    ]
    assert found(lint("FROM --platform=$BUILDPLATFORM busybox\n"), "RedundantTargetPlatform") == []


@pytest.mark.parametrize(
    ("key", "reported"),
    [
        ("API_KEY", True),
        ("github_token", True),
        ("PASSWORD", True),
        ("my_secret_value", True),
        ("PUBLIC_KEY", False),
        ("KEYBOARD", False),
        ("monkey", False),
    ],
)
def test_secrets_used_in_arg_or_env(key: str, reported: bool) -> None:
    result = lint(f"FROM busybox\nARG {key}\nENV {key}=x\n")
    expected = [
        ("SecretsUsedInArgOrEnv", f'Do not use ARG or ENV instructions for sensitive data (ARG "{key}")', 2),
        ("SecretsUsedInArgOrEnv", f'Do not use ARG or ENV instructions for sensitive data (ENV "{key}")', 3),
    ]
    assert found(result, "SecretsUsedInArgOrEnv") == (expected if reported else [])


def test_invalid_default_arg_in_from() -> None:
    result = lint("ARG TAG\nFROM busybox:${TAG}\n", build_args={"TAG": "latest"})
    assert found(result, "InvalidDefaultArgInFrom") == [
        (
            "InvalidDefaultArgInFrom",
            "Default value for ARG busybox:${TAG} results in empty or invalid base image name",
            2,
        )
    ]
    assert found(lint("ARG TAG=latest\nFROM busybox:${TAG}\n"), "InvalidDefaultArgInFrom") == []


def test_from_platform_flag_const_disallowed() -> None:
    result = lint("FROM --platform=linux/amd64 busybox AS build\n")
    assert found(result, "FromPlatformFlagConstDisallowed") == [
        ("FromPlatformFlagConstDisallowed", 'FROM --platform flag should not use constant value "linux/amd64"', 1)
    ]
    # The stage name says which platform it is for.
    assert found(lint("FROM --platform=linux/amd64 busybox AS build-amd64\n"), "FromPlatformFlagConstDisallowed") == []


def test_copy_ignored_file_is_experimental() -> None:
    text = "# check=experimental=CopyIgnoredFile\nFROM busybox\nCOPY secret.txt /a\nADD dir/file /b\nCOPY kept /c\n"
    result = lint(text, ignore=["secret.txt", "dir"])
    assert found(result, "CopyIgnoredFile") == [
        ("CopyIgnoredFile", 'Attempting to Copy file "secret.txt" that is excluded by .dockerignore', 3),
        ("CopyIgnoredFile", 'Attempting to Add file "dir/file" that is excluded by .dockerignore', 4),
    ]
    # Not enabled: nothing; COPY --from reads another stage, not the context.
    assert found(lint(text.split("\n", 1)[1], ignore=["secret.txt"]), "CopyIgnoredFile") == []
    from_stage = "# check=experimental=all\nFROM busybox AS a\nFROM busybox\nCOPY --from=a secret.txt /a\n"
    assert found(lint(from_stage, ignore=["secret.txt"]), "CopyIgnoredFile") == []


def test_invalid_definition_description_is_experimental() -> None:
    text = (
        "# check=experimental=InvalidDefinitionDescription\n\n# the base\nFROM busybox AS base\n# base what\nARG X=1\n"
    )
    result = lint(text)
    assert found(result, "InvalidDefinitionDescription") == [
        ("InvalidDefinitionDescription", "Comment for FROM should follow the format: `# base <description>`", 4),
        ("InvalidDefinitionDescription", "Comment for ARG should follow the format: `# X <description>`", 6),
    ]
    good = "# check=experimental=all\n\n# base the base stage\nFROM busybox AS base\n"
    assert found(lint(good), "InvalidDefinitionDescription") == []


def test_expose_rules() -> None:
    result = lint("FROM busybox\nEXPOSE 80/TCP 8080:80 53/udp\n")
    assert found(result, "ExposeProtoCasing") == [
        ("ExposeProtoCasing", "Defined protocol '80/TCP' in EXPOSE instruction should be lowercase", 2)
    ]
    assert found(result, "ExposeInvalidFormat") == [
        (
            "ExposeInvalidFormat",
            "EXPOSE instruction should not define an IP address or host-port mapping, found '8080:80'",
            2,
        )
    ]
    assert found(lint("FROM busybox\nEXPOSE 80 443/tcp\n")) == []


def test_target_limits_dispatch_to_the_stages_it_needs() -> None:
    text = "FROM busybox AS a\nENV x=$undefined_a\nFROM busybox AS b\nENV y=$undefined_b\n"
    assert [line for _, _, line in found(lint(text), "UndefinedVar")] == [2, 4]
    assert [line for _, _, line in found(lint(text, target="a"), "UndefinedVar")] == [2]


def test_parse_error_keeps_the_findings_before_it() -> None:
    result = lint("FROM busybox\nMAINTAINER me\nRUNN x\n")
    assert found(result) == [
        ("MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label", 2)
    ]
    assert result.error is not None
    assert "unknown instruction: RUNN" in str(result.error)
    assert result.error_phase == "parse"


def test_bad_from_stops_before_dispatch() -> None:
    result = lint("FROM busybox AS Upper\nFROM $MISSING\nENV a b\n")
    assert [name for name, _, _ in found(result)] == [
        "StageNameCasing",
        "InvalidDefaultArgInFrom",
        "UndefinedArgInFrom",
    ]
    assert result.error is not None and "base name ($MISSING) should not be blank" in str(result.error)


def test_resolver_is_asked_once_per_image() -> None:
    images = FakeImages()
    lint("FROM busybox AS a\nFROM busybox AS b\nFROM a\n", images=images)
    assert [request.ref for request in images.requests] == ["docker.io/library/busybox:latest"]


def test_bases_named_by_build_contexts_are_not_looked_up_as_images() -> None:
    from buildwright.frontend.contexts import NamedContext

    images = FakeImages()
    contexts = {
        "base": NamedContext("base", "local:base"),
        "tools": NamedContext("tools", "docker-image://busybox:1.36"),
    }
    options = LintOptions(all_stages=True, named_contexts=contexts)
    result = run_lint("FROM base\nFROM tools\nFROM alpine AS tools2\n", "Dockerfile", options, images)
    assert result.error is None
    assert [request.ref for request in images.requests] == [
        "docker.io/library/busybox:1.36",
        "docker.io/library/alpine:latest",
    ]
