"""The shell-word lexer: variable substitution, quote removal and word splitting.

Behaves as the reference frontend's `shell.Lex`: `$VAR`, `${VAR}` and the `${VAR<op>word}`
modifiers (`:-`, `-`, `:+`, `+`, `:?`, `?`, `#`, `##`, `%`, `%%`, `/`, `//`), single and
double quotes, the Dockerfile escape character, and word splitting after substitution.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Generator, Mapping
from dataclasses import field
from typing import TypeVar

from buildwright import _golang
from buildwright._values import valueclass
from buildwright.dockerfile.goregexp import Regexp, compile_regexp
from buildwright.errors import DockerfileError

_EOF = ""


class ShellLexError(DockerfileError):
    """A word that the lexer cannot process (bad substitution, unterminated quote...)."""


@valueclass
class WordResult:
    """What processing one word produced: the text, its split words, and the names looked up."""

    result: str
    words: tuple[str, ...]
    matched: frozenset[str]
    unmatched: frozenset[str]


@valueclass
class ShellLex:
    """A lexer configured like the reference's `shell.Lex`.

    Attributes:
        escape: the escape character (`\\` or the Dockerfile's `# escape=` value).
        raw_quotes: keep quote characters in the result.
        raw_escapes: keep escape characters in the result.
        skip_process_quotes: treat quotes as ordinary characters.
        skip_unset_env: leave references to unset variables as written.
    """

    escape: str = "\\"
    raw_quotes: bool = False
    raw_escapes: bool = False
    skip_process_quotes: bool = False
    skip_unset_env: bool = False

    def with_options(
        self,
        *,
        raw_quotes: bool | None = None,
        raw_escapes: bool | None = None,
        skip_process_quotes: bool | None = None,
        skip_unset_env: bool | None = None,
    ) -> ShellLex:
        """Return a copy with the given boolean options changed."""
        return ShellLex(
            self.escape,
            self.raw_quotes if raw_quotes is None else raw_quotes,
            self.raw_escapes if raw_escapes is None else raw_escapes,
            self.skip_process_quotes if skip_process_quotes is None else skip_process_quotes,
            self.skip_unset_env if skip_unset_env is None else skip_unset_env,
        )

    def process_word(self, word: str, env: Mapping[str, str]) -> str:
        """Expand `word` against `env` into one string (no word splitting)."""
        return self.process(word, env).result

    def process_words(self, word: str, env: Mapping[str, str]) -> list[str]:
        """Expand `word` against `env` and split the result into words, honouring quotes."""
        return list(self.process(word, env).words)

    def process(self, word: str, env: Mapping[str, str]) -> WordResult:
        """Expand `word`, returning the text, the words and the matched/unmatched variable names."""
        plain = _plain_word(word, self.escape)
        if plain is not None:
            return plain
        state = _Word(self, word, env)
        try:
            result, words = _run(state.process_stop_on(_EOF, self.raw_escapes, _Words()))
        except _LexFailure as exc:
            raise ShellLexError(f"failed to process {_golang.quote(word)}: {exc.message}") from exc
        return WordResult(result, tuple(words), frozenset(state.matched), frozenset(state.unmatched))


_INVALID_BYTE = re.compile("[\udc80-\udcff]")  # undecodable bytes, as surrogate escapes
_ASCII_NAME = re.compile("[0-9]+|[A-Za-z_][A-Za-z0-9_]*")

# Characters that make the lexer do more than copy and split: substitution, heredoc markers,
# quotes (the escape character is checked separately, it is configurable).
_SPECIAL = re.compile(r"[$<'\"]")
# Go's unicode.IsSpace for ASCII: the only separators an ASCII word can hold.
_ASCII_SPACES = re.compile(r"[ \t\n\v\f\r]+")
_NO_NAMES: frozenset[str] = frozenset()


def _plain_word(word: str, escape: str) -> WordResult | None:
    """The result for a word with nothing to expand or unquote (most words), without the scanner.

    Only ASCII words qualify: the scanner's byte-order-mark and invalid-byte handling and Go's
    wider Unicode spaces then cannot apply, so copying and splitting on ASCII spaces is exact.
    """
    if not word.isascii() or escape in word or _SPECIAL.search(word):
        return None
    words = tuple(part for part in _ASCII_SPACES.split(word) if part)
    return WordResult(word, words, _NO_NAMES, _NO_NAMES)


class _LexFailure(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# A step of the lexer is a generator that yields the nested step it needs (a `${...}` or a quoted
# string) and receives that step's result. `_run` drives them on an explicit stack, so nesting
# as deep as the input allows (the reference accepts `${a:-${b:-...}}` 100,000 levels deep) never
# reaches Python's recursion limit.
_Step = Generator["_Step", object, object]
_T = TypeVar("_T")


def _run(step: Generator[_Step, object, _T]) -> _T:
    """Run `step` and the steps it yields, depth first, on a list instead of the call stack."""
    stack: list[_Step] = [step]
    value: object = None
    failure: BaseException | None = None
    while True:
        top = stack[-1]
        try:
            if failure is not None:
                pending, failure = failure, None
                nested = top.throw(pending)
            else:
                nested = top.send(value)
        except StopIteration as done:
            stack.pop()
            if not stack:
                return done.value  # type: ignore[no-any-return]
            value = done.value
            continue
        except BaseException as exc:  # handed to the step that yielded this one, as a raise would
            stack.pop()
            if not stack:
                raise
            failure = exc
            continue
        stack.append(nested)
        value = None


@valueclass(frozen=False)
class _Words:
    """Accumulates split words the way the reference does (whitespace from `$` expansions splits)."""

    buf: list[str] = field(default_factory=list)
    size: int = 0
    words: list[str] = field(default_factory=list)
    in_word: bool = False

    def add_char(self, ch: str) -> None:
        if _golang.is_space(ch):
            if self.in_word and self.size:
                self._flush()
        else:
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.add_raw_string(ch)

    def add_string(self, text: str) -> None:
        # add_char for each character, one run at a time.
        start = 0
        for space in _SPACE_RUN.finditer(text):
            if space.start() > start:
                self.add_raw_string(text[start : space.start()])
            if self.in_word and self.size:
                self._flush()
            start = space.end()
        if start < len(text):
            self.add_raw_string(text[start:])

    def add_raw_string(self, text: str) -> None:
        self.buf.append(text)
        self.size += len(text)
        self.in_word = True

    def get_words(self) -> list[str]:
        if self.size:
            self._flush()
        return self.words

    def _flush(self) -> None:
        self.words.append("".join(self.buf))
        self.buf.clear()
        self.size = 0
        self.in_word = False


class _Unsplit(_Words):
    """Words nobody reads: every method does nothing."""

    __slots__ = ()

    def add_char(self, ch: str) -> None:
        pass

    def add_raw_char(self, ch: str) -> None:
        pass

    def add_string(self, text: str) -> None:
        pass

    def add_raw_string(self, text: str) -> None:
        pass

    def get_words(self) -> list[str]:
        return []


_UNSPLIT = _Unsplit()
# Runs of what `_golang.is_space` accepts: `\s` is str.isspace(), less the ASCII separators.
_SPACE_RUN = re.compile(r"[^\S\x1c-\x1f]+")


def _scan_chars(word: str) -> str:
    # Go's text/scanner skips a byte-order mark at the very start and turns each invalid UTF-8
    # byte into U+FFFD; undecodable bytes reach us as surrogate escapes.
    chars = word if word.isascii() else _INVALID_BYTE.sub("\ufffd", word)
    return chars[1:] if chars.startswith("\ufeff") else chars


@functools.lru_cache(maxsize=64)
def _plain_run(stop: str, escape: str, quotes: bool) -> tuple[frozenset[str], re.Pattern[str]]:
    """What `process_stop_on` must look at one character at a time, and a search for the next.

    Everything else is copied (and split) a run at a time: per character, the scanner's loop
    cost more than all the rest for a long word.
    """
    special = {"$", "<", escape} | ({"'", '"'} if quotes else set()) | ({stop} if stop else set())
    return frozenset(special), re.compile("[" + "".join(re.escape(c) for c in sorted(special)) + "]")


class _Word:
    """One run of the lexer over one word (the reference's `shellWord`)."""

    __slots__ = ("chars", "env", "lex", "matched", "pos", "raw_escapes", "unmatched")

    def __init__(self, lex: ShellLex, word: str, env: Mapping[str, str]) -> None:
        self.lex = lex
        self.env = env
        self.chars = _scan_chars(word)
        self.pos = 0
        self.raw_escapes = lex.raw_escapes
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()

    def peek(self) -> str:
        return self.chars[self.pos] if self.pos < len(self.chars) else _EOF

    def next(self) -> str:
        ch = self.peek()
        if ch != _EOF:
            self.pos += 1
        return ch

    def process_stop_on(
        self, stop: str, raw_escapes: bool, words: _Words
    ) -> Generator[_Step, object, tuple[str, list[str]]]:
        result: list[str] = []
        saved = self.raw_escapes
        self.raw_escapes = raw_escapes
        chars = self.chars
        special_chars, next_special = _plain_run(stop, self.lex.escape, not self.lex.skip_process_quotes)
        try:
            while self.pos < len(chars):
                ch = chars[self.pos]
                if ch not in special_chars:
                    found = next_special.search(chars, self.pos)
                    end = found.start() if found else len(chars)
                    run = chars[self.pos : end]
                    self.pos = end
                    result.append(run)
                    words.add_string(run)
                    continue
                if stop != _EOF and ch == stop:
                    self.next()
                    return "".join(result), words.get_words()
                special = self._special(ch)
                if special is not None:
                    text = special if isinstance(special, str) else (yield special)
                    assert isinstance(text, str)
                    result.append(text)
                    if ch == "$":
                        words.add_string(text)
                    else:
                        words.add_raw_string(text)
                    continue
                ch = self.next()
                if ch == self.lex.escape:
                    if self.raw_escapes:
                        words.add_raw_char(ch)
                        result.append(ch)
                    ch = self.next()
                    if ch == _EOF:
                        break
                    words.add_raw_char(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
            if stop != _EOF:
                raise _LexFailure(f"unexpected end of statement while looking for matching {stop}")
            return "".join(result), words.get_words()
        finally:
            self.raw_escapes = saved

    def _special(self, ch: str) -> Generator[_Step, object, str] | str | None:
        # A nested step for what may nest, the text at once for what cannot.
        if ch == "$":
            return self.process_dollar()
        if ch == "<":
            return self.process_possible_heredoc()
        if not self.lex.skip_process_quotes:
            if ch == "'":
                return self.process_single_quote()
            if ch == '"':
                return self.process_double_quote()
        return None

    def process_single_quote(self) -> str:
        result: list[str] = []
        ch = self.next()
        if self.lex.raw_quotes:
            result.append(ch)
        while True:
            ch = self.next()
            if ch == _EOF:
                raise _LexFailure("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.lex.raw_quotes:
                    result.append(ch)
                return "".join(result)
            result.append(ch)

    def process_double_quote(self) -> Generator[_Step, object, str]:
        result: list[str] = []
        ch = self.next()
        if self.lex.raw_quotes:
            result.append(ch)
        while True:
            peek = self.peek()
            if peek == _EOF:
                raise _LexFailure("unexpected end of statement while looking for matching double-quote")
            if peek == '"':
                ch = self.next()
                if self.lex.raw_quotes:
                    result.append(ch)
                return "".join(result)
            if peek == "$":
                text = yield self.process_dollar()
                assert isinstance(text, str)
                result.append(text)
                continue
            ch = self.next()
            if ch == self.lex.escape:
                if self.raw_escapes:
                    result.append(ch)
                following = self.peek()
                if following == _EOF:
                    continue
                if following in ('"', "$", self.lex.escape):
                    ch = self.next()
            result.append(ch)

    def process_dollar(self) -> Generator[_Step, object, str]:
        self.pos += 1  # the `$` seen by the caller
        if self.pos >= len(self.chars) or self.chars[self.pos] != "{":
            name = self.process_name()
            if name == "":
                return "$"
            value, found = self.get_env(name)
            if not found and self.lex.skip_unset_env:
                return "$" + name
            return value
        self.next()
        peek = self.peek()
        if peek == _EOF:
            raise _LexFailure("syntax error: missing '}'")
        if peek in "{}:":
            raise _LexFailure("syntax error: bad substitution")
        name = self.process_name()
        ch = self.next()
        # Go renders the end-of-input rune as U+FFFD when printing the modifier.
        chs = ch if ch != _EOF else "\ufffd"
        if ch == "}":
            value, found = self.get_env(name)
            if not found and self.lex.skip_unset_env:
                return "${" + name + "}"
            return value
        if ch == "/":
            replaced = yield self._replace(name)
            assert isinstance(replaced, str)
            return replaced
        null_is_unset = False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            chs += ch if ch != _EOF else "\ufffd"
        elif ch not in ("+", "-", "?", "#", "%") or ch == _EOF:
            raise _LexFailure(f"unsupported modifier ({chs}) in substitution")
        raw = ch in ("#", "%")
        if null_is_unset and raw:
            raise _LexFailure(f"unsupported modifier ({chs}) in substitution")
        word = yield from self._stop_on_or_fail("}", raw, "syntax error: missing '}'")
        value, found = self.get_env(name)
        if self.lex.skip_unset_env and not found:
            return "${" + name + chs + word + "}"
        if ch == "-":
            return word if not found or (null_is_unset and value == "") else value
        if ch == "+":
            return "" if not found or (null_is_unset and value == "") else word
        if ch == "?":
            if not found:
                raise _LexFailure(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise _LexFailure(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if ch in ("%", "#"):
            greedy = word.startswith(ch)
            if greedy:
                word = word[1:]
            if ch == "%":
                return _trim_suffix(word, value, greedy)
            return _trim_prefix(word, value, greedy)
        raise _LexFailure(f"unsupported modifier ({chs}) in substitution")

    def _stop_on(self, stop: str, raw_escapes: bool) -> Generator[_Step, object, str]:
        # Only the outermost word is split: nested words skip the splitting, which would cost
        # the length of everything inside them again at every level.
        found = yield self.process_stop_on(stop, raw_escapes, _UNSPLIT)
        assert isinstance(found, tuple)
        text: str = found[0]
        return text

    def _stop_on_or_fail(self, stop: str, raw_escapes: bool, at_end: str) -> Generator[_Step, object, str]:
        # A failure that reached the end of the input becomes `at_end`. It is raised outside the
        # except clause on purpose: raising inside would chain it to the failure caught, and
        # Python walks that chain on every raise, which costs depth squared when deep.
        try:
            return (yield from self._stop_on(stop, raw_escapes))
        except _LexFailure:
            if self.peek() != _EOF:
                raise
        raise _LexFailure(at_end)

    def _replace(self, name: str) -> Generator[_Step, object, str]:
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        pattern = yield from self._stop_on_or_fail("/", True, "syntax error: missing '/' in ${}")
        replacement = yield from self._stop_on_or_fail("}", True, "syntax error: missing '}'")
        value, found = self.get_env(name)
        if self.lex.skip_unset_env and not found:
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        regex = _pattern_regex(pattern, greedy=True, anchored=False)
        if replace_all:
            return _replace_all(regex, value, replacement)
        span = regex.find(value)
        if span is None:
            return value
        return value[: span[0]] + replacement + value[span[1] :]

    def process_name(self) -> str:
        # The ASCII part at once; what follows (a non-ASCII letter or digit) one at a time.
        fast = _ASCII_NAME.match(self.chars, self.pos)
        if fast is None:
            name: list[str] = []
        else:
            name = [fast.group()]
            self.pos = fast.end()
            if self.pos >= len(self.chars) or self.chars[self.pos].isascii():
                return name[0]  # an ASCII character that is not in the name ends it
            if fast.group()[0].isdigit():
                while self.peek() != _EOF and _golang.is_digit(self.peek()):
                    name.append(self.next())
                return "".join(name)
        while self.peek() != _EOF:
            ch = self.peek()
            if not name and _golang.is_digit(ch):
                while self.peek() != _EOF and _golang.is_digit(self.peek()):
                    name.append(self.next())
                return "".join(name)
            if not name and ch in "@*#?-$!0":
                return self.next()
            if not (_golang.is_letter(ch) or _golang.is_digit(ch) or ch == "_"):
                break
            name.append(self.next())
        return "".join(name)

    def process_possible_heredoc(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        space: list[str] = []
        while self.peek() in ("\t", "\r", " ") and self.peek() != _EOF:
            space.append(self.next())
        return "<<" + "".join(space)

    def get_env(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            self.matched.add(name)
            return self.env[name], True
        self.unmatched.add(name)
        return "", False


@functools.lru_cache(maxsize=256)  # nested `${a#${a#...}}` builds the same few patterns again
def _pattern_regex(pattern: str, *, greedy: bool, anchored: bool) -> Regexp:
    """Turn a `${var#pattern}`-style glob (`*`, `?`, escapes; no brackets) into a Go regexp.

    The same expression the reference builds, run by the linear-time matcher: Python's `re`
    backtracks, so `*a*a*a...b` against a long value took exponential time.
    """
    out: list[str] = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    chars = _scan_chars(pattern)
    i = 0
    while i < len(chars):
        tok = chars[i]
        i += 1
        if tok == "*":
            # `**` matches what `*` does (the same strings, so the same leftmost-first match);
            # a run compiles as one star rather than thousands of them.
            if not out or out[-1] != star:
                out.append(star)
            continue
        if tok == "?":
            out.append(".")
            continue
        if tok == "\\":
            following = chars[i] if i < len(chars) else _EOF
            if following in ("}", "/"):
                continue
            i += 1
            if following not in ("*", "?", "\\"):
                shown = following if following != _EOF else "\ufffd"
                raise _LexFailure(f"invalid pattern ({pattern}) in substitution: invalid escape '\\{shown}'")
            out.append("\\" + following)
            continue
        out.append("\\" + tok if tok in _REGEX_SPECIAL else tok)
    return compile_regexp("".join(out))


# What the reference escapes in a pattern's literal characters (the rest are literal in Go's syntax).
_REGEX_SPECIAL = frozenset("[]{}.+()|^$")


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    span = _pattern_regex(pattern, greedy=greedy, anchored=True).find(value)
    if span is None:
        return value
    return value[span[1] :]


def _replace_all(regex: Regexp, value: str, replacement: str) -> str:
    """Go's `ReplaceAllString`: `$0`/`${0}` and `$$` expand; an empty match right after a match
    is not replaced; the search moves on at least one character."""
    out: list[str] = []
    last_end = 0
    pos = 0
    while pos <= len(value):
        span = regex.find(value, pos)
        if span is None:
            break
        start, end = span
        out.append(value[last_end:start])
        if end > last_end or start == 0:
            out.append(_expand_template(replacement, value[start:end]))
        last_end = end
        pos = pos + 1 if pos + 1 > end else end
    out.append(value[last_end:])
    return "".join(out)


def _reverse_pattern(pattern: str) -> str:
    # Reverse the pattern while keeping each escape before the character it escapes.
    chars = list(pattern)
    out = [""] * len(chars)
    last = len(chars) - 1
    i = 0
    while i <= last:
        tok = chars[i]
        target = last - i
        if tok == "\\" and i != last:
            out[target - 1] = tok
            out[target] = chars[i + 1]
            i += 2
        else:
            out[target] = tok
            i += 1
    return "".join(out)


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # Shortest/longest rightmost match: reverse both strings and search from the left. The
    # reference reverses through a rune slice, which turns each invalid byte into U+FFFD.
    valid = value if value.isascii() else _INVALID_BYTE.sub("\ufffd", value)
    return _trim_prefix(_reverse_pattern(pattern), valid[::-1], greedy)[::-1]


def _expand_template(template: str, whole: str) -> str:
    """Go's `Regexp.Expand` for a regex without groups: only `$0` refers to anything."""
    out: list[str] = []
    while True:
        before, dollar, after = template.partition("$")
        out.append(before)
        if not dollar:
            return "".join(out)
        template = after
        if template.startswith("$"):
            out.append("$")
            template = template[1:]
            continue
        parsed = _template_name(template)
        if parsed is None:
            out.append("$")
            continue
        name, template = parsed
        if name.isascii() and name.isdigit() and not (name[0] == "0" and len(name) > 1) and int(name) == 0:
            out.append(whole)


def _template_name(text: str) -> tuple[str, str] | None:
    brace = text.startswith("{")
    if brace:
        text = text[1:]
    i = 0
    while i < len(text) and (_golang.is_letter(text[i]) or _golang.is_digit(text[i]) or text[i] == "_"):
        i += 1
    if i == 0:
        return None
    name = text[:i]
    if brace:
        if i >= len(text) or text[i] != "}":
            return None
        i += 1
    return name, text[i:]
