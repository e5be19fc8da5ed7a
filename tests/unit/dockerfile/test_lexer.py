"""Shell lexer: substitution forms, quoting, escapes, word splitting and errors."""

from __future__ import annotations

import pytest

from buildwright.dockerfile.lexer import ShellLex, ShellLexError

ENV = {"HOME": "/root", "EMPTY": "", "NAME": "world", "SPACED": "a  b ", "FILE": "dir/name.tar.gz", "U": "한국"}

WORD_CASES = [
    ("plain", "plain"),
    ("$HOME", "/root"),
    ("${HOME}/x", "/root/x"),
    ("pre$NAME.post", "preworld.post"),
    ("$UNSET", ""),
    ("$", "$"),
    ("$.", "$."),
    ("a$1b", "ab"),
    ("${EMPTY:-dflt}", "dflt"),
    ("${EMPTY-dflt}", ""),
    ("${UNSET-dflt}", "dflt"),
    ("${NAME:+alt}", "alt"),
    ("${EMPTY:+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("${NAME:?boom}", "world"),
    ("${FILE#*.}", "tar.gz"),
    ("${FILE##*.}", "gz"),
    ("${FILE%.*}", "dir/name.tar"),
    ("${FILE%%.*}", "dir/name"),
    ("${FILE/a/A}", "dir/nAme.tar.gz"),
    ("${FILE//a/A}", "dir/nAme.tAr.gz"),
    ("${FILE//?/x}", "xxxxxxxxxxxxxxx"),
    ("${NAME:-$HOME}", "world"),
    ("${UNSET:-$HOME}", "/root"),
    ("'$HOME'", "$HOME"),
    ('"$HOME"', "/root"),
    ('"a\\"b"', 'a"b'),
    ('"a\\b"', "a\\b"),
    ("a\\$HOME", "a$HOME"),
    ("a\\\\$HOME", "a\\/root"),
    ("trailing\\", "trailing"),
    ("he'll'o", "hello"),
    ("$U", "한국"),
    ("\ufeffbom", "bom"),
]


@pytest.mark.parametrize(("word", "expected"), WORD_CASES)
def test_process_word(word: str, expected: str) -> None:
    assert ShellLex().process_word(word, ENV) == expected


ERROR_CASES = [
    ("${", "syntax error: missing '}'"),
    ("${}", "syntax error: bad substitution"),
    ("${:x}", "syntax error: bad substitution"),
    ("${{x}", "syntax error: bad substitution"),
    ("${NAME:=x}", "unsupported modifier (:=) in substitution"),
    ("${NAME:#x}", "unsupported modifier (:#) in substitution"),
    ("${NAME^x}", "unsupported modifier (^) in substitution"),
    ("${NAME:-x", "syntax error: missing '}'"),
    ("${NAME/x", "syntax error: missing '/' in ${}"),
    ("${UNSET:?}", "UNSET: is not allowed to be unset"),
    ("${EMPTY:?}", "EMPTY: is not allowed to be empty"),
    ("${UNSET?custom}", "UNSET: custom"),
    ("'open", "unexpected end of statement while looking for matching single-quote"),
    ('"open', "unexpected end of statement while looking for matching double-quote"),
    ("${FILE#a\\b}", "invalid escape '\\b'"),
]


@pytest.mark.parametrize(("word", "message"), ERROR_CASES)
def test_process_word_errors(word: str, message: str) -> None:
    with pytest.raises(ShellLexError) as info:
        ShellLex().process_word(word, ENV)
    assert message in str(info.value)
    assert str(info.value).startswith('failed to process "')


WORDS_CASES = [
    ("a b  c", ["a", "b", "c"]),
    ("x${SPACED}y", ["xa", "b", "y"]),
    ('x"${SPACED}"y', ["xa  b y"]),
    ("'a b' c", ["a b", "c"]),
    ("''", []),
    ("a\\ b", ["a b"]),
    ("<< EOF", ["<< EOF"]),
]


@pytest.mark.parametrize(("word", "expected"), WORDS_CASES)
def test_process_words(word: str, expected: list[str]) -> None:
    assert ShellLex().process_words(word, ENV) == expected


def test_backtick_escape() -> None:
    lex = ShellLex("`")
    assert lex.process_word("a`$HOME", ENV) == "a$HOME"
    assert lex.process_word("c:\\dir", ENV) == "c:\\dir"


def test_raw_and_skip_unset_options() -> None:
    lex = ShellLex(raw_quotes=True, skip_unset_env=True)
    assert lex.process_word("'$HOME' $UNSET ${UNSET:-x} $NAME", ENV) == "'$HOME' $UNSET ${UNSET:-x} world"
    assert ShellLex(skip_process_quotes=True).process_word("'$NAME'", ENV) == "'world'"
    assert ShellLex(raw_escapes=True).process_word("a\\b", ENV) == "a\\b"


def test_matches_and_unmatched_names() -> None:
    result = ShellLex().process("$NAME ${UNSET:-$HOME}", ENV)
    assert result.matched == {"NAME", "HOME"}
    assert result.unmatched == {"UNSET"}


def test_replace_all_expands_whole_match_reference() -> None:
    assert ShellLex().process_word("${NAME//o/'<$0>'}", ENV) == "w<o>rld"


# Nesting as deep as a Dockerfile line allows: the reference accepts it, so must we (issue 10).
DEEP = 20_000  # twenty times Python's recursion limit


@pytest.mark.parametrize(
    ("opener", "closer", "env"),
    [
        ("${a:-", "}", {}),
        ('"${a:-', '}"', {}),
        ("${a:+", "}", {"a": "1"}),
        ("${a/", "/y}", {"a": "x"}),
        ("${a#", "}", {"a": "x"}),
    ],
)
def test_deep_nesting_expands_without_recursion(opener: str, closer: str, env: dict[str, str]) -> None:
    word = opener * DEEP + "x" + closer * DEEP
    result = ShellLex().process(word, env)
    assert result.result in ("x", "y", "")
    assert result.words == ((result.result,) if result.result else ())


def test_deep_nesting_keeps_unset_references_as_written() -> None:
    word = "${a:-" * 5000 + "x" + "}" * 5000
    assert ShellLex().with_options(skip_unset_env=True).process_word(word, {}) == word


def test_deep_nesting_errors_are_lexer_errors() -> None:
    with pytest.raises(ShellLexError, match="missing '}'"):
        ShellLex().process_word("${a:-" * DEEP + "x", {})
    with pytest.raises(ShellLexError, match="a: deep"):
        ShellLex().process_word("${a:-" * 3000 + "${a?deep}" + "}" * 3000, {})


def test_word_splitting_of_expansions_is_unchanged() -> None:
    env = {"a": " one  two\tthree ", "b": "x\x1cy"}
    words = ShellLex().process_words('p$a q ${b} "$a"', env)
    assert words == ["p", "one", "two", "three", "q", "x\x1cy", " one  two\tthree "]


@pytest.mark.parametrize(
    "word",
    ["plain", "two words", " lead and trail\t", "a\vb\fc\rd\ne", "", "x\x1cy", "päth", "\ufeffbom", "a=b,c"],
)
def test_plain_words_take_the_fast_path_with_the_scanners_result(word: str) -> None:
    from buildwright.dockerfile import lexer

    lex = ShellLex()
    fast = lex.process(word, {})
    slow = lexer._run(lexer._Word(lex, word, {}).process_stop_on(lexer._EOF, False, lexer._Words()))
    assert (fast.result, list(fast.words)) == slow


def test_star_runs_in_trim_patterns_compile_as_one() -> None:
    # A `${a#...}` pattern of 140,000 stars compiled a regex of as many pieces (seconds, per level).
    from buildwright.dockerfile.lexer import _pattern_regex

    assert _pattern_regex("*" * 140_000 + "/", greedy=False, anchored=True).source == "^.*?/"
    env = {"a": "x/y/z"}
    assert ShellLex().process_word("${a#" + "*" * 1000 + "/}", env) == "y/z"
    assert ShellLex().process_word("${a##" + "*" * 1000 + "/}", env) == "z"
    assert ShellLex().process_word("${a%/" + "*" * 1000 + "}", env) == "x/y"
