"""The matcher's work per character stays small where a state holds many threads (issue 10).

Long literal runs after a star (`*` + 1,000 spaces + `*/node_modules`, or a 3 KB pattern of
`${a:+` repeated) keep hundreds of threads alive at once: handled one by one in Python, a 1 KB
path cost a million steps (seconds in the fuzzer). States are bit masks, so only threads landing
on a jump or split are visited one at a time. The bounds are on that count, not on time.
"""

from __future__ import annotations

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
