"""The syntax tree both bake file syntaxes (HCL native and HCL JSON) are read into.

A file is a `Body` of attributes and blocks; an attribute holds an expression. Every node carries
where it starts (`Where`), so an error names the file, line and column.
"""

from __future__ import annotations

from typing import Any

from buildwright._values import valueclass
from buildwright.bakefile.errors import Where


@valueclass
class Expr:
    """Base of expressions."""

    where: Where


@valueclass
class Literal(Expr):
    value: Any


@valueclass
class TemplatePart:
    """One piece of a template: literal text, an interpolation, or an `%{if}`/`%{for}` directive."""


@valueclass
class TextPart(TemplatePart):
    text: str


@valueclass
class InterpPart(TemplatePart):
    expr: Expr


@valueclass
class IfPart(TemplatePart):
    cond: Expr
    then: tuple[TemplatePart, ...]
    otherwise: tuple[TemplatePart, ...]


@valueclass
class ForPart(TemplatePart):
    key_var: str | None
    value_var: str
    collection: Expr
    body: tuple[TemplatePart, ...]


@valueclass
class Template(Expr):
    parts: tuple[TemplatePart, ...]


@valueclass
class Variable(Expr):
    name: str


@valueclass
class GetAttr(Expr):
    obj: Expr
    name: str


@valueclass
class Index(Expr):
    obj: Expr
    key: Expr


@valueclass
class SplatItem(Expr):
    """The element a splat's traversal is applied to (the placeholder inside `Splat.each`)."""


@valueclass
class Splat(Expr):
    source: Expr
    each: Expr


@valueclass
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    expand_last: bool


@valueclass
class TupleExpr(Expr):
    items: tuple[Expr, ...]


@valueclass
class ObjectExpr(Expr):
    items: tuple[tuple[Expr, Expr], ...]


@valueclass
class Unary(Expr):
    op: str
    operand: Expr


@valueclass
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@valueclass
class Conditional(Expr):
    cond: Expr
    then: Expr
    otherwise: Expr


@valueclass
class Paren(Expr):
    inner: Expr


@valueclass
class ForExpr(Expr):
    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None
    value: Expr
    cond: Expr | None
    group: bool


@valueclass
class Attribute:
    name: str
    expr: Expr
    where: Where


@valueclass
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    where: Where
    label_where: tuple[Where, ...]


@valueclass
class Body:
    attributes: tuple[Attribute, ...]
    blocks: tuple[Block, ...]
    where: Where

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


def _children(node: object) -> list[object]:
    if isinstance(node, Template):
        return list(node.parts)
    if isinstance(node, InterpPart):
        return [node.expr]
    if isinstance(node, IfPart):
        return [node.cond, *node.then, *node.otherwise]
    if isinstance(node, ForPart):
        return [node.collection, *node.body]
    if isinstance(node, GetAttr):
        return [node.obj]
    if isinstance(node, Index):
        return [node.obj, node.key]
    if isinstance(node, Splat):
        return [node.source, node.each]
    if isinstance(node, Call):
        return list(node.args)
    if isinstance(node, TupleExpr):
        return list(node.items)
    if isinstance(node, ObjectExpr):
        return [e for pair in node.items for e in pair]
    if isinstance(node, Unary):
        return [node.operand]
    if isinstance(node, Binary):
        return [node.left, node.right]
    if isinstance(node, Conditional):
        return [node.cond, node.then, node.otherwise]
    if isinstance(node, Paren):
        return [node.inner]
    if isinstance(node, ForExpr):
        return [node.collection, *([node.key] if node.key else []), node.value, *([node.cond] if node.cond else [])]
    return []


def calls_of(expr: Expr) -> set[str]:
    """The function names an expression calls."""
    found: set[str] = set()
    stack: list[object] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Call):
            found.add(node.name)
        stack.extend(_children(node))
    return found
