"""Check results rendered like `docker buildx build --check`: order, summary, snippets, errors."""

from __future__ import annotations

from buildwright.frontend.lint import render_error, render_findings, run_lint, snippet
from buildwright.location import SourceRange

TEXT = "FROM busybox AS Upper\nMAINTAINER me\nCMD run\n"


def test_report_shape() -> None:
    report = render_findings(run_lint(TEXT), "ctx/Dockerfile")
    assert report.startswith("Check complete, 3 warnings have been found!\n\nWARNING: StageNameCasing - https://")
    assert (
        "\nWARNING: MaintainerDeprecated - https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/\n"
        "Maintainer instruction is deprecated in favor of using label\n"
        "ctx/Dockerfile:2\n"
        "--------------------\n"
        "   1 |     FROM busybox AS Upper\n"
        "   2 | >>> MAINTAINER me\n"
        "   3 |     CMD run\n"
        "   4 |     \n"
        "--------------------\n"
    ) in report


def test_findings_are_ordered_by_line() -> None:
    # Stage-level rules are found before instruction rules, but the report goes by line.
    result = run_lint("FROM busybox\nCMD a\nFROM busybox AS Late\n")
    assert [f.rule.name for f in result.findings] == ["StageNameCasing", "JSONArgsRecommended"]
    report = render_findings(result, "Dockerfile")
    assert report.index("JSONArgsRecommended") < report.index("StageNameCasing")


def test_no_findings() -> None:
    assert (
        render_findings(run_lint('FROM busybox\nCMD ["a"]\n'), "Dockerfile") == "Check complete, no warnings found.\n"
    )


def test_single_finding_wording() -> None:
    assert render_findings(run_lint("FROM busybox AS A\n"), "D").startswith("Check complete, 1 warning has been found!")


def test_error_with_snippet_and_blank_line_after_findings() -> None:
    result = run_lint("FROM busybox\nMAINTAINER me\nRUNN x\n")
    assert render_findings(result, "Dockerfile").endswith("--------------------\n\n")
    error = render_error(result, "Dockerfile")
    assert error.startswith("dockerfile parse error on line 3: unknown instruction: RUNN (did you mean RUN?)\n")
    assert "   3 | >>> RUNN x\n" in error


def test_snippet_widens_by_four_lines_around_one_line_and_two_around_a_range() -> None:
    data = "".join(f"line{n}\n" for n in range(1, 11)).encode()
    one = snippet(data, "F", SourceRange("F", 5, 5))
    assert [row.split("|")[0].strip() for row in one.splitlines()[2:-1]] == ["3", "4", "5", "6", "7"]
    many = snippet(data, "F", SourceRange("F", 5, 6))
    assert [row.split("|")[0].strip() for row in many.splitlines()[2:-1]] == ["4", "5", "6", "7"]
    first = snippet(data, "F", SourceRange("F", 1, 1))
    assert [row.split("|")[0].strip() for row in first.splitlines()[2:-1]] == ["1", "2", "3"]
