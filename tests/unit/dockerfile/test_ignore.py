"""`.dockerignore` reading and moby/patternmatcher semantics."""

from __future__ import annotations

import pytest

from buildwright.dockerfile.ignore import MatchInfo, PatternError, PatternMatcher, read_ignore_patterns
from buildwright.errors import DockerfileError


def test_read_patterns() -> None:
    data = b"\xef\xbb\xbf# comment\n  # not a comment\n\n ./foo/ \n/abs\n!  keep\n a/../b \n/\n*.log\r\n"
    assert read_ignore_patterns(data) == ("# not a comment", "foo", "abs", "!keep", "b", "/", "*.log")


def test_read_patterns_too_long_line() -> None:
    with pytest.raises(DockerfileError) as info:
        read_ignore_patterns(b"ok\n" + b"x" * 70000 + b"\n", "ctx/.dockerignore")
    assert info.value.location is not None and info.value.location.start_line == 2
    assert info.value.message == "failed parsing ctx/.dockerignore: bufio.Scanner: token too long"


CASES = [
    (["*.log"], "a.log", True),
    (["*.log"], "sub/a.log", False),
    (["**/*.log"], "sub/deep/a.log", True),
    (["**/*.log"], "a.log", True),
    (["node_modules"], "node_modules/x/y.js", True),
    (["node_modules/*"], "node_modules", False),
    (["node_modules/*"], "node_modules/a", True),
    (["**/foo"], "foo", True),
    (["**/foo"], "a/b/foo", True),
    (["a/**/b"], "a/b", True),
    (["a/**/b"], "a/x/y/b", True),
    (["a/**"], "a/anything/deep", True),
    (["*", "!src"], "src/main.go", False),
    (["*", "!src"], "other", True),
    (["!src", "*"], "src/main.go", True),
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs", "!docs/README.md"], "docs/other.md", True),
    (["f?o"], "fao", True),
    (["f?o"], "f/o", False),
    (["[a-c]x"], "bx", True),
    (["[a-c]x"], "dx", False),
    (["a\\*b"], "a*b", True),
    (["a\\*b"], "axb", False),
    (["a.b"], "axb", False),
    (["a+b"], "a+b", True),
    (["./foo/"], "foo/bar", True),
]


@pytest.mark.parametrize(("patterns", "path", "excluded"), CASES)
def test_matches_or_parent_matches(patterns: list[str], path: str, excluded: bool) -> None:
    assert PatternMatcher(patterns).matches_or_parent_matches(path) is excluded


@pytest.mark.parametrize(("patterns", "path", "excluded"), CASES)
def test_walk_results_agree(patterns: list[str], path: str, excluded: bool) -> None:
    matcher = PatternMatcher(patterns)
    info = MatchInfo()
    parts = path.split("/")
    result = False
    for depth in range(1, len(parts) + 1):
        result, info = matcher.matches_using_parent_results("/".join(parts[:depth]), info)
    assert result is excluded


def test_deprecated_matches_checks_one_parent_level() -> None:
    matcher = PatternMatcher(["a"])
    assert matcher.matches("a/b/c")
    assert not PatternMatcher(["a/b"]).matches("x/a/b/c")


def test_exclusions_info() -> None:
    matcher = PatternMatcher(["docs", "!**/*.go", "  "])
    assert matcher.has_exclusions
    assert [(str(p), p.exclusion) for p in matcher.patterns] == [("docs", False), ("**/*.go", True)]
    assert not PatternMatcher(["a"]).has_exclusions


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("!", 'illegal exclusion pattern: "!"'),
        ("[", "syntax error in pattern"),
        ("a[b-]", "syntax error in pattern"),
        ("x\\", "syntax error in pattern"),
    ],
)
def test_invalid_patterns(pattern: str, message: str) -> None:
    with pytest.raises(PatternError) as info:
        PatternMatcher([pattern])
    assert info.value.message == message


def test_parent_match_info_length_checked() -> None:
    with pytest.raises(PatternError, match="wrong number of values"):
        PatternMatcher(["a"]).matches_using_parent_results("a", MatchInfo((True, False)))


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("[^a]x", "bx", True),
        ("[^a]x", "ax", False),
        ("a^b", "a^b", True),
        ("a^b*", "a^bc", False),
        ("x[!]]", "x!]", True),
        ("\\d", "5", True),
    ],
)
def test_go_regex_quirks(pattern: str, path: str, excluded: bool) -> None:
    # Bracket and escape text is handed to the regex engine as Go does, quirks included.
    assert PatternMatcher([pattern]).matches_or_parent_matches(path) is excluded
