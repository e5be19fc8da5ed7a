"""Heredoc words (`<<EOF`, `<<-EOF`, `3<<'EOF'`) and their bodies.

A heredoc word is found by lexing the instruction line with quotes and escapes kept, then
matching each word against `[fd]<<[-][spaces]word`. The delimiter is the word with quotes
removed; if any part of it was quoted, the body is not variable-expanded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from buildwright._frozen import replace
from buildwright._values import valueclass
from buildwright.dockerfile.lexer import ShellLex, ShellLexError

_HEREDOC = re.compile(r"(\d*)<<(-?)[\t\n\f\r ]*([^<]*)", re.ASCII)
_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)
_EMPTY_ENV: Mapping[str, str] = MappingProxyType({})


@valueclass
class Heredoc:
    """One heredoc: delimiter `name`, file descriptor, expansion/chomp flags and raw body."""

    name: str
    file_descriptor: int = 0
    expand: bool = True
    chomp: bool = False
    content: str = ""

    def with_content(self, content: str) -> Heredoc:
        """Return a copy holding `content`."""
        return replace(self, content=content)

    def chomped_content(self) -> str:
        """The body with leading tabs removed from each line when the word was `<<-`."""
        return chomp(self.content) if self.chomp else self.content


class HeredocError(ShellLexError):
    """A heredoc word that cannot be lexed."""


def chomp(content: str) -> str:
    """Remove leading tabs from every line."""
    return _LEADING_TABS.sub("", content)


def parse_heredoc(word: str) -> Heredoc | None:
    """The heredoc named by `word`, or None if `word` is not a heredoc word.

    Raises ShellLexError when the delimiter cannot be lexed.
    """
    match = _HEREDOC.fullmatch(word)
    if match is None:
        return None
    fd_text, dash, rest = match.groups()
    if rest == "":
        return None
    lex = ShellLex("\\", skip_unset_env=True)
    words = lex.process_words(rest, _EMPTY_ENV)
    if len(words) != 1:
        return None
    raw_words = lex.with_options(raw_quotes=True).process_words(rest, _EMPTY_ENV)
    if len(raw_words) != len(words):
        raise HeredocError(f"internal lexing of heredoc produced inconsistent results: {rest}")
    name = words[0]
    quotes = name.count("'") + name.count('"')
    raw_quotes = raw_words[0].count("'") + raw_words[0].count('"')
    return Heredoc(
        name=name,
        file_descriptor=_parse_fd(fd_text),
        expand=quotes == raw_quotes,
        chomp=dash == "-",
    )


def heredoc_or_none(word: str) -> Heredoc | None:
    """Like parse_heredoc, but a word that cannot be lexed is simply not a heredoc."""
    try:
        return parse_heredoc(word)
    except ShellLexError:
        return None


def heredocs_from_line(line: str) -> list[Heredoc]:
    """All heredoc words of an instruction line, in order."""
    lex = ShellLex("\\", raw_quotes=True, raw_escapes=True, skip_unset_env=True)
    try:
        words = lex.process_words(line, _EMPTY_ENV)
    except ShellLexError:
        words = []
    found: list[Heredoc] = []
    for word in words:
        heredoc = parse_heredoc(word)
        if heredoc is not None:
            found.append(heredoc)
    return found


def _parse_fd(text: str) -> int:
    # Go's ParseUint result is used even on error: empty → 0, overflow → the maximum value.
    if not text:
        return 0
    return min(int(text), 2**64 - 1)
