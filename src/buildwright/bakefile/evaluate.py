"""Expression evaluation: HCL's operators, templates, for-expressions, splats and calls over values.

Names are looked up in the local scopes first (for-expression names, matrix values, function
parameters), then through `Globals`, which the file reader implements lazily (variables, global
attributes, `target.NAME.ATTR` references), so evaluation order is the dependency order.
"""

from __future__ import annotations

import abc
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Protocol

from buildwright._values import valueclass
from buildwright.bakefile.errors import BakeFileError, Where
from buildwright.bakefile.syntax import (
    Binary,
    Call,
    Conditional,
    Expr,
    ForExpr,
    ForPart,
    GetAttr,
    IfPart,
    Index,
    InterpPart,
    Literal,
    ObjectExpr,
    Paren,
    Splat,
    SplatItem,
    Template,
    TemplatePart,
    TextPart,
    TupleExpr,
    Unary,
    Variable,
)
from buildwright.bakefile.typeexpr import type_constraint
from buildwright.bakefile.values import (
    BOOL,
    NUMBER,
    ConversionError,
    HSet,
    Number,
    convert,
    is_number,
    normalize_number,
    same,
    to_string,
    type_name,
    unify,
)


class FunctionError(ValueError):
    """A function refused its arguments; the message says why (the evaluator adds the place)."""


@valueclass
class Function:
    """A callable of the language: fixed parameters (names for messages), an optional variadic one."""

    params: tuple[str, ...]
    impl: Callable[..., Any]
    variadic: str | None = None

    def call(self, args: Sequence[Any]) -> Any:
        if len(args) < len(self.params) or (self.variadic is None and len(args) > len(self.params)):
            raise FunctionError(
                f"Function expects {len(self.params)} argument(s)"
                if self.variadic is None
                else f"Function expects at least {len(self.params)} argument(s)"
            )
        return self.impl(*args)


class Globals(Protocol):
    """What the evaluator asks the file reader for: a global name's value and a function."""

    def value(self, name: str, where: Where) -> Any: ...

    def function(self, name: str, where: Where) -> Function: ...


class LazyObject(abc.ABC):
    """An object value whose attributes are evaluated when read (`target.NAME.ATTR`)."""

    @abc.abstractmethod
    def attr(self, name: str, where: Where) -> Any:
        """The value of attribute `name`, or a located error."""


class Scope:
    """Local names, innermost first."""

    __slots__ = ("names", "parent")

    def __init__(self, names: Mapping[str, Any], parent: Scope | None = None) -> None:
        self.names = dict(names)
        self.parent = parent

    def lookup(self, name: str) -> tuple[bool, Any]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return True, scope.names[name]
            scope = scope.parent
        return False, None


EMPTY_SCOPE = Scope({})


def fail(where: Where, summary: str, detail: str) -> BakeFileError:
    return BakeFileError(f"{summary}; {detail}", where)


class Evaluator:
    """Evaluates expressions against a `Globals`."""

    def __init__(self, globals_: Globals) -> None:
        self.globals = globals_

    def eval(self, expr: Expr, scope: Scope = EMPTY_SCOPE) -> Any:
        method = _DISPATCH.get(type(expr))
        if method is None:
            raise fail(expr.where, "Invalid expression", f"unsupported expression {type(expr).__name__}")
        return method(self, expr, scope)

    def _literal(self, expr: Literal, scope: Scope) -> Any:
        return expr.value

    def _paren(self, expr: Paren, scope: Scope) -> Any:
        return self.eval(expr.inner, scope)

    def _variable(self, expr: Variable, scope: Scope) -> Any:
        found, value = scope.lookup(expr.name)
        if found:
            return value
        return self.globals.value(expr.name, expr.where)

    def _template(self, expr: Template, scope: Scope) -> Any:
        if len(expr.parts) == 1 and isinstance(expr.parts[0], InterpPart):
            # A template that is one interpolation is its value, of whatever type.
            return self.eval(expr.parts[0].expr, scope)
        return self._parts(expr.parts, scope)

    def _parts(self, parts: Sequence[TemplatePart], scope: Scope) -> str:
        out: list[str] = []
        for part in parts:
            if isinstance(part, TextPart):
                out.append(part.text)
            elif isinstance(part, InterpPart):
                out.append(self._interpolated(part.expr, scope))
            elif isinstance(part, IfPart):
                cond = self._bool(part.cond, scope, "Invalid template if directive", "condition")
                out.append(self._parts(part.then if cond else part.otherwise, scope))
            elif isinstance(part, ForPart):
                for key, value in self._iterate(part.collection, scope, "Invalid template for directive"):
                    names = {part.value_var: value}
                    if part.key_var:
                        names[part.key_var] = key
                    out.append(self._parts(part.body, Scope(names, scope)))
        return "".join(out)

    def _interpolated(self, expr: Expr, scope: Scope) -> str:
        value = self.eval(expr, scope)
        if value is None:
            raise fail(
                expr.where,
                "Invalid template interpolation value",
                "The expression result is null. Cannot include a null value in a string template.",
            )
        try:
            text = to_string(value)
        except ConversionError:
            raise fail(
                expr.where,
                "Invalid template interpolation value",
                f"Cannot include the given value in a string template: string required, but have {type_name(value)}.",
            ) from None
        assert text is not None
        return text

    def _get_attr(self, expr: GetAttr, scope: Scope) -> Any:
        obj = self.eval(expr.obj, scope)
        return get_attr(obj, expr.name, expr.where)

    def _index(self, expr: Index, scope: Scope) -> Any:
        obj = self.eval(expr.obj, scope)
        key = self.eval(expr.key, scope)
        return index(obj, key, expr.where)

    def _splat(self, expr: Splat, scope: Scope) -> Any:
        source = self.eval(expr.source, scope)
        if source is None:
            return ()
        items = source if isinstance(source, tuple) else (source,)
        out = []
        for item in items:
            out.append(self.eval(expr.each, Scope({_SPLAT_NAME: item}, scope)))
        return tuple(out)

    def _splat_item(self, expr: SplatItem, scope: Scope) -> Any:
        return scope.lookup(_SPLAT_NAME)[1]

    def _call(self, expr: Call, scope: Scope) -> Any:
        if expr.name in ("try", "can") and not expr.expand_last:
            return self._try(expr, scope)
        if expr.name == "convert" and len(expr.args) == 2 and not expr.expand_last:
            # The second argument is a type expression, not a value.
            target = type_constraint(expr.args[1])
            value = self.eval(expr.args[0], scope)
            try:
                return convert(value, target)
            except ConversionError as exc:
                raise fail(
                    expr.args[0].where, "Invalid function argument", f'Invalid value for "value" parameter: {exc}.'
                ) from None
        function = self.globals.function(expr.name, expr.where)
        args = [self.eval(a, scope) for a in expr.args]
        if expr.expand_last:
            last = args.pop() if args else None
            if not isinstance(last, tuple):
                raise fail(
                    expr.args[-1].where,
                    "Invalid expanding argument value",
                    "The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
                )
            args.extend(last)
        params = function.params
        if len(args) < len(params):
            raise fail(
                expr.where,
                "Not enough function arguments",
                f'Function "{expr.name}" expects {len(params)} argument(s). Missing value for "{params[len(args)]}".',
            )
        if function.variadic is None and len(args) > len(params):
            raise fail(
                expr.args[len(params)].where if len(expr.args) > len(params) else expr.where,
                "Too many function arguments",
                f'Function "{expr.name}" expects only {len(params)} argument(s).',
            )
        try:
            return function.call(args)
        except (FunctionError, ConversionError) as exc:
            raise fail(expr.where, "Error in function call", f'Call to function "{expr.name}" failed: {exc}.') from None
        except BakeFileError:
            raise
        except (ValueError, TypeError, ArithmeticError, KeyError, IndexError) as exc:
            raise fail(expr.where, "Error in function call", f'Call to function "{expr.name}" failed: {exc}.') from None

    def _try(self, expr: Call, scope: Scope) -> Any:
        # try/can take their arguments unevaluated: an argument whose evaluation fails is skipped.
        if expr.name == "can" and len(expr.args) != 1:
            raise fail(expr.where, "Not enough function arguments", 'Function "can" expects 1 argument(s).')
        if not expr.args:
            raise fail(expr.where, "Not enough function arguments", 'Function "try" expects at least 1 argument(s).')
        for arg in expr.args:
            try:
                value = self.eval(arg, scope)
            except BakeFileError:
                if expr.name == "can":
                    return False
                continue
            return True if expr.name == "can" else value
        raise fail(
            expr.where,
            "Error in function call",
            'Call to function "try" failed: no expression succeeded.',
        )

    def _tuple(self, expr: TupleExpr, scope: Scope) -> Any:
        return tuple(self.eval(item, scope) for item in expr.items)

    def _object(self, expr: ObjectExpr, scope: Scope) -> Any:
        out: dict[str, Any] = {}
        for key_expr, value_expr in expr.items:
            key = self.eval(key_expr, scope)
            if key is None:
                raise fail(key_expr.where, "Null value as key", "Can't use a null value as a key.")
            try:
                text = to_string(key)
            except ConversionError:
                raise fail(
                    key_expr.where,
                    "Incorrect key type",
                    f"Can't use this value as a key: string required, but have {type_name(key)}.",
                ) from None
            assert text is not None
            out[text] = self.eval(value_expr, scope)
        return out

    def _unary(self, expr: Unary, scope: Scope) -> Any:
        if expr.op == "!":
            return not self._bool(expr.operand, scope, "Invalid operand", "operand")
        return normalize_number(-self._number(expr.operand, scope, "operand"))

    def _binary(self, expr: Binary, scope: Scope) -> Any:
        op = expr.op
        if op in ("&&", "||"):
            left = self._bool(expr.left, scope, "Invalid operand", "left operand")
            right = self._bool(expr.right, scope, "Invalid operand", "right operand")
            return (left and right) if op == "&&" else (left or right)
        if op in ("==", "!="):
            equal = same(self.eval(expr.left, scope), self.eval(expr.right, scope))
            return equal if op == "==" else not equal
        left_n = self._number(expr.left, scope, "left operand")
        right_n = self._number(expr.right, scope, "right operand")
        if op in _COMPARE:
            return bool(_COMPARE[op](left_n, right_n))
        return arithmetic(op, left_n, right_n, expr.where)

    def _conditional(self, expr: Conditional, scope: Scope) -> Any:
        cond = self._bool(expr.cond, scope, "Incorrect condition type", "condition")
        chosen = self.eval(expr.then if cond else expr.otherwise, scope)
        # Both results are evaluated (as HCL does) so the chosen one takes the type both unify to;
        # an error in the other one is not reported.
        try:
            other = self.eval(expr.otherwise if cond else expr.then, scope)
        except BakeFileError:
            return chosen
        pair = unify((chosen, other))
        return pair[0]

    def _for(self, expr: ForExpr, scope: Scope) -> Any:
        is_object = expr.key is not None
        items: list[Any] = []
        obj: dict[str, Any] = {}
        for key, value in self._iterate(expr.collection, scope, "Iteration over non-iterable value"):
            names = {expr.value_var: value}
            if expr.key_var:
                names[expr.key_var] = key
            inner = Scope(names, scope)
            if expr.cond is not None and not self._bool(expr.cond, inner, "Invalid 'for' condition", "condition"):
                continue
            result = self.eval(expr.value, inner)
            if not is_object:
                items.append(result)
                continue
            assert expr.key is not None
            raw_key = self.eval(expr.key, inner)
            try:
                text = to_string(raw_key)
            except ConversionError:
                text = None
            if text is None:
                raise fail(expr.key.where, "Invalid object key", "Key expression in 'for' expression must be a string.")
            if expr.group:
                obj.setdefault(text, []).append(result)
            elif text in obj:
                raise fail(
                    expr.key.where,
                    "Duplicate object key",
                    f"Two different items produced the key \"{text}\" in this 'for' expression. "
                    "If duplicates are expected, use the ellipsis (...) after the value expression "
                    "to enable grouping by key.",
                )
            else:
                obj[text] = result
        if not is_object:
            return tuple(items)
        return {k: (tuple(v) if expr.group else v) for k, v in sorted(obj.items())}

    def _iterate(self, expr: Expr, scope: Scope, summary: str) -> list[tuple[Any, Any]]:
        collection = self.eval(expr, scope)
        if isinstance(collection, tuple):
            if isinstance(collection, HSet):
                return [(item, item) for item in collection]
            return list(enumerate(collection))
        if isinstance(collection, dict):
            return [(k, collection[k]) for k in sorted(collection)]
        if collection is None:
            raise fail(expr.where, summary, "A null value cannot be used as the collection in a 'for' expression.")
        raise fail(
            expr.where,
            summary,
            f"A value of type {type_name(collection)} cannot be used as the collection in a 'for' expression.",
        )

    def _bool(self, expr: Expr, scope: Scope, summary: str, what: str) -> bool:
        value = self.eval(expr, scope)
        if value is None:
            raise fail(expr.where, summary, f"The {what} value is null.")
        try:
            result = convert(value, BOOL)
        except ConversionError as exc:
            raise fail(expr.where, summary, f"Unsuitable value for {what}: {exc}.") from None
        return bool(result)

    def _number(self, expr: Expr, scope: Scope, what: str) -> Number:
        value = self.eval(expr, scope)
        if value is None:
            raise fail(expr.where, "Invalid operand", f"Unsuitable value for {what}: a number is required.")
        try:
            result = convert(value, NUMBER)
        except ConversionError:
            raise fail(expr.where, "Invalid operand", f"Unsuitable value for {what}: a number is required.") from None
        assert is_number(result)
        return result  # type: ignore[no-any-return]


_SPLAT_NAME = "\x00splat"

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}

_DISPATCH: dict[type, Callable[[Evaluator, Any, Scope], Any]] = {
    Literal: Evaluator._literal,
    Paren: Evaluator._paren,
    Variable: Evaluator._variable,
    Template: Evaluator._template,
    GetAttr: Evaluator._get_attr,
    Index: Evaluator._index,
    Splat: Evaluator._splat,
    SplatItem: Evaluator._splat_item,
    Call: Evaluator._call,
    TupleExpr: Evaluator._tuple,
    ObjectExpr: Evaluator._object,
    Unary: Evaluator._unary,
    Binary: Evaluator._binary,
    Conditional: Evaluator._conditional,
    ForExpr: Evaluator._for,
}


def arithmetic(op: str, left: Number, right: Number, where: Where) -> Number:
    if op == "+":
        return normalize_number(left + right)
    if op == "-":
        return normalize_number(left - right)
    if op == "*":
        return normalize_number(left * right)
    if op in ("/", "%") and right == 0:
        raise fail(where, "Error in operator", "Can't divide by zero.")
    if op == "/":
        return normalize_number(Fraction(left) / right)
    if op == "%":
        return modulo(left, right)
    raise fail(where, "Invalid operator", f"unknown operator {op}")


def modulo(left: Number, right: Number) -> Number:
    """cty's modulo: the remainder keeps the sign of the dividend (Go's math.Mod), not Python's."""
    quotient = Fraction(left) / right
    return normalize_number(left - right * math.trunc(quotient))


def get_attr(obj: Any, name: str, where: Where) -> Any:
    if isinstance(obj, LazyObject):
        return obj.attr(name, where)
    if isinstance(obj, dict):
        if name not in obj:
            raise fail(where, "Unsupported attribute", f'This object does not have an attribute named "{name}".')
        return obj[name]
    if obj is None:
        raise fail(
            where, "Attempt to get attribute from null value", "This value is null, so it does not have any attributes."
        )
    raise fail(
        where, "Unsupported attribute", f"Can't access attributes on a primitive-typed value ({type_name(obj)})."
    )


def index(obj: Any, key: Any, where: Where) -> Any:
    if obj is None:
        raise fail(where, "Attempt to index null value", "This value is null, so it does not have any indices.")
    if isinstance(obj, HSet):
        raise fail(
            where,
            "Invalid index",
            "Elements of a set are identified only by their value and don't have any separate index or key "
            "to select with, so it's only possible to perform operations across all elements of the set.",
        )
    if isinstance(obj, tuple):
        try:
            number = convert(key, NUMBER)
        except ConversionError:
            raise fail(
                where,
                "Invalid index",
                "The given key does not identify an element in this collection value: a number is required.",
            ) from None
        if not isinstance(number, int) or number < 0 or number >= len(obj):
            raise fail(where, "Invalid index", "The given key does not identify an element in this collection value.")
        return obj[number]
    if isinstance(obj, dict):
        text = to_string(key) if not isinstance(key, tuple | dict) else None
        if text is None or text not in obj:
            raise fail(where, "Invalid index", "The given key does not identify an element in this collection value.")
        return obj[text]
    raise fail(where, "Invalid index", "This value does not have any indices.")
