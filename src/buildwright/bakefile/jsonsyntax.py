"""HCL's JSON syntax: a `docker-bake.json` read into the same syntax tree as a native HCL file.

The top-level object's `target`, `group`, `variable` and `function` keys hold blocks (an object of
label -> body, a body being an object or an array of objects); other keys are attributes. Strings are
templates, so `"${TAG}"` interpolates as it does in HCL.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from buildwright._values import valueclass
from buildwright.bakefile.errors import BakeFileError, Where, at
from buildwright.bakefile.syntax import Attribute, Block, Body, Expr, Literal, ObjectExpr, TupleExpr
from buildwright.bakefile.values import normalize_number

# Block types (and the nested ones) with their label counts; everything else is an attribute.
_TOP_BLOCKS = {"target": 1, "group": 1, "variable": 1, "function": 1}
_NESTED_BLOCKS = {"variable": {"validation": 0}}

TemplateParser = Callable[[str, Where], Expr]


@valueclass
class _Node:
    """A JSON value with where it starts: `kind` is object, array, string, number, bool or null."""

    kind: str
    value: object
    where: Where
    # For objects: the members in order, each (key, key's where, value).
    members: tuple[tuple[str, Where, _Node], ...] = ()
    items: tuple[_Node, ...] = ()


class _Reader:
    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.pos = 0
        self.line = 1
        self.col = 1

    def where(self) -> Where:
        return at(self.filename, self.line, self.col)

    def fail(self, message: str) -> BakeFileError:
        return BakeFileError(message, self.where())

    def advance(self, count: int = 1) -> None:
        for ch in self.text[self.pos : self.pos + count]:
            if ch == "\n":
                self.line += 1
                self.col = 1
            else:
                self.col += 1
        self.pos += count

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.advance()

    def value(self) -> _Node:
        self.skip_space()
        if self.pos >= len(self.text):
            raise self.fail("Syntax error: unexpected end of file, a JSON value is expected")
        ch = self.text[self.pos]
        where = self.where()
        if ch == "{":
            return self.object(where)
        if ch == "[":
            return self.array(where)
        if ch == '"':
            return _Node("string", self.string(), where)
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                self.advance(len(word))
                return _Node("null" if val is None else "bool", val, where)
        if ch == "-" or ch.isdigit():
            return self.number(where)
        raise self.fail(f"Syntax error: unexpected character {ch!r}, a JSON value is expected")

    def object(self, where: Where) -> _Node:
        self.advance()
        members: list[tuple[str, Where, _Node]] = []
        self.skip_space()
        if self.text.startswith("}", self.pos):
            self.advance()
            return _Node("object", None, where)
        while True:
            self.skip_space()
            if not self.text.startswith('"', self.pos):
                raise self.fail("Missing property name: a JSON object key must be a string")
            key_where = self.where()
            key = self.string()
            self.skip_space()
            if not self.text.startswith(":", self.pos):
                raise self.fail("Missing property value colon: a colon must follow the key")
            self.advance()
            members.append((key, key_where, self.value()))
            self.skip_space()
            if self.text.startswith(",", self.pos):
                self.advance()
                continue
            if self.text.startswith("}", self.pos):
                self.advance()
                return _Node("object", None, where, members=tuple(members))
            raise self.fail("Missing attribute seperator comma: a comma or closing brace must follow a value")

    def array(self, where: Where) -> _Node:
        self.advance()
        items: list[_Node] = []
        self.skip_space()
        if self.text.startswith("]", self.pos):
            self.advance()
            return _Node("array", None, where)
        while True:
            items.append(self.value())
            self.skip_space()
            if self.text.startswith(",", self.pos):
                self.advance()
                continue
            if self.text.startswith("]", self.pos):
                self.advance()
                return _Node("array", None, where, items=tuple(items))
            raise self.fail("Missing array element separator: a comma or closing bracket must follow a value")

    def string(self) -> str:
        self.advance()
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise self.fail("Unterminated string: a JSON string must end with a quote")
            ch = self.text[self.pos]
            if ch == '"':
                self.advance()
                return "".join(out)
            if ch == "\n":
                raise self.fail("Invalid JSON string: a string may not contain a newline")
            if ch == "\\":
                out.append(self.escape())
                continue
            out.append(ch)
            self.advance()

    def escape(self) -> str:
        code = self.text[self.pos + 1 : self.pos + 2]
        simple = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
        if code in simple:
            self.advance(2)
            return simple[code]
        if code == "u":
            digits = self.text[self.pos + 2 : self.pos + 6]
            try:
                value = int(digits, 16)
            except ValueError:
                raise self.fail("Invalid JSON string: bad \\u escape") from None
            self.advance(6)
            if 0xD800 <= value < 0xDC00 and self.text.startswith("\\u", self.pos):
                low = int(self.text[self.pos + 2 : self.pos + 6], 16)
                self.advance(6)
                return chr(0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00))
            return chr(value)
        raise self.fail(f"Invalid JSON string: invalid escape \\{code}")

    def number(self, where: Where) -> _Node:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in "+-0123456789.eE":
            self.advance()
        text = self.text[start : self.pos]
        try:
            value = normalize_number(Fraction(text))
        except ValueError:
            raise BakeFileError(f"Invalid JSON number: {text}", where) from None
        return _Node("number", value, where)


def parse_json_file(data: str, filename: str, template: TemplateParser) -> Body:
    """Read a JSON bake file into a Body; `template` parses a string into its template expression."""
    reader = _Reader(data, filename)
    root = reader.value()
    reader.skip_space()
    if reader.pos < len(reader.text):
        raise reader.fail("Syntax error: extraneous data after the JSON value")
    if root.kind != "object":
        raise BakeFileError("Root value must be object: the root value of a JSON bake file is an object", root.where)
    return _body(root, _TOP_BLOCKS, template, None)


def _body(node: _Node, block_types: dict[str, int], template: TemplateParser, parent: str | None) -> Body:
    attributes: list[Attribute] = []
    blocks: list[Block] = []
    for key, key_where, value in node.members:
        if key in block_types:
            blocks.extend(_blocks(key, key_where, value, block_types[key], template))
            continue
        if any(a.name == key for a in attributes):
            raise BakeFileError(f'Duplicate argument: argument "{key}" was already set', key_where)
        attributes.append(Attribute(key, _expr(value, template), key_where))
    return Body(tuple(attributes), tuple(blocks), node.where)


def _blocks(kind: str, where: Where, node: _Node, labels: int, template: TemplateParser) -> list[Block]:
    nested = _NESTED_BLOCKS.get(kind, {})
    if labels == 0:
        bodies = node.items if node.kind == "array" else (node,)
        return [Block(kind, (), _body(b, nested, template, kind), b.where, ()) for b in bodies]
    if node.kind != "object":
        raise BakeFileError(
            f'Incorrect JSON value type: a JSON object is required for the "{kind}" block labels', where
        )
    out = []
    for label, label_where, value in node.members:
        bodies = value.items if value.kind == "array" else (value,)
        for body in bodies:
            if body.kind != "object":
                raise BakeFileError(
                    f'Incorrect JSON value type: the body of {kind} "{label}" must be an object', body.where
                )
            out.append(Block(kind, (label,), _body(body, nested, template, kind), label_where, (label_where,)))
    return out


def _expr(node: _Node, template: TemplateParser) -> Expr:
    if node.kind == "object":
        items = tuple((template(k, w), _expr(v, template)) for k, w, v in node.members)
        return ObjectExpr(node.where, items)
    if node.kind == "array":
        return TupleExpr(node.where, tuple(_expr(i, template) for i in node.items))
    if node.kind == "string":
        assert isinstance(node.value, str)
        return template(node.value, node.where)
    return Literal(node.where, node.value)
