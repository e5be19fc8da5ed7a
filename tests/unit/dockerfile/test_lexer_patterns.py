"""`${a#p}`, `${a%p}` and `${a/p/x}`: the reference's results, in time linear in the value (issue 10).

The reference turns the glob into a Go regexp and takes `FindStringIndex`: the leftmost match,
and of those the one a backtracking search finds first. Python's `re` has the same semantics for
these expressions (literals, `.`, `.*`, `.*?`), so on valid text it is the oracle here; only its
running time differs.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildwright.dockerfile.goregexp import compile_regexp
from buildwright.dockerfile.lexer import ShellLex, ShellLexError, _pattern_regex

_HOSTILE = "*a*a*a*a*a*a*a*a*a*a*a*ab"

expressions = st.lists(st.sampled_from(["a", "b", ".", ".*", ".*?", "\\.", "\n"]), min_size=0, max_size=8).map("".join)
texts = st.text(alphabet="ab.\n", max_size=14)


@settings(max_examples=400, deadline=None)
@given(expressions, texts, st.booleans(), st.integers(min_value=0, max_value=14))
def test_find_is_leftmost_first_like_a_backtracking_search(expr: str, text: str, anchored: bool, pos: int) -> None:
    source = ("^" if anchored else "") + expr
    pos = min(pos, len(text))
    expected = re.compile(source).search(text, pos)
    assert compile_regexp(source).find(text, pos) == (expected.span() if expected else None)


@pytest.mark.parametrize(
    ("source", "text", "span"),
    [
        ("a|ab", "ab", (0, 1)),  # the first alternative wins, not the longest
        ("ab|a", "ab", (0, 2)),
        ("a+?", "aaa", (0, 1)),
        ("a+", "aaa", (0, 3)),
        ("a??b", "ab", (0, 2)),
        ("\\bb", "a b", (2, 3)),
        ("x$", "axbx", (3, 4)),
        ("b", "a\udce9b", (2, 3)),
        ("a.b", "a\udce9b", (0, 3)),  # an invalid byte is one U+FFFD rune to Go
    ],
)
def test_find_cases(source: str, text: str, span: tuple[int, int]) -> None:
    assert compile_regexp(source).find(text) == span


_GLOB_PARTS = ["a", "b", "*", "?", "\\*", "\\?", ".", "(", "^", "+"]
globs = st.lists(st.sampled_from(_GLOB_PARTS), min_size=1, max_size=7).map("".join)
values = st.text(alphabet="ab*?.($\n", max_size=12)


def _glob_regex(glob: str, greedy: bool) -> str:
    # The reference's translation, for the oracle.
    out = []
    i = 0
    while i < len(glob):
        ch = glob[i]
        if ch == "\\":
            out.append(re.escape(glob[i + 1]))
            i += 2
            continue
        out.append({"*": ".*" if greedy else ".*?", "?": "."}.get(ch, re.escape(ch)))
        i += 1
    return "".join(out)


def _go_replace_all(pattern: re.Pattern[str], value: str, replacement: str) -> str:
    # Go's ReplaceAllString loop over Python's search (the same matches, Go's empty-match rule).
    out, last, pos = [], 0, 0
    while pos <= len(value):
        found = pattern.search(value, pos)
        if found is None:
            break
        out.append(value[last : found.start()])
        if found.end() > last or found.start() == 0:
            out.append(replacement)
        last = found.end()
        pos = pos + 1 if pos + 1 > found.end() else found.end()
    return "".join(out) + value[last:]


def _lex(word: str, value: str) -> str:
    return ShellLex().process_word(word, {"v": value})


@settings(max_examples=300, deadline=None)
@given(globs, values)
def test_trims_and_replacements_match_the_reference_semantics(glob: str, value: str) -> None:
    lazy, greedy = re.compile("^" + _glob_regex(glob, False)), re.compile("^" + _glob_regex(glob, True))
    shortest, longest = lazy.search(value), greedy.search(value)
    assert _lex("${v#" + glob + "}", value) == (value[shortest.end() :] if shortest else value)
    assert _lex("${v##" + glob + "}", value) == (value[longest.end() :] if longest else value)
    first = re.compile(_glob_regex(glob, True)).search(value)
    replaced = value[: first.start()] + "X" + value[first.end() :] if first else value
    assert _lex("${v/" + glob + "/X}", value) == replaced
    assert _lex("${v//" + glob + "/X}", value) == _go_replace_all(re.compile(_glob_regex(glob, True)), value, "X")
    # `%`: the reversed pattern against the reversed value, as the reference does it.
    backwards = _reverse_glob(glob)
    lazy_r, greedy_r = re.compile("^" + _glob_regex(backwards, False)), re.compile("^" + _glob_regex(backwards, True))
    rev = value[::-1]
    short_r, long_r = lazy_r.search(rev), greedy_r.search(rev)
    assert _lex("${v%" + glob + "}", value) == (rev[short_r.end() :] if short_r else rev)[::-1]
    assert _lex("${v%%" + glob + "}", value) == (rev[long_r.end() :] if long_r else rev)[::-1]


def _reverse_glob(glob: str) -> str:
    tokens, i = [], 0
    while i < len(glob):
        step = 2 if glob[i] == "\\" else 1
        tokens.append(glob[i : i + step])
        i += step
    return "".join(reversed(tokens))


@pytest.mark.parametrize(
    ("word", "value", "expected"),
    [
        # Go's ReplaceAllString: no replacement for an empty match right after a match
        # (Python's re.sub gives "XX" and "XX\nXX" here).
        ("${v//*/X}", "abc", "X"),
        ("${v//*/X}", "ab\ncd", "X\nX"),
        ("${v//*/X}", "", "X"),
        ("${v//b/X}", "abbc", "aXXc"),
        ("${v//b*/X}", "abbc\nb", "aX\nX"),
        ("${v/*/X}", "ab\ncd", "X\ncd"),  # `*` is `.*`: it stops at a newline
        ("${v#*\\?}", "a?b?c", "b?c"),
        ("${v##*.}", "x.tar.gz", "gz"),
        ("${v%.*}", "x.tar.gz", "x.tar"),
        ("${v%%.*}", "x.tar.gz", "x"),
        ("${v#(}", "(x", "x"),
        # `#` and `/` keep an invalid byte as it is; `%` reverses through runes, so the reference
        # turns every invalid byte of the value into U+FFFD, matched or not.
        ("${v#c}", "caf\udce9", "af\udce9"),
        ("${v#caf?}", "caf\udce9!", "!"),
        ("${v%!}", "caf\udce9!", "caf\ufffd"),
        ("${v%x}", "caf\udce9", "caf\ufffd"),
    ],
)
def test_pattern_cases(word: str, value: str, expected: str) -> None:
    assert _lex(word, value) == expected


def test_a_bad_escape_is_still_reported() -> None:
    with pytest.raises(ShellLexError, match=r"invalid pattern \(a\\b\) in substitution: invalid escape '\\b'"):
        _lex("${v#a\\b}", "ab")


@pytest.mark.parametrize("op", ["#", "##", "%", "%%", "/", "//"])
def test_a_hostile_pattern_costs_a_bounded_number_of_steps(op: str) -> None:
    # With `re`, every extra `*a` multiplied the time by about 4; here the work is a few program
    # passes (one per new DFA state and character), whatever the value's length.
    _pattern_regex.cache_clear()
    value = "a" * 20_000
    suffix = "/x}" if "/" in op else "}"
    assert _lex("${v" + op + _HOSTILE + suffix, value) == value
    glob = _HOSTILE if "%" not in op else "b" + "a*" * 12
    regex = _pattern_regex(glob, greedy=op in ("##", "%%", "/", "//"), anchored="/" not in op)
    assert regex.computed_steps <= 100


def test_a_hostile_pattern_against_a_varied_value_stays_linear() -> None:
    # Every character of the value reached, and still each (state, character) computed once.
    _pattern_regex.cache_clear()
    value = "ab" * 5_000 + "c"
    assert _lex("${v//" + _HOSTILE + "/x}", value) == "x" + "c"
    regex = _pattern_regex(_HOSTILE, greedy=True, anchored=False)
    assert regex.computed_steps <= 200
