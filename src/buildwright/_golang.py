"""Go standard-library behaviours the reference Dockerfile frontend relies on.

The reference is written in Go, and several of its observable results (which characters count
as whitespace, how a string is quoted in an error, how a path is cleaned, what `filepath.Match`
accepts) come from Go's standard library rather than from the frontend itself. They are
reproduced here once so the rest of the package can stay close to the reference's logic.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

# Python's str.isspace() also accepts the ASCII file/group/record/unit separators; Go's
# unicode.IsSpace does not.
NOT_GO_SPACE = frozenset("\x1c\x1d\x1e\x1f")


def is_space(ch: str) -> bool:
    """Go's `unicode.IsSpace` for one character."""
    return ch.isspace() and ch not in NOT_GO_SPACE


def is_space_byte(value: int) -> bool:
    """Go's `unicode.IsSpace(rune(b))` for a single byte, as code indexing bytes does."""
    return value in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0)


def trim_space(text: str) -> str:
    """Go's `strings.TrimSpace`."""
    stripped = text.strip()
    if len(stripped) == len(text) or NOT_GO_SPACE.isdisjoint(text):
        return stripped
    # A separator Python counts as space but Go does not: walk from each end.
    start = 0
    end = len(text)
    while start < end and is_space(text[start]):
        start += 1
    while end > start and is_space(text[end - 1]):
        end -= 1
    return text[start:end]


def trim_left_space(text: str) -> str:
    """Go's `strings.TrimLeftFunc(s, unicode.IsSpace)`."""
    stripped = text.lstrip()
    if len(stripped) == len(text) or NOT_GO_SPACE.isdisjoint(text):
        return stripped
    start = 0
    while start < len(text) and is_space(text[start]):
        start += 1
    return text[start:]


def is_letter(ch: str) -> bool:
    """Go's `unicode.IsLetter`."""
    return ch.isalpha()


def is_digit(ch: str) -> bool:
    """Go's `unicode.IsDigit` (decimal digits of any script)."""
    return ch.isdecimal()


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def quote(text: str) -> str:
    """Go's `strconv.Quote` (also what `%q` and `%#v` print for a string)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif 0xDC80 <= code <= 0xDCFF:
            # An undecodable byte kept by the surrogateescape codec: Go prints the raw byte.
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == " " or ch.isprintable():
            out.append(ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def levenshtein(a: str, b: str) -> int:
    """Edit distance with unit costs for insertion, deletion and substitution."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def suggest(value: str, options: Iterable[str], *, case_sensitive: bool) -> str | None:
    """The reference's "did you mean" search: the closest option under distance 3, if any.

    An exact match means the error was about something else, so no suggestion is made.
    """
    original = value
    if not case_sensitive:
        value = value.lower()
    match = ""
    best = 3
    for option in options:
        if not case_sensitive:
            option = option.lower()
        if value == option:
            return None
        if abs(len(value) - len(option)) >= best:
            continue  # the distance is at least the length difference: no need to compute it
        distance = levenshtein(value, option)
        if distance < best:
            match = option if case_sensitive else _match_case(option, original)
            best = distance
    return match or None


def with_suggestion(message: str, value: str, options: Iterable[str], *, case_sensitive: bool) -> str:
    """Append ` (did you mean X?)` to `message` when a close option exists."""
    match = suggest(value, options, case_sensitive=case_sensitive)
    if match is None:
        return message
    return f"{message} (did you mean {match}?)"


def _match_case(value: str, original: str) -> str:
    if original == original.lower():
        return value.lower()
    if original == original.upper():
        return value.upper()
    return value


class BadPatternError(ValueError):
    """Go's `filepath.ErrBadPattern`."""

    def __init__(self) -> None:
        super().__init__("syntax error in pattern")


def filepath_match(pattern: str, name: str) -> bool:
    """Go's `filepath.Match` on Unix; raises `BadPatternError` for a malformed pattern."""
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and chunk == "":
            return "/" not in name
        rest, ok = _match_chunk(chunk, name)
        if ok and (rest == "" or pattern):
            name = rest
            continue
        matched_later = False
        if star:
            i = 0
            while i < len(name) and name[i] != "/":
                rest, ok = _match_chunk(chunk, name[i + 1 :])
                if ok:
                    if not pattern and rest:
                        i += 1
                        continue
                    name = rest
                    matched_later = True
                    break
                i += 1
        if matched_later:
            continue
        # The reference validates the rest of the pattern before reporting a mismatch.
        while pattern:
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, "")
        return False
    return name == ""


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif ch == "[":
            in_range = True
        elif ch == "]":
            in_range = False
        elif ch == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _match_chunk(chunk: str, s: str) -> tuple[str, bool]:
    # Indices, not slices: slicing both strings at each character made a long literal quadratic
    # (a 40 KB .dockerignore line took 0.2 s to validate). Ranges still slice (at most 256).
    failed = False
    i = j = 0
    while i < len(chunk):
        if not failed and j >= len(s):
            failed = True
        head = chunk[i]
        if head == "[":
            r = ""
            if not failed:
                r = s[j]
                j += 1
            chunk = chunk[i + 1 :]
            i = 0
            negated = False
            if chunk.startswith("^"):
                negated = True
                chunk = chunk[1:]
            matched = False
            nrange = 0
            while True:
                if chunk.startswith("]") and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = _get_esc(chunk[1:])
                if r and lo <= r <= hi:
                    matched = True
                nrange += 1
            if matched == negated:
                failed = True
        elif head == "?":
            if not failed:
                if s[j] == "/":
                    failed = True
                j += 1
            i += 1
        else:
            if head == "\\":
                i += 1
                if i >= len(chunk):
                    raise BadPatternError()
            if not failed:
                if chunk[i] != s[j]:
                    failed = True
                j += 1
            i += 1
    if failed:
        return "", False
    return s[j:], True


def _get_esc(chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise BadPatternError()
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise BadPatternError()
    r = chunk[0]
    rest = chunk[1:]
    if 0xDC80 <= ord(r) <= 0xDCFF or not rest:
        raise BadPatternError()
    return r, rest


# encoding/json escapes these inside strings by default (and they never occur outside strings).
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json(value: Any, *, indent: int | None = None) -> str:
    """JSON as Go's encoding/json writes it: compact (`json.Marshal`) or with `indent` spaces
    (`MarshalIndent`), non-ASCII kept as UTF-8, `<`, `>`, `&`, U+2028 and U+2029 escaped."""
    if indent is None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(value, ensure_ascii=False, indent=indent)
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


_TRUE_WORDS = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE_WORDS = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_bool(text: str) -> bool | None:
    """Go's `strconv.ParseBool`: the value, or None where Go reports a syntax error."""
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    return None
