"""Go `regexp` matching in linear time, for the expressions ignore patterns compile to.

moby/patternmatcher turns a pattern into a Go regular expression, and Go's engine runs in time
linear in the text. Python's `re` backtracks: what a hostile pattern yields (`[^/]*a[^/]*a...`,
`(.*/)?(.*/)?...`) takes exponential time there. This module parses Go's syntax into a small
program and runs it as a Thompson simulation with a lazily built, size-capped DFA cache: each text
character costs one dictionary lookup, or one pass over the program the first time a (state,
character) pair is seen, so a match is O(len(program) * len(text)) at worst.

Parsed: concatenation, `|`, `(...)`, `*`, `+`, `?` (and their lazy forms, which only `find`
tells apart), `.`, `^`, `$`, `\\A`, `\\z`, `\\b`, `\\B`, `\\Q...\\E`, classes with ranges, `[:name:]`,
`\\d\\s\\w`, one-letter `\\p`/`\\P` categories, and Go's escapes. Go's other forms (`(?flags)`,
`{n,m}` counts, `\\p{Name}`) cannot come out of a pattern's translation, which escapes
`(){}|+.$` and emits the rest itself; they are refused here as `RegexpError`, which the matcher
reports as a bad pattern. The flags are Go's `regexp.Compile`
defaults: `^`/`$` match at the text's ends only, `.` does not match a newline, classes may.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import field
from enum import IntEnum

from buildwright._values import valueclass

_MAX_RUNE = 0x10FFFF
# Instruction ids the DFA cache may hold (about 40 MB at worst) before it starts again.
_CACHE_BUDGET = 1 << 20


class RegexpError(ValueError):
    """The expression is not valid Go regexp syntax (or uses a form this module refuses)."""


class _Op(IntEnum):
    CHAR = 1
    ANY_NOT_NL = 2
    SPLIT = 3
    JMP = 4
    BEGIN_TEXT = 5
    END_TEXT = 6
    WORD_BOUNDARY = 7
    NO_WORD_BOUNDARY = 8
    MATCH = 9


# --- character classes -------------------------------------------------------------------------

_Ranges = tuple[tuple[int, int], ...]

_PERL: dict[str, _Ranges] = {
    "d": ((0x30, 0x39),),
    "s": ((0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)),
    "w": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
}

_POSIX: dict[str, _Ranges] = {
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "ascii": ((0x00, 0x7F),),
    "blank": ((0x09, 0x09), (0x20, 0x20)),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "digit": ((0x30, 0x39),),
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "space": ((0x09, 0x0D), (0x20, 0x20)),
    "upper": ((0x41, 0x5A),),
    "word": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}

# Go's unicode.Categories: the one-letter groups and their two-letter members (no "Cn").
_CATEGORIES = frozenset(
    [
        "C",
        "Cc",
        "Cf",
        "Co",
        "Cs",
        "L",
        "Ll",
        "Lm",
        "Lo",
        "Lt",
        "Lu",
        "M",
        "Mc",
        "Me",
        "Mn",
        "N",
        "Nd",
        "Nl",
        "No",
        "P",
        "Pc",
        "Pd",
        "Pe",
        "Pf",
        "Pi",
        "Po",
        "Ps",
        "S",
        "Sc",
        "Sk",
        "Sm",
        "So",
        "Z",
        "Zl",
        "Zp",
        "Zs",
    ]
)


@valueclass
class _Item:
    """One member of a class: code point ranges or a Unicode category, possibly complemented."""

    ranges: _Ranges = ()
    category: str = ""
    negated: bool = False

    def contains(self, code: int) -> bool:
        if self.category:
            if self.category == "Any":
                found = True
            else:
                cat = unicodedata.category(chr(code))
                found = cat != "Cn" and cat.startswith(self.category)
        else:
            found = any(lo <= code <= hi for lo, hi in self.ranges)
        return found != self.negated


@valueclass
class CharClass:
    """A set of characters: the union of `items`, complemented when `negated`."""

    items: tuple[_Item, ...]
    negated: bool = False

    def contains(self, ch: str) -> bool:
        code = ord(ch)
        return any(item.contains(code) for item in self.items) != self.negated


@functools.lru_cache(maxsize=4096)  # a long literal pattern repeats the same few characters
def _literal(code: int) -> CharClass:
    return CharClass((_Item(((code, code),)),))


# --- syntax tree -------------------------------------------------------------------------------


@valueclass
class _Node:
    """A syntax tree node: `op` is "char", "any", "assert", "cat", "alt", "star", "plus", "quest"."""

    op: str
    cls: CharClass | None = None
    assertion: _Op | None = None
    subs: tuple[_Node, ...] = ()
    lazy: bool = False


_EMPTY = _Node("cat")


@functools.lru_cache(maxsize=4096)
def _literal_node(code: int) -> _Node:
    return _Node("char", cls=_literal(code))


class _Parser:
    """Go's `regexp/syntax` parse loop for the Perl flags `regexp.Compile` uses."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> _Node:
        # Each open group keeps its finished alternatives and the concatenation being built.
        frames: list[tuple[list[_Node], list[_Node]]] = [([], [])]
        last_was_repeat = False
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            repeat = False
            alternatives, items = frames[-1]
            if ch == "(":
                if text.startswith("(?", self.pos):
                    raise RegexpError("invalid or unsupported Perl syntax")
                self.pos += 1
                frames.append(([], []))
            elif ch == "|":
                self.pos += 1
                alternatives.append(_concat(items))
                items.clear()
            elif ch == ")":
                self.pos += 1
                if len(frames) == 1:
                    raise RegexpError("unexpected )")
                frames.pop()
                frames[-1][1].append(_alternate(alternatives, items))
            elif ch == "^":
                self.pos += 1
                items.append(_Node("assert", assertion=_Op.BEGIN_TEXT))
            elif ch == "$":
                self.pos += 1
                items.append(_Node("assert", assertion=_Op.END_TEXT))
            elif ch == ".":
                self.pos += 1
                items.append(_Node("any"))
            elif ch == "[":
                items.append(_Node("char", cls=self._class()))
            elif ch in "*+?":
                self.pos += 1
                if not items:
                    raise RegexpError("missing argument to repetition operator")
                lazy = self.pos < len(text) and text[self.pos] == "?"
                if lazy:
                    self.pos += 1
                if last_was_repeat:
                    raise RegexpError("invalid nested repetition operator")
                op = {"*": "star", "+": "plus", "?": "quest"}[ch]
                items[-1] = _Node(op, subs=(items[-1],), lazy=lazy)
                repeat = True
            elif ch == "{":
                raise RegexpError("unsupported repetition count")
            elif ch == "\\":
                self._escape_item(items)
            else:
                self.pos += 1
                items.append(_literal_node(ord(ch)))
            last_was_repeat = repeat
        if len(frames) != 1:
            raise RegexpError("missing closing )")
        alternatives, items = frames[0]
        return _alternate(alternatives, items)

    def _escape_item(self, items: list[_Node]) -> None:
        text = self.text
        if self.pos + 1 >= len(text):
            raise RegexpError("trailing backslash at end of expression")
        nxt = text[self.pos + 1]
        assertions = {"A": _Op.BEGIN_TEXT, "z": _Op.END_TEXT, "b": _Op.WORD_BOUNDARY, "B": _Op.NO_WORD_BOUNDARY}
        if nxt in assertions:
            self.pos += 2
            items.append(_Node("assert", assertion=assertions[nxt]))
            return
        if nxt == "Q":
            end = text.find("\\E", self.pos + 2)
            literal = text[self.pos + 2 :] if end < 0 else text[self.pos + 2 : end]
            self.pos = len(text) if end < 0 else end + 2
            items.extend(_literal_node(ord(c)) for c in literal)
            return
        item = self._class_escape()
        if item is not None:
            items.append(_Node("char", cls=CharClass((item,))))
            return
        items.append(_literal_node(self._escape()))

    def _class_escape(self) -> _Item | None:
        """`\\d`-style Perl classes and `\\p`/`\\P` Unicode categories at `pos`, else None."""
        text = self.text
        if not text.startswith("\\", self.pos) or self.pos + 1 >= len(text):
            return None
        letter = text[self.pos + 1]
        if letter.lower() in _PERL:
            self.pos += 2
            return _Item(_PERL[letter.lower()], negated=letter.isupper())
        if letter not in "pP":
            return None
        negated = letter == "P"
        start = self.pos + 2
        if start < len(text) and text[start] == "{":
            end = text.find("}", start)
            if end < 0:
                raise RegexpError("invalid character class range")
            name = text[start + 1 : end]
            self.pos = end + 1
        else:
            name = text[start : start + 1]
            self.pos = start + 1
        if name.startswith("^"):
            negated = not negated
            name = name[1:]
        if name != "Any" and name not in _CATEGORIES:
            # `\p{Name}` never comes from a pattern (its braces are escaped): categories only.
            raise RegexpError("invalid character class range")
        return _Item(category=name, negated=negated)

    def _escape(self) -> int:
        """Go's `parseEscape`: one escaped character at `pos` (which holds the backslash)."""
        text = self.text
        self.pos += 1
        if self.pos >= len(text):
            raise RegexpError("trailing backslash at end of expression")
        ch = text[self.pos]
        self.pos += 1
        if ch.isascii() and not ch.isalnum():
            return ord(ch)
        octal = "01234567"
        if ch in octal and (ch == "0" or (self.pos < len(text) and text[self.pos] in octal)):
            value = int(ch)
            for _ in range(2):
                if self.pos >= len(text) or text[self.pos] not in octal:
                    break
                value = value * 8 + int(text[self.pos])
                self.pos += 1
            return value
        if ch == "x":
            return self._hex_escape()
        simple = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
        if ch in simple:
            return simple[ch]
        raise RegexpError("invalid escape sequence")

    def _hex_escape(self) -> int:
        text = self.text
        if text.startswith("{", self.pos):
            end = text.find("}", self.pos)
            digits = text[self.pos + 1 : end] if end >= 0 else ""
            if not digits or not _is_hex(digits):
                raise RegexpError("invalid escape sequence")
            value = int(digits, 16)
            if value > _MAX_RUNE:
                raise RegexpError("invalid escape sequence")
            self.pos = end + 1
            return value
        digits = text[self.pos : self.pos + 2]
        if len(digits) != 2 or not _is_hex(digits):
            raise RegexpError("invalid escape sequence")
        self.pos += 2
        return int(digits, 16)

    def _class(self) -> CharClass:
        """Go's `parseClass` at `pos` (which holds the `[`)."""
        text = self.text
        self.pos += 1
        negated = False
        if text.startswith("^", self.pos):
            negated = True
            self.pos += 1
        items: list[_Item] = []
        first = True
        while self.pos >= len(text) or text[self.pos] != "]" or first:
            first = False
            if text.startswith("[:", self.pos):
                end = text.find(":]", self.pos + 2)
                if end >= 0:
                    name = text[self.pos + 2 : end]
                    named_negated = name.startswith("^")
                    name = name.removeprefix("^")
                    if name not in _POSIX:
                        raise RegexpError("invalid character class range")
                    items.append(_Item(_POSIX[name], negated=named_negated))
                    self.pos = end + 2
                    continue
            item = self._class_escape()
            if item is not None:
                items.append(item)
                continue
            lo = self._class_char()
            hi = lo
            if text.startswith("-", self.pos) and self.pos + 1 < len(text) and text[self.pos + 1] != "]":
                self.pos += 1
                hi = self._class_char()
                if hi < lo:
                    raise RegexpError("invalid character class range")
            items.append(_Item(((lo, hi),)))
        self.pos += 1
        return CharClass(tuple(items), negated)

    def _class_char(self) -> int:
        text = self.text
        if self.pos >= len(text):
            raise RegexpError("missing closing ]")
        if text[self.pos] == "\\":
            return self._escape()
        self.pos += 1
        return ord(text[self.pos - 1])


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _concat(items: list[_Node]) -> _Node:
    return _Node("cat", subs=tuple(items))


def _alternate(alternatives: list[_Node], items: list[_Node]) -> _Node:
    last = _concat(items)
    if not alternatives:
        return last
    return _Node("alt", subs=(*alternatives, last))


# --- program and simulation --------------------------------------------------------------------

_Inst = tuple[_Op, int, int, CharClass | None]


def _emit(node: _Node) -> list[_Inst]:
    """Compile the tree to a program; jump targets are absolute. Iterative: no depth limit."""
    program: list[_Inst] = []
    # Work items: a node to emit, or a callable that patches jumps once its node is emitted.
    work: list[_Node | Callable[[], None]] = [node]
    while work:
        item = work.pop()
        if callable(item):
            item()
            continue
        _emit_one(item, program, work)
    program.append((_Op.MATCH, 0, 0, None))
    return program


def _emit_one(node: _Node, program: list[_Inst], work: list[_Node | Callable[[], None]]) -> None:
    if node.op == "char":
        program.append((_Op.CHAR, 0, 0, node.cls))
    elif node.op == "any":
        program.append((_Op.ANY_NOT_NL, 0, 0, None))
    elif node.op == "assert":
        assert node.assertion is not None
        program.append((node.assertion, 0, 0, None))
    elif node.op == "cat":
        work.extend(reversed(node.subs))
    elif node.op in ("star", "quest"):
        split = len(program)
        program.append((_Op.SPLIT, split + 1, 0, None))

        def close() -> None:
            if node.op == "star":
                program.append((_Op.JMP, split, 0, None))
            # A SPLIT's first branch is the one a leftmost-first search prefers: the body when
            # greedy, what follows when lazy.
            body, after = split + 1, len(program)
            program[split] = (_Op.SPLIT, after, body, None) if node.lazy else (_Op.SPLIT, body, after, None)

        work.append(close)
        work.append(node.subs[0])
    elif node.op == "plus":
        start = len(program)
        work.append(
            lambda: program.append(
                (_Op.SPLIT, len(program) + 1, start, None) if node.lazy else (_Op.SPLIT, start, len(program) + 1, None)
            )
        )
        work.append(node.subs[0])
    else:  # alt: split to each branch, each branch jumps to the end
        _emit_alt(node.subs, program, work)


def _emit_alt(branches: tuple[_Node, ...], program: list[_Inst], work: list[_Node | Callable[[], None]]) -> None:
    first, rest = branches[0], branches[1:]
    if not rest:
        work.append(first)
        return
    split = len(program)
    program.append((_Op.SPLIT, split + 1, 0, None))
    jumps: list[int] = []

    def after_first() -> None:
        jumps.append(len(program))
        program.append((_Op.JMP, 0, 0, None))
        program[split] = (_Op.SPLIT, split + 1, len(program), None)
        work.append(finish)
        _emit_alt(rest, program, work)

    def finish() -> None:
        program[jumps[0]] = (_Op.JMP, len(program), 0, None)

    work.append(after_first)
    work.append(first)


def _is_word(ch: str | None) -> bool:
    return ch is not None and ch.isascii() and (ch.isalnum() or ch == "_")


_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")


# What `find` caches per (state, character, context): the threads the new start added, the index
# of the thread that matched (-1: none), the next state, and each next thread's parent index.
_FindStep = tuple[int, int, int, tuple[int, ...]]


class _Cache:
    """Transitions of the lazily built DFA, with a budget on the instruction ids they hold.

    `find` keeps its own: its states are thread lists in priority order (interned as ids), not
    sets. `computed` counts the transitions computed and `visited` the instructions handled one
    at a time in Python (what a state holds is otherwise handled as a whole, as a bit mask): the
    work a hostile expression or text could try to multiply.
    """

    __slots__ = (
        "accepting",
        "closures",
        "computed",
        "find_steps",
        "last",
        "size",
        "state_ids",
        "states",
        "transitions",
        "visited",
    )

    def __init__(self) -> None:
        # States are bit masks of instruction ids (a big int's `&`, `|` and shift run in C).
        self.transitions: dict[tuple[int, str, bool, bool], int] = {}
        self.accepting: dict[str, int] = {}
        self.closures: dict[tuple[int, bool, bool, bool], int] = {}
        self.size = 0
        self.computed = 0
        self.visited = 0
        # The last question and its answer: a file repeating one pattern asks it again at once.
        self.last: tuple[object, bool] | None = None
        self.states: list[tuple[int, ...]] = []
        self.state_ids: dict[tuple[int, ...], int] = {}
        self.find_steps: dict[tuple[int, bool, str, int], _FindStep] = {}

    def clear(self) -> None:
        self.transitions.clear()
        self.accepting.clear()
        self.closures.clear()
        self.states.clear()
        self.state_ids.clear()
        self.find_steps.clear()
        self.size = 0

    def intern(self, pcs: tuple[int, ...]) -> int:
        found = self.state_ids.get(pcs)
        if found is None:
            found = self.state_ids[pcs] = len(self.states)
            self.states.append(pcs)
            self.size += len(pcs) + 1
        return found


@valueclass
class Regexp:
    """A compiled expression; `matches` is Go's `MatchString`."""

    source: str
    _program: tuple[_Inst, ...] = field(repr=False)
    _anchored: bool = field(repr=False)
    _has_word_assertions: bool = field(repr=False)
    # Instructions a thread can rest on (consume or match): their closure is themselves.
    _plain: int = field(repr=False)
    # Literal instructions by character (ascending), and the others that consume (classes, `.`).
    _literals: dict[str, list[int]] = field(repr=False)
    _classes: tuple[int, ...] = field(repr=False)
    _cache: _Cache = field(repr=False, default_factory=_Cache, compare=False)

    @property
    def _state_cost(self) -> int:
        # What a cached mask costs against the budget, in instruction ids (as the sets did).
        return len(self._program) // 8 + 1

    def matches(self, text: str) -> bool:
        """Whether the expression matches anywhere in `text` (invalid bytes read as U+FFFD)."""
        last = self._cache.last
        if last is not None and last[0] == text:
            return last[1]
        found = self._matches(text)
        self._cache.last = (text, found)
        return found

    def _matches(self, text: str) -> bool:
        chars = text if text.isascii() else _SURROGATE_ESCAPE.sub("\ufffd", text)
        if self._cache.size > _CACHE_BUDGET:
            # Bounded memory for a pathological expression: start the cache again.
            self._cache.clear()
        starts = range(1) if self._anchored else range(len(chars) + 1)
        words = self._has_word_assertions
        return any(self._matches_at(chars, start, words) for start in starts)

    def _matches_at(self, chars: str, start: int, words: bool) -> bool:
        size = len(chars)
        accept = len(self._program) - 1
        cache = self._cache
        prev = chars[start - 1] if start else None
        nxt = chars[start] if start < size else None
        members = self._closure((0,), start == 0, start == size, _is_word(prev), _is_word(nxt))
        for i in range(start, size):
            if members >> accept & 1:
                return True
            if not members:
                return False
            ch = chars[i]
            at_end = i + 1 == size
            # Only \b and \B look at the next character; most programs have neither.
            next_word = words and not at_end and _is_word(chars[i + 1])
            key = (members, ch, at_end, next_word)
            found = cache.transitions.get(key)
            if found is None:
                found = self._step(members, ch, at_end, next_word)
                cache.computed += 1
                if cache.size <= _CACHE_BUDGET:
                    cache.transitions[key] = found
                    cache.size += self._state_cost
            members = found
        return bool(members >> accept & 1)

    def matches_prefixes(self, text: str, ends: list[int]) -> bool:
        """Whether `matches(text[:end])` holds for some end in `ends` (ascending, each >= 1).

        For an anchored expression one pass over `text` answers for every prefix (a path's parent
        directories), instead of one pass per prefix: linear, not quadratic, in the path's length.
        """
        if not ends:
            return False
        key = (text, tuple(ends))
        last = self._cache.last
        if last is not None and last[0] == key:
            return last[1]
        found = self._matches_prefixes(text, ends)
        self._cache.last = (key, found)
        return found

    def _matches_prefixes(self, text: str, ends: list[int]) -> bool:
        if not self._anchored:
            return any(self.matches(text[:end]) for end in ends)
        chars = text if text.isascii() else _SURROGATE_ESCAPE.sub("\ufffd", text)
        if self._cache.size > _CACHE_BUDGET:
            self._cache.clear()
        words = self._has_word_assertions
        accept = len(self._program) - 1
        wanted = set(ends)
        last = ends[-1]
        members = self._closure((0,), True, False, False, _is_word(chars[0]))
        for i in range(last):
            # As `_matches_at` on each prefix: states before a prefix's last character are shared.
            if members >> accept & 1:
                return True
            if not members:
                return False
            ch = chars[i]
            if i + 1 in wanted and self._transition(members, ch, True, False) >> accept & 1:
                return True
            if i + 1 == last:
                break
            members = self._transition(members, ch, False, words and _is_word(chars[i + 1]))
        return False

    @property
    def computed_steps(self) -> int:
        """Transitions computed so far (each one pass over the program): the work done, for tests."""
        return self._cache.computed

    @property
    def visited_instructions(self) -> int:
        """Instructions handled one at a time so far (closures, `find`'s threads): for tests."""
        return self._cache.visited

    def find(self, text: str, pos: int = 0) -> tuple[int, int] | None:
        """Go's `FindStringIndex` from `pos` (the text before it still counts for `^` and `\\b`).

        The leftmost match, and of those the one a backtracking search would find first (greedy
        and lazy repeats, `|` in order): a Pike VM whose thread lists, in priority order, are
        cached as DFA states, so each character costs a dictionary lookup and the copy of the
        threads' start positions; a new state costs one pass over the program. Linear in the text.
        """
        chars = text if text.isascii() else _SURROGATE_ESCAPE.sub("\ufffd", text)
        cache = self._cache
        if cache.size > _CACHE_BUDGET:
            cache.clear()
        size = len(chars)
        words = self._has_word_assertions
        anchored = self._anchored
        steps = cache.find_steps
        state = cache.intern(())
        starts: list[int] = []
        matched: tuple[int, int] | None = None
        for i in range(pos, size + 1):
            inject = matched is None and (not anchored or i == 0)
            if not inject and not starts:
                break
            ch = chars[i] if i < size else ""
            # The context the assertions may need: text ends, and word characters either side.
            context = (i == 0) | (i == size) << 1 | (i + 1 == size) << 2
            if words:
                context |= (i > 0 and _is_word(chars[i - 1])) << 3 | (i + 1 < size and _is_word(chars[i + 1])) << 4
            key = (state, inject, ch, context)
            found = steps.get(key)
            if found is None:
                if cache.size > _CACHE_BUDGET:
                    pcs = cache.states[state]
                    cache.clear()
                    state = cache.intern(pcs)
                    key = (state, inject, ch, context)
                found = self._find_step(cache.states[state], inject, ch, context)
                steps[key] = found
                cache.size += len(found[3]) + 4
            injected, match_index, state, parents = found
            if injected:
                starts.extend([i] * injected)
            if match_index >= 0:
                matched = (starts[match_index], i)
            starts = [starts[p] for p in parents]
        return matched

    def _find_step(self, pcs: tuple[int, ...], inject: bool, ch: str, context: int) -> _FindStep:
        self._cache.computed += 1
        begin, end_here, end_next = bool(context & 1), bool(context & 2), bool(context & 4)
        prev_word, after_word = bool(context & 8), bool(context & 16)
        threads = list(pcs)
        injected = 0
        if inject:
            present = set(pcs)
            for pc in self._ordered_closure(0, begin, end_here, prev_word, _is_word(ch or None), set()):
                if pc not in present:
                    threads.append(pc)
                    injected += 1
        match_index = -1
        following: list[int] = []
        parents: list[int] = []
        seen: set[int] = set()
        self._cache.visited += len(threads)
        for index, pc in enumerate(threads):
            op, _, _, cls = self._program[pc]
            if op is _Op.MATCH:
                match_index = index  # threads of lower priority are cut
                break
            if not ch:
                continue
            if (op is _Op.CHAR and cls is not None and cls.contains(ch)) or (op is _Op.ANY_NOT_NL and ch != "\n"):
                for reached in self._ordered_closure(pc + 1, False, end_next, _is_word(ch), after_word, seen):
                    following.append(reached)
                    parents.append(index)
        return injected, match_index, self._cache.intern(tuple(following)), tuple(parents)

    def _ordered_closure(
        self, seed: int, at_begin: bool, at_end: bool, prev_word: bool, next_word: bool, seen: set[int]
    ) -> list[int]:
        """`_closure` in priority order (a SPLIT's first branch first), skipping what `seen` holds."""
        kept = list(self._walk([seed], seen, at_begin, at_end, prev_word, next_word))
        self._cache.visited += len(kept)
        return kept

    def _walk(
        self, stack: list[int], seen: set[int], at_begin: bool, at_end: bool, prev_word: bool, next_word: bool
    ) -> Iterator[int]:
        """The instructions reachable from `stack` without input that consume or match, in
        priority order; every instruction passed goes into `seen`."""
        program = self._program
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op, x, y, _ = program[pc]
            if op is _Op.SPLIT:
                stack.append(y)
                stack.append(x)
            elif op is _Op.JMP:
                stack.append(x)
            elif op is _Op.BEGIN_TEXT:
                if at_begin:
                    stack.append(pc + 1)
            elif op is _Op.END_TEXT:
                if at_end:
                    stack.append(pc + 1)
            elif op is _Op.WORD_BOUNDARY:
                if prev_word != next_word:
                    stack.append(pc + 1)
            elif op is _Op.NO_WORD_BOUNDARY:
                if prev_word == next_word:
                    stack.append(pc + 1)
            else:
                yield pc

    def _transition(self, members: int, ch: str, at_end: bool, next_word: bool) -> int:
        cache = self._cache
        key = (members, ch, at_end, next_word)
        found = cache.transitions.get(key)
        if found is None:
            found = self._step(members, ch, at_end, next_word)
            cache.computed += 1
            if cache.size <= _CACHE_BUDGET:
                cache.transitions[key] = found
                cache.size += self._state_cost
        return found

    def _step(self, members: int, ch: str, at_end: bool, next_word: bool) -> int:
        # The threads on an instruction that takes `ch` move to the next one; only those landing
        # on a jump, split or assertion need a closure (a literal run's threads land on literals).
        cache = self._cache
        accepting = cache.accepting.get(ch)
        if accepting is None:
            accepting = self._accepting(ch)
        moved = (members & accepting) << 1
        found = moved & self._plain
        rest = moved & ~self._plain
        if rest:
            prev_word = _is_word(ch)
            closures = cache.closures
            while rest:
                low = rest & -rest
                pc = low.bit_length() - 1
                rest ^= low
                key = (pc, at_end, prev_word, next_word)
                reached = closures.get(key)
                if reached is None:
                    reached = closures[key] = self._closure((pc,), False, at_end, prev_word, next_word)
                    cache.size += self._state_cost
                found |= reached
        return found

    def _accepting(self, ch: str) -> int:
        """The instructions that consume `ch`, as a mask (computed once per character)."""
        mask = _mask(self._literals.get(ch, []))
        self._cache.visited += len(self._classes)
        for pc in self._classes:
            op, _, _, cls = self._program[pc]
            if (op is _Op.ANY_NOT_NL and ch != "\n") or (op is _Op.CHAR and cls is not None and cls.contains(ch)):
                mask |= 1 << pc
        self._cache.accepting[ch] = mask
        self._cache.size += self._state_cost
        return mask

    def _closure(
        self, seeds: tuple[int, ...] | list[int], at_begin: bool, at_end: bool, prev_word: bool, next_word: bool
    ) -> int:
        """The instructions reachable without input, keeping only those that consume or match."""
        seen: set[int] = set()
        kept = 0
        for pc in self._walk(list(seeds), seen, at_begin, at_end, prev_word, next_word):
            kept |= 1 << pc
        self._cache.visited += len(seen)
        return kept


def compile_regexp(source: str) -> Regexp:
    """Parse `source` as Go's `regexp.Compile` would; raises RegexpError where Go errs."""
    tree = _Parser(source).parse()
    anchored = _starts_with_begin(tree)
    program = tuple(_emit(tree))
    words = any(inst[0] is _Op.WORD_BOUNDARY or inst[0] is _Op.NO_WORD_BOUNDARY for inst in program)
    # Masks built from bytes, not by OR-ing one bit at a time (quadratic for a 400 KB pattern).
    plain = bytearray((len(program) + 7) // 8)
    literals: dict[str, list[int]] = {}
    classes: list[int] = []
    for pc, (op, _, _, cls) in enumerate(program):
        if op in (_Op.CHAR, _Op.ANY_NOT_NL, _Op.MATCH):
            plain[pc >> 3] |= 1 << (pc & 7)
        code = _single(cls) if op is _Op.CHAR and cls is not None else None
        if code is not None:
            literals.setdefault(chr(code), []).append(pc)
        elif op is _Op.ANY_NOT_NL or op is _Op.CHAR:
            classes.append(pc)
    return Regexp(source, program, anchored, words, int.from_bytes(plain, "little"), literals, tuple(classes))


def _mask(pcs: list[int]) -> int:
    bits = bytearray((pcs[-1] >> 3) + 1) if pcs else bytearray()
    for pc in pcs:
        bits[pc >> 3] |= 1 << (pc & 7)
    return int.from_bytes(bits, "little")


def _single(cls: CharClass) -> int | None:
    """The one code point a class holds, if it is a plain literal (most instructions are)."""
    if cls.negated or len(cls.items) != 1:
        return None
    item = cls.items[0]
    if item.category or item.negated or len(item.ranges) != 1 or item.ranges[0][0] != item.ranges[0][1]:
        return None
    return item.ranges[0][0]


def _starts_with_begin(node: _Node) -> bool:
    # A leading `^` pins every match to the start, so one simulation from position 0 suffices.
    while node.op == "cat" and node.subs:
        node = node.subs[0]
    return node.op == "assert" and node.assertion is _Op.BEGIN_TEXT
