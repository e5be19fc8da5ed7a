"""Type expressions (`string`, `list(string)`, `object({a = number})`, `any`) as types, as HCL's
typeexpr reads a variable's `type` and `convert`'s second argument."""

from __future__ import annotations

from buildwright.bakefile.errors import BakeFileError
from buildwright.bakefile.hclsyntax import parse_expression
from buildwright.bakefile.syntax import Call, Expr, Literal, ObjectExpr, Template, TextPart, TupleExpr, Variable
from buildwright.bakefile.values import ANY, BOOL, NUMBER, STRING, Type


def keyword(expr: Expr) -> str | None:
    if isinstance(expr, Variable):
        return expr.name
    if isinstance(expr, Template) and len(expr.parts) == 1 and isinstance(expr.parts[0], TextPart):
        return expr.parts[0].text
    if isinstance(expr, Literal) and isinstance(expr.value, str):
        return expr.value
    return None


def type_constraint(expr: Expr) -> Type:
    """A variable's `type` expression as a type (typeexpr's keywords and constructors)."""
    if isinstance(expr, Template) and len(expr.parts) == 1 and isinstance(expr.parts[0], TextPart):
        expr = parse_expression(expr.parts[0].text, expr.where)
    if isinstance(expr, Literal) and expr.value is None:
        return ANY
    if isinstance(expr, Variable):
        simple = {"string": STRING, "number": NUMBER, "bool": BOOL, "any": ANY}
        if expr.name in simple:
            return simple[expr.name]
        if expr.name in ("list", "map", "set"):
            raise BakeFileError(
                f"Invalid type specification; The {expr.name} type constructor "
                "requires one argument specifying the element type.",
                expr.where,
            )
        raise BakeFileError(
            f'Invalid type specification; The keyword "{expr.name}" is not a valid type specification.', expr.where
        )
    if isinstance(expr, Call):
        if expr.name in ("list", "set", "map"):
            if len(expr.args) != 1:
                raise BakeFileError(
                    f"Invalid type specification; The {expr.name} type constructor "
                    "requires one argument specifying the element type.",
                    expr.where,
                )
            return Type(expr.name, element=type_constraint(expr.args[0]))
        if expr.name == "tuple" and len(expr.args) == 1 and isinstance(expr.args[0], TupleExpr):
            return Type("tuple", elements=tuple(type_constraint(e) for e in expr.args[0].items))
        if expr.name == "object" and len(expr.args) == 1 and isinstance(expr.args[0], ObjectExpr):
            attrs = []
            for key, item in expr.args[0].items:
                name = keyword(key)
                if name is None:
                    raise BakeFileError(
                        "Invalid type specification; Object constructor map keys must be attribute names.", key.where
                    )
                attrs.append((name, type_constraint(item)))
            return Type("object", attributes=tuple(sorted(attrs)))
    raise BakeFileError(
        "Invalid type specification; A type specification is either a primitive type keyword "
        "(bool, number, string) or a complex type constructor call, like list(string).",
        expr.where,
    )
