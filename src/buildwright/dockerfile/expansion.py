"""Variable expansion of instruction fields, as done by the reference at dispatch time.

An `Expander` is what an instruction's `expand()` receives: one-word expansion, expansion with
word splitting (EXPOSE), and the raw variant for COPY/ADD heredoc bodies. `EnvExpander` is the
usual implementation over a stage environment; it remembers which names were found and which
were not (the UndefinedVar check needs them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Protocol

from buildwright._values import valueclass
from buildwright.dockerfile.lexer import ShellLex


class Expander(Protocol):
    """What `Instruction.expand()` needs from the caller."""

    @property
    def escape(self) -> str:
        """The Dockerfile's escape character."""
        ...

    def word(self, word: str) -> str:
        """Expand one word into one string."""
        ...

    def words(self, word: str) -> list[str]:
        """Expand one word and split the result into words."""
        ...

    def heredoc(self, text: str) -> str:
        """Expand a COPY/ADD heredoc body (escape `\\`, quotes kept literally)."""
        ...


@valueclass(frozen=False)
class EnvExpander:
    """An Expander over a fixed environment, collecting matched and unmatched names."""

    env: Mapping[str, str]
    lex: ShellLex = field(default_factory=ShellLex)
    matched: set[str] = field(default_factory=set)
    unmatched: set[str] = field(default_factory=set)

    @property
    def escape(self) -> str:
        return self.lex.escape

    def word(self, word: str) -> str:
        result = self.lex.process(word, self.env)
        self._record(result.matched, result.unmatched)
        return result.result

    def words(self, word: str) -> list[str]:
        result = self.lex.process(word, self.env)
        self._record(result.matched, result.unmatched)
        return list(result.words)

    def heredoc(self, text: str) -> str:
        result = ShellLex("\\", skip_process_quotes=True).process(text, self.env)
        self._record(result.matched, result.unmatched)
        return result.result

    def _record(self, matched: frozenset[str], unmatched: frozenset[str]) -> None:
        self.matched |= matched
        self.unmatched |= unmatched
