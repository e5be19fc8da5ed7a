"""`.dockerignore` files: reading patterns and matching paths against them.

`read_ignore_patterns` follows moby/patternmatcher's `ignorefile.ReadAll`; `PatternMatcher`
follows `patternmatcher.PatternMatcher`. Paths are `/`-separated and relative to the context
root. The walker-facing API is `matches_or_parent_matches` for one-off checks and
`matches_using_parent_results` + `MatchInfo` for a directory walk, with `has_exclusions` and
`patterns` (each with `exclusion`) to decide whether an excluded directory must still be
descended into because a `!` pattern may re-include something below it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import field
from enum import Enum

from buildwright import _golang, _gopath
from buildwright._values import valueclass
from buildwright.dockerfile.goregexp import Regexp, RegexpError, compile_regexp
from buildwright.errors import DockerfileError
from buildwright.location import SourceRange

_BOM = "\ufeff"
_REGEX_ESCAPED = frozenset(".+()|{}$")
MAX_LINE_BYTES = 65535


def read_ignore_patterns(data: bytes, filename: str = ".dockerignore") -> tuple[str, ...]:
    """Parse an ignore file into patterns (comments and blanks dropped, paths cleaned).

    Raises DockerfileError (with the file name and line) for a line longer than 64 KiB, the
    only read error the reference has.
    """
    text = data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    patterns: list[str] = []
    for number, line in enumerate(lines, 1):
        if len(line.encode("utf-8", "surrogateescape")) > MAX_LINE_BYTES:
            raise DockerfileError(
                f"failed parsing {filename}: bufio.Scanner: token too long",
                SourceRange(filename, number, number),
            )
        line = line.removesuffix("\r")
        if number == 1:
            line = line.removeprefix(_BOM)
        if line.startswith("#"):
            continue
        pattern = _golang.trim_space(line)
        if pattern == "":
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = _golang.trim_space(pattern[1:])
        if pattern:
            problem = _too_complex(pattern)
            if problem is not None:
                raise PatternError(f"failed parsing {filename}: {problem}", SourceRange(filename, number, number))
            pattern = _gopath.clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return tuple(patterns)


class _Kind(Enum):
    EXACT = 1
    PREFIX = 2
    SUFFIX = 3
    REGEX = 4


class PatternError(DockerfileError):
    """An invalid ignore pattern (`illegal exclusion pattern`, `syntax error in pattern`)."""


@valueclass
class Pattern:
    """One compiled pattern: `text` is the cleaned pattern without its `!`."""

    text: str
    exclusion: bool
    _kind: _Kind = field(repr=False)
    _regex: Regexp | None = field(repr=False)
    _error: bool = field(repr=False, default=False)

    def __str__(self) -> str:
        return self.text

    def match(self, path: str) -> bool:
        """Whether `path` itself matches (no parent logic); raises PatternError for a bad regex."""
        if self._error:
            raise PatternError("syntax error in pattern")
        if self._kind is _Kind.EXACT:
            return path == self.text
        if self._kind is _Kind.PREFIX:
            return path.startswith(self.text[:-2])
        if self._kind is _Kind.SUFFIX:
            suffix = self.text[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self._regex is not None
        return self._regex.matches(path)

    def matches_a_parent(self, path: str, dirs: list[str]) -> bool:
        """Whether one of `path`'s parents (`dirs`: its parent split on "/") matches, errors ignored."""
        if self._kind is _Kind.REGEX and self._regex is not None and not self._error:
            # Each parent is a prefix of the path ending before a "/": one pass answers them all.
            ends: list[int] = []
            offset = 0
            for part in dirs:
                offset += len(part)
                ends.append(offset)
                offset += 1
            if all(end == 0 or path[end] == "/" for end in ends[:-1]) and path.startswith("/".join(dirs)):
                return self._regex.matches_prefixes(path, [end for end in ends if end > 0]) or (
                    0 in ends and _safe_match(self, "")
                )
        return any(_safe_match(self, "/".join(dirs[: i + 1])) for i in range(len(dirs)))


@valueclass
class MatchInfo:
    """Per-pattern results for a directory, handed to its children during a walk."""

    parent_matched: tuple[bool, ...] = ()


class PatternMatcher:
    """Ordered ignore patterns; the last matching pattern decides, `!` patterns re-include."""

    __slots__ = ("_exclusions", "_patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        compiled: list[Pattern] = []
        shared: dict[tuple[str, bool], Pattern] = {}
        exclusions = False
        for raw in patterns:
            text = _golang.trim_space(raw)
            if text == "":
                continue
            text = _gopath.clean(text)
            exclusion = False
            if text.startswith("!"):
                if len(text) == 1:
                    raise PatternError('illegal exclusion pattern: "!"')
                exclusion = True
                exclusions = True
                text = text[1:]
            # Identical lines are checked once and share one compiled pattern (and its matcher's
            # cache and last answer): a file repeating a long line cost that line's work each time.
            key = (text, exclusion)
            if key in shared:
                compiled.append(shared[key])
                continue
            problem = _too_complex(text)
            if problem is not None:
                raise PatternError(problem)
            try:
                _golang.filepath_match(text, ".")
            except _golang.BadPatternError:
                raise PatternError("syntax error in pattern") from None
            shared[key] = _compile(text, exclusion)
            compiled.append(shared[key])
        self._patterns = tuple(compiled)
        self._exclusions = exclusions

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """The active patterns, in order."""
        return self._patterns

    @property
    def has_exclusions(self) -> bool:
        """Whether any pattern is a `!` exception."""
        return self._exclusions

    def matches(self, path: str) -> bool:
        """The reference's deprecated `Matches`: checks only one parent level per pattern."""
        matched = False
        parent = _dir(path)
        parent_dirs = parent.split("/")
        for pattern in self._patterns:
            if pattern.exclusion != matched:
                continue
            match = pattern.match(path)
            if not match and parent != ".":
                depth = len(pattern.text.split("/"))
                if depth <= len(parent_dirs):
                    match = _safe_match(pattern, "/".join(parent_dirs[:depth]))
            if match:
                matched = not pattern.exclusion
        return matched

    def matches_or_parent_matches(self, path: str) -> bool:
        """Whether `path` is excluded: it or any parent directory matches (last pattern wins)."""
        matched = False
        parent = _dir(path)
        parent_dirs = parent.split("/")
        for pattern in self._patterns:
            if pattern.exclusion != matched:
                continue
            match = pattern.match(path)
            if not match and parent != ".":
                match = pattern.matches_a_parent(path, parent_dirs)
            if match:
                matched = not pattern.exclusion
        return matched

    def matches_using_parent_results(self, path: str, parent: MatchInfo = MatchInfo()) -> tuple[bool, MatchInfo]:
        """Walk-friendly matching: pass the MatchInfo returned for the parent directory.

        With an empty MatchInfo the parents are checked as in `matches_or_parent_matches`.
        """
        parent_matched = parent.parent_matched
        if parent_matched and len(parent_matched) != len(self._patterns):
            raise PatternError("wrong number of values in parentMatched")
        matched = False
        results = [False] * len(self._patterns)
        for i, pattern in enumerate(self._patterns):
            match = parent_matched[i] if parent_matched else False
            if not match:
                if pattern.exclusion != matched:
                    continue
                match = pattern.match(path)
                if not match and not parent_matched:
                    parent_path = _dir(path)
                    if parent_path != ".":
                        dirs = parent_path.split("/")
                        match = pattern.matches_a_parent(path, dirs)
            results[i] = match
            if match:
                matched = not pattern.exclusion
        return matched, MatchInfo(tuple(results))


# Matching costs up to (wildcards x path length) per character tracked. No real pattern comes near
# this many wildcards; a hostile one with tens of thousands would stall the build for minutes (the
# reference is as slow per step, only faster per step), so it is refused with a clear message.
MAX_WILDCARDS = 256
_WILDCARD = re.compile(r"\*+|\?|\[")
_DOUBLE_STAR_RUN = re.compile(r"(?:\*\*/)+")


def _too_complex(pattern: str) -> str | None:
    # Runs that compile as one (see _append_once) count once.
    count = len(_WILDCARD.findall(_DOUBLE_STAR_RUN.sub("**/", pattern)))
    if count <= MAX_WILDCARDS:
        return None
    shown = _golang.quote(pattern[:40]) + ("..." if len(pattern) > 40 else "")
    return f"pattern {shown} has {count} wildcards; more than {MAX_WILDCARDS} are refused"


def _safe_match(pattern: Pattern, path: str) -> bool:
    # The reference ignores errors when checking parent directories.
    try:
        return pattern.match(path)
    except PatternError:
        return False


def _dir(path: str) -> str:
    """Go's `filepath.Dir`."""
    head, sep, _ = path.rpartition("/")
    if not sep:
        return "."
    return _gopath.clean(head if head else "/")


def _append_once(regex: list[str], star: str) -> None:
    # `**/**/` matches what `**/` does, and `**` what `*` does: runs of them (`**/` repeated ten
    # thousand times in a hostile file) would only make the matcher track that many equivalent
    # states at every character. Collapsing them keeps every result and the cost of one.
    if regex[-1] != star:
        regex.append(star)


def _compile(text: str, exclusion: bool) -> Pattern:
    regex: list[str] = ["^"]
    kind = _Kind.EXACT
    chars = ["\ufffd" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text]
    if chars and chars[0] == "\ufeff":
        chars = chars[1:]
    i = 0
    index = 0
    while i < len(chars):
        ch = chars[i]
        i += 1
        if ch == "*":
            if i < len(chars) and chars[i] == "*":
                i += 1
                if i < len(chars) and chars[i] == "/":
                    i += 1
                if i >= len(chars):
                    if kind is _Kind.EXACT:
                        kind = _Kind.PREFIX
                    else:
                        regex.append(".*")
                        kind = _Kind.REGEX
                else:
                    _append_once(regex, "(.*/)?")
                    kind = _Kind.REGEX
                if index == 0:
                    kind = _Kind.SUFFIX
            else:
                _append_once(regex, "[^/]*")
                kind = _Kind.REGEX
        elif ch == "?":
            regex.append("[^/]")
            kind = _Kind.REGEX
        elif ch in _REGEX_ESCAPED:
            regex.append("\\" + ch)
        elif ch == "\\":
            if i < len(chars):
                regex.append("\\" + chars[i])
                i += 1
                kind = _Kind.REGEX
            else:
                # Go appends the lone backslash (it then escapes the closing `$`).
                regex.append("\\")
        elif ch in "[]":
            regex.append(ch)
            kind = _Kind.REGEX
        else:
            regex.append(ch)
        index += 1
    if kind is not _Kind.REGEX:
        return Pattern(text, exclusion, kind, None)
    regex.append("$")
    try:
        compiled = compile_regexp("".join(regex))
    except RegexpError:
        return Pattern(text, exclusion, kind, None, True)
    return Pattern(text, exclusion, kind, compiled)
