"""A full check: lint findings plus the error compiling the stages would hit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from buildwright.frontend import FrontendOptions
from buildwright.frontend.lint import CachingResolver, LintOptions, check_dockerfile
from buildwright.frontend.resolver import ImageRequest, ResolvedImage
from tests.unit.frontend.test_lint_rules import FakeImages


def check(text: str, resolver: FakeImages | None, **options: Any) -> tuple[list[int], str | None]:
    result = check_dockerfile(
        text.encode(),
        "Dockerfile",
        LintOptions(**options),
        FrontendOptions(),
        resolver,
    )
    lines = [f.location.start_line for f in result.findings if f.location is not None]
    return lines, (str(result.error) if result.error is not None else None)


def test_conversion_error_drops_findings_after_the_failing_instruction() -> None:
    text = 'FROM busybox\nENV a=$one\nVOLUME ""\nENV b=$two\n'
    lines, error = check(text, FakeImages())
    assert lines == [2]
    assert error == "Dockerfile:3: VOLUME specified can not be an empty string"


def test_without_an_engine_base_images_are_empty() -> None:
    # The stages are still dispatched (the checks fire as they are): the conversion error stops them.
    lines, error = check('FROM busybox\nENV a=$one\nVOLUME ""\nENV b=$two\n', None)
    assert lines == [2]
    assert error == "Dockerfile:3: VOLUME specified can not be an empty string"
    # No engine, no base image env: PATH is the default one and nothing else is set.
    assert check("FROM busybox\nENV a=$PATH$HOME\n", None) == ([2], None)


def test_error_true_turns_findings_into_an_error() -> None:
    lines, error = check("# check=error=true\nFROM busybox\nCMD run\n", FakeImages())
    assert lines == [3]
    assert error == "lint violation found for rules: JSONArgsRecommended"
    assert check('# check=error=true\nFROM busybox\nCMD ["run"]\n', FakeImages()) == ([], None)


def test_unreached_named_stages_are_compiled_too() -> None:
    text = 'FROM busybox AS broken\nVOLUME ""\nFROM busybox\nCMD ["x"]\n'
    assert check(text, FakeImages())[1] == "Dockerfile:2: VOLUME specified can not be an empty string"
    assert check(text, FakeImages(), target="broken", all_stages=False)[1] is not None


class CountingResolver:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        self.calls.append([request.ref for request in requests])
        return [ResolvedImage(request.ref, "", b"{}") for request in requests]


def test_caching_resolver_asks_once_per_request() -> None:
    inner = CountingResolver()
    cached = CachingResolver(inner)
    a, b = ImageRequest("docker.io/library/a:latest"), ImageRequest("docker.io/library/b:latest")
    assert [r.ref for r in cached.resolve_image_configs([a, b, a])] == [a.ref, b.ref, a.ref]
    assert [r.ref for r in cached.resolve_image_configs([b])] == [b.ref]
    assert inner.calls == [[a.ref, b.ref]]


def test_a_build_hands_over_the_rules_its_compilation_fired() -> None:
    from buildwright.dockerfile import parse_dockerfile
    from buildwright.frontend import compile_dockerfile
    from buildwright.frontend.lint import StageRules, run_lint

    text = "FROM busybox AS Base\nENV a=$one\nCMD run\n"
    parsed = parse_dockerfile(text)
    options = LintOptions(all_stages=False)
    # The stages are not dispatched again: rules nobody fired report nothing.
    untouched = run_lint(text, "Dockerfile", options, FakeImages(), parsed, dispatched=StageRules())
    assert [f.rule.name for f in untouched.findings] == ["StageNameCasing"]
    rules = StageRules()
    compile_dockerfile(parsed, FrontendOptions(), CachingResolver(FakeImages()), rules=rules)
    built = run_lint(text, "Dockerfile", options, FakeImages(), parsed, dispatched=rules)
    # Findings of the whole-file phases first, then those made during dispatch, in order.
    assert [(f.rule.name, f.location.start_line if f.location else 0) for f in built.findings] == [
        ("StageNameCasing", 1),
        ("UndefinedVar", 2),
        ("JSONArgsRecommended", 3),
    ]
