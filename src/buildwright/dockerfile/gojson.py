"""Whether Go's `json.Unmarshal` into an `interface{}` accepts a text, decided without recursion.

Python's json module recurses once per nesting level and stops at the interpreter's recursion
limit (about 1,000 levels); Go's decoder accepts up to 10,000 levels and refuses deeper input as
a syntax error. The Dockerfile parser needs Go's answer for deeply nested JSON arrays (a valid one
is an error, an invalid one is shell form), so this checks the grammar with an explicit stack.
"""

from __future__ import annotations

import math
import re

# encoding/json's scanner refuses input nested deeper than this.
MAX_DEPTH = 10_000

_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
# Disjoint alternatives, so the match is linear in the string's length.
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')
_LITERALS = ("true", "false", "null")
_CLOSER = {"[": "]", "{": "}"}


def unmarshals(text: str) -> bool:
    """True if Go would decode `text` as one JSON value (syntax, nesting depth, number range)."""
    stack: list[str] = []
    state = "value"  # what comes next: "value", "key" (object member name) or "after" (a value ended)
    pos = 0
    end = len(text)
    while True:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
        if state == "after" and not stack:
            return pos == end
        if pos >= end:
            return False
        ch = text[pos]
        if state == "after":
            if ch == ",":
                state = "value" if stack[-1] == "[" else "key"
            elif ch == _CLOSER[stack[-1]]:
                stack.pop()
            else:
                return False
            pos += 1
            continue
        if state == "key":
            pos = _string_end(text, pos)
            if pos < 0:
                return False
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= end or text[pos] != ":":
                return False
            pos += 1
            state = "value"
            continue
        if ch in _CLOSER:
            stack.append(ch)
            if len(stack) > MAX_DEPTH:
                return False
            pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
            if pos < end and text[pos] == _CLOSER[ch]:
                stack.pop()
                pos += 1
                state = "after"
            else:
                state = "value" if ch == "[" else "key"
            continue
        pos = _scalar_end(text, pos)
        if pos < 0:
            return False
        state = "after"


def _string_end(text: str, pos: int) -> int:
    string = _STRING.match(text, pos)
    return -1 if string is None else string.end()


def _scalar_end(text: str, pos: int) -> int:
    if text[pos] == '"':
        return _string_end(text, pos)
    number = _NUMBER.match(text, pos)
    if number is not None:
        # Decoding into a float64 fails for numbers out of its range.
        return -1 if math.isinf(float(number.group())) else number.end()
    for literal in _LITERALS:
        if text.startswith(literal, pos):
            return pos + len(literal)
    return -1
