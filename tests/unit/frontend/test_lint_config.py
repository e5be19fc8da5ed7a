"""The check configuration: `# check=` directive and `BUILDKIT_DOCKERFILE_CHECK` grammar."""

from __future__ import annotations

import pytest

from buildwright.errors import BuildConfigError, DockerfileError
from buildwright.frontend.lint import (
    CheckConfig,
    CheckConfigError,
    LintOptions,
    parse_check_config,
    read_check_config,
    run_lint,
)
from buildwright.frontend.lint.rules import COPY_IGNORED_FILE, JSON_ARGS_RECOMMENDED, STAGE_NAME_CASING


def test_empty_means_every_stable_rule() -> None:
    config = parse_check_config("  ")
    assert config == CheckConfig()
    assert config.enabled(STAGE_NAME_CASING)
    assert not config.enabled(COPY_IGNORED_FILE)


def test_skip_error_and_experimental() -> None:
    config = parse_check_config("skip=StageNameCasing, JSONArgsRecommended;error=true;experimental=CopyIgnoredFile")
    assert not config.enabled(STAGE_NAME_CASING)
    assert not config.enabled(JSON_ARGS_RECOMMENDED)
    assert config.enabled(COPY_IGNORED_FILE)
    assert config.error


def test_all_keywords() -> None:
    config = parse_check_config("skip=all;experimental=all")
    assert not config.enabled(STAGE_NAME_CASING)
    # Skipping does not apply to experimental rules that were asked for.
    assert config.enabled(COPY_IGNORED_FILE)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo=bar", 'invalid check option "foo"'),
        ("skip", 'invalid check option "skip"'),
        (
            "error=maybe",
            'failed to parse check option "error=maybe": strconv.ParseBool: parsing "maybe": invalid syntax',
        ),
    ],
)
def test_errors_use_the_reference_wording(text: str, message: str) -> None:
    with pytest.raises(CheckConfigError) as info:
        parse_check_config(text)
    assert str(info.value) == message


def test_error_accepts_go_booleans() -> None:
    assert parse_check_config("error=1").error
    assert parse_check_config("error=T").error
    assert not parse_check_config("error=False").error


def test_build_argument_replaces_the_directive() -> None:
    source = "# check=skip=all\nFROM busybox AS Upper\n"
    assert read_check_config(source, {}).skip_all
    assert not read_check_config(source, {"BUILDKIT_DOCKERFILE_CHECK": ""}).skip_all
    result = run_lint(source)
    assert result.findings == ()
    overridden = run_lint(source, options=LintOptions(build_args={"BUILDKIT_DOCKERFILE_CHECK": "error=false"}))
    assert [f.rule.name for f in overridden.findings] == ["StageNameCasing"]


def test_bad_configuration_errors() -> None:
    with pytest.raises(DockerfileError, match='failed to parse check options: invalid check option "x"'):
        read_check_config("# check=x=1\nFROM busybox\n", {})
    with pytest.raises(BuildConfigError, match="failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK"):
        read_check_config("FROM busybox\n", {"BUILDKIT_DOCKERFILE_CHECK": "x=1"})


def test_violation_error_lists_rules_once_in_order() -> None:
    result = run_lint("# check=error=true\nFROM busybox AS A\nFROM busybox AS B\nCMD x\n")
    assert result.violation_error() == "lint violation found for rules: StageNameCasing, JSONArgsRecommended"
    assert run_lint("FROM busybox AS A\n").violation_error() is None
