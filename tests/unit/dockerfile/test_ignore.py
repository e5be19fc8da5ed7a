"""`.dockerignore` reading and moby/patternmatcher semantics."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

import pytest

from buildwright.dockerfile.ignore import MatchInfo, PatternError, PatternMatcher, _safe_match, read_ignore_patterns
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


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("\\11", "\t", True),  # Go reads `\11` as an octal escape
        ("\\x41*", "AB", True),
        ("[[:digit:]]x", "5x", True),
        ("[[:digit:]]x", "ax", False),
        ("[[:bogus:]]", "a", "error"),
        ("\\pLx", "éx", True),
        ("\\pLx", "1x", False),
        ("\\p{Greek}", "a", "error"),  # `{` is escaped: `\\p\\{` names no category
        ("[\\b]", "\b", "error"),  # Go has no backspace escape in classes
        ("[\\w-a]", "-", True),  # after a class escape, `-` is literal
        ("\\Qa*\\E", "a[^/]*", True),  # `\Q` quotes the translation itself
        ("a\\bb*", "ab", False),
        ("a*\\b", "ab", True),
        ("[*]x", "/x", False),
    ],
)
def test_go_regexp_syntax(pattern: str, path: str, excluded: bool | str) -> None:
    matcher = PatternMatcher([pattern])
    if excluded == "error":
        with pytest.raises(PatternError):
            matcher.matches_or_parent_matches(path)
        return
    assert matcher.matches_or_parent_matches(path) is excluded


def test_invalid_utf8_reads_as_replacement_character() -> None:
    # Go's regexp decodes an invalid byte as U+FFFD on both sides, as the scanner does for the pattern.
    matcher = PatternMatcher(read_ignore_patterns(b"caf\xe9*\n"))
    assert matcher.matches_or_parent_matches("caf\udce9.txt")
    assert matcher.matches_or_parent_matches("caf\udce8.txt")
    assert matcher.matches_or_parent_matches("caf\ufffd")
    assert not matcher.matches_or_parent_matches("café.txt")
    exact = PatternMatcher(read_ignore_patterns(b"caf\xe9\n"))
    assert exact.matches_or_parent_matches("caf\udce9")
    assert not exact.matches_or_parent_matches("caf\udce8")


@contextlib.contextmanager
def _hang_limit(seconds: float) -> Iterator[None]:
    # A generous bound: the backtracking matcher took minutes on these inputs.
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"matching took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    ("pattern", "paths"),
    [
        ("*a*a*a*a*a*a*a*a*a*a*a*ab", [f"dir/{'a' * 30}{i}" for i in range(10)]),
        ("*a" * 14 + "b", [f"{'a' * 30}{i}" for i in range(10)]),
        ("*a" * 250 + "b", ["a" * 400 + "1"]),
        ("**/" * 8 + "x", ["/".join(["d"] * 30) + "/y"]),
        ("**/" * 100 + "*a" * 20 + "b", ["/".join(["a" * 20] * 20)]),
        ("[a-z]*" * 20 + "[0-9]", ["b" * 200]),
    ],
)
def test_pathological_patterns_match_quickly(pattern: str, paths: list[str]) -> None:
    matcher = PatternMatcher([pattern, "!" + pattern])
    with _hang_limit(10):
        for path in paths:
            assert not matcher.matches_or_parent_matches(path)
            matcher.matches_using_parent_results(path)


def test_runs_of_double_stars_cost_what_one_does() -> None:
    # Issue 10's fuzzing: `**/` repeated thousands of times made the matcher track as many
    # equivalent states at every character of a deep path. A run compiles like one of them.
    deep = "/".join(["d"] * 300) + "/b"
    for unit in ("**/", "*"):
        pattern = "d/" + unit * 5000 + "b"
        compiled = PatternMatcher([pattern]).patterns[0]
        assert compiled._regex is not None and len(compiled._regex._program) < 40
        got = PatternMatcher([pattern]).matches_or_parent_matches(deep)
        assert got == PatternMatcher(["d/" + unit * 4 + "b"]).matches_or_parent_matches(deep)


def test_patterns_with_absurdly_many_wildcards_are_refused_with_their_line() -> None:
    # A 43 KB `*a*a...` line against a long path hung the fuzzer; no real pattern has 256 wildcards.
    with pytest.raises(DockerfileError, match=r"\.dockerignore: .*has 21500 wildcards; more than 256") as caught:
        read_ignore_patterns(b"ok\n" + b"skip.me" + b"*a" * 21_500 + b"\n")
    assert str(caught.value).startswith('.dockerignore:2: failed parsing .dockerignore: pattern "skip.me*a')
    with pytest.raises(PatternError, match="more than 256"):
        PatternMatcher(["?" * 300])
    assert PatternMatcher(["*a" * 256, "**/" * 5000 + "x"]).matches_or_parent_matches("a" * 300)


def test_parent_matching_in_one_pass_agrees_with_one_match_per_parent() -> None:
    import random

    rng = random.Random(7)
    pieces = ["a", "b", "ab", "*", "**", "?", "[ab]", "[^a]", "/", "\\b", "x"]
    for _ in range(3000):
        pattern = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        path = "/".join(rng.choice(["a", "b", "ab", "ba", "x", "aa"]) for _ in range(rng.randint(1, 6)))
        try:
            [compiled] = PatternMatcher([pattern]).patterns
        except PatternError:
            continue
        dirs = path.split("/")[:-1] or ["."]
        slow = any(_safe_match(compiled, "/".join(dirs[: i + 1])) for i in range(len(dirs)))
        assert compiled.matches_a_parent(path, dirs) == slow, (pattern, path)


def test_parents_of_a_deep_path_are_matched_in_one_pass() -> None:
    deep = "/".join(["ab"] * 1300) + "/f"
    matcher = PatternMatcher(["**/" + "*/" * 3 + "x*", "a*/" * 200 + "zz"])
    assert not matcher.matches_or_parent_matches(deep)
    assert PatternMatcher(["ab/" * 1000 + "a?"]).matches_or_parent_matches(deep)
