"""The matcher's work per character stays small where a state holds many threads (issue 10).

Long literal runs after a star (`*` + 1,000 spaces + `*/node_modules`, or a 3 KB pattern of
`${a:+` repeated) keep hundreds of threads alive at once: handled one by one in Python, a 1 KB
path cost a million steps (seconds in the fuzzer). States are bit masks, so only threads landing
on a jump or split are visited one at a time. The bounds are on that count, not on time.
"""

from __future__ import annotations

import pytest

from buildwright.dockerfile.goregexp import Regexp
from buildwright.dockerfile.ignore import PatternMatcher


def _regexp(pattern: str) -> tuple[PatternMatcher, Regexp]:
    matcher = PatternMatcher([pattern])
    compiled = matcher.patterns[0]._regex
    assert compiled is not None
    return matcher, compiled


def test_a_long_literal_after_a_star_is_not_visited_thread_by_thread() -> None:
    pattern = "*" + " " * 1000 + "*/node_modules"
    matcher, compiled = _regexp(pattern)
    path = "ab" + " " * 1000 + "ab/node_modules"
    assert matcher.matches_or_parent_matches(path)
    assert matcher.matches_or_parent_matches(path + "/x/y")
    assert not matcher.matches_or_parent_matches("ab" + " " * 999 + "ab/node_modules")
    # Thread by thread this was about len(pattern) * len(path) / 2, 500,000 here.
    assert compiled.visited_instructions < 20 * (len(pattern) + len(path))


def test_a_repeated_literal_after_a_double_star_is_linear() -> None:
    pattern = "src/**/*" + "${a:+" * 600 + "}" * 600 + ".go"
    matcher, compiled = _regexp(pattern)
    path = "src/x/y" + "${a:+" * 600 + "}" * 600 + ".go"
    assert matcher.matches_or_parent_matches(path)
    assert not matcher.matches_or_parent_matches(path[:-1])
    assert compiled.visited_instructions < 20 * (len(pattern) + len(path))


def test_repeated_lines_share_one_pattern_and_answer_from_its_last_match() -> None:
    # Found by the long fuzz run: 182 copies of one 3.6 KB line were each compiled and matched
    # against every path (6.9 s of CPU); now one pattern, asked once per path.
    line = "caf" + "${a:-" * 600 + "}" * 600 + "*"
    matcher = PatternMatcher([line] * 182)
    assert len({id(pattern) for pattern in matcher.patterns}) == 1
    compiled = matcher.patterns[0]._regex
    assert compiled is not None
    path = "caf" + "${a:-" * 600 + "}" * 600 + "x"
    assert matcher.matches_or_parent_matches(path)
    once = compiled.computed_steps
    single = PatternMatcher([line])
    assert single.matches_or_parent_matches(path)
    assert single.patterns[0]._regex is not None and single.patterns[0]._regex.computed_steps == once


def test_a_long_literal_pattern_shares_its_character_classes() -> None:
    # Found by the long fuzz run: a 420 KB `${a#...}` pattern took 1.5 s to compile, one class
    # object per character and masks built bit by bit; the classes are now shared per character.
    from buildwright.dockerfile.goregexp import compile_regexp

    compiled = compile_regexp("^" + "--x=y " * 20_000 + ".*")
    assert compiled.find("--x=y " * 20_000 + "tail") == (0, 120_004)
    classes = {id(inst[3]) for inst in compiled._program if inst[3] is not None}
    assert len(classes) <= 5


def test_repeated_lines_are_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by `make fuzz-short` at 30,000 inputs: 52 copies of one 20 KB line, each validated by
    # the (then quadratic) filepath.Match port: 2.9 s of CPU. Validation is per distinct line now.
    from buildwright import _golang

    calls: list[str] = []
    original = _golang.filepath_match

    def counting(pattern: str, name: str) -> bool:
        calls.append(pattern)
        return original(pattern, name)

    monkeypatch.setattr(_golang, "filepath_match", counting)
    line = "e AS xtr" + "a" * 20_000 + "\udce0"
    matcher = PatternMatcher([line] * 52 + ["!" + line, "other"])
    assert len(matcher.patterns) == 54
    assert calls == [line, line, "other"]  # the `!` line is another pattern, with the same text
    assert _golang.filepath_match("a" * 200_000 + "?", "a" * 200_001)
    assert not _golang.filepath_match("a" * 200_000 + "[b-c]", "a" * 200_001)
