"""Parser directives: `# syntax=`, `# escape=` and `# check=` at the top of a Dockerfile.

Directives are only recognised in the leading run of comment lines: the first line that is
not a directive (an instruction, a blank line, any other comment, an unknown key) ends the
scan. Keys are case-insensitive, values are kept as written, and a key may appear once.
"""

from __future__ import annotations

import json
import re
from dataclasses import field

from buildwright import _golang
from buildwright._values import valueclass

SYNTAX = "syntax"
ESCAPE = "escape"
CHECK = "check"
KNOWN_DIRECTIVES = frozenset({SYNTAX, ESCAPE, CHECK})

_BOM = "\ufeff"
# The reference's `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (RE2, linear). Python's backtracking
# engine takes quadratic time on it for a value with long runs of spaces, so only the key part is
# a regex and `_directive_value` finds the value the same way.
_DIRECTIVE_KEY = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=")
_SPACES = "\t\n\f\r "


def _directive_value(rest: str) -> str | None:
    # `\s*(.+?)\s*$` on one line: leading spaces go, the shortest value leaving only spaces after.
    if not rest:
        return None
    stripped = rest.strip(_SPACES)
    if stripped:
        return stripped
    return rest[-1]  # only spaces: `.+?` still takes one, the last


class DirectiveError(ValueError):
    """A directive used twice (the caller attaches the line)."""


@valueclass
class Directive:
    """One parser directive: lower-cased `name`, `value` as written, 1-based `line`."""

    name: str
    value: str
    line: int


@valueclass(frozen=False)
class DirectiveScanner:
    """Feeds lines one at a time, as the reference's directive parser does.

    `comment` is the comment prefix (`#`, or `//` for syntax detection of other formats).
    """

    comment: str = "#"
    line: int = 0
    done: bool = False
    seen: set[str] = field(default_factory=set)

    def parse_line(self, text: str) -> Directive | None:
        """Return the directive on this line, or None; raises DirectiveError on a repeated key."""
        self.line += 1
        if self.done:
            return None
        if not text.startswith(self.comment):
            self.done = True
            return None
        body = _golang.trim_left_space(text[len(self.comment) :])
        match = _DIRECTIVE_KEY.match(body)
        value = _directive_value(body[match.end() :]) if match is not None else None
        if match is None or value is None:
            self.done = True
            return None
        key = match.group(1).lower()
        if key not in KNOWN_DIRECTIVES:
            self.done = True
            return None
        if key in self.seen:
            raise DirectiveError(f"only one {key} parser directive can be used")
        self.seen.add(key)
        return Directive(key, value, self.line)

    def parse_all(self, text: str) -> list[Directive]:
        """Scan the leading directives of a whole file (stops at the first error or non-directive)."""
        found: list[Directive] = []
        for line in _scanner_lines(text):
            if self.done:
                break
            try:
                directive = self.parse_line(line)
            except DirectiveError:
                break
            if directive is not None:
                found.append(directive)
        return found


@valueclass
class SyntaxDirective:
    """The frontend image named by `# syntax=`: `image` is its first word, `cmdline` all of it."""

    image: str
    cmdline: str
    line: int


def detect_syntax(source: bytes | str) -> SyntaxDirective | None:
    """Find the `syntax` directive like the reference's `DetectSyntax`.

    Also accepts `// syntax=` and a whole-file JSON object with a "syntax" key, and skips a
    `#!` first line.
    """
    return _detect(SYNTAX, source, any_format=True)


def detect_directive(key: str, source: bytes | str) -> SyntaxDirective | None:
    """Find directive `key` (e.g. `check`) in the leading `#` directives, skipping a shebang."""
    return _detect(key, source, any_format=False)


def _detect(key: str, source: bytes | str, *, any_format: bool) -> SyntaxDirective | None:
    if isinstance(source, bytes):
        source = source.decode("utf-8", "surrogateescape")
    source = source.removeprefix(_BOM)
    first, newline, rest = source.partition("\n")
    start = 0
    if first.startswith("#!"):
        source = rest if newline else ""
        start = 1
    prefixes = ("#", "//") if any_format else ("#",)
    for prefix in prefixes:
        for directive in DirectiveScanner(comment=prefix, line=start).parse_all(source):
            if directive.name == key:
                image = directive.value.split(" ", 1)[0]
                return SyntaxDirective(image, directive.value, directive.line)
    if any_format:
        try:
            decoded = json.loads(source)
        except (ValueError, RecursionError):
            # Too deep for Python's json means a nested value, which Go's decoding into a map of
            # strings refuses too.
            return None
        if isinstance(decoded, dict) and isinstance(decoded.get(key), str):
            return SyntaxDirective(decoded[key], decoded[key], start)
    return None


def _scanner_lines(text: str) -> list[str]:
    # bufio.ScanLines: split on "\n", drop one trailing "\r", no empty final token.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]
