"""Values of the bake language and their types, as go-cty has them for what bake files do.

Values are plain Python: `str`, numbers (`int` when integral, `Fraction` otherwise), `bool`, `None` for
null, `tuple` for lists and tuples, `HSet` for sets, `dict` for maps and objects (iterated in key
order, as cty does). Types are only needed where a file names one (a variable's `type`) or a
conversion asks for one, so they are small frozen values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from buildwright._golang import go_json
from buildwright._values import valueclass

# A number: exact, an int when integral.
Number = int | Fraction


class ConversionError(ValueError):
    """A value that does not fit the type asked for; the message says what was required."""


class HSet(tuple[Any, ...]):
    """A set value: unique elements, in cty's order (strings sorted, numbers ascending)."""

    __slots__ = ()

    @classmethod
    def of(cls, items: Iterable[Any]) -> HSet:
        unique: list[Any] = []
        for item in items:
            if not any(same(item, seen) for seen in unique):
                unique.append(item)
        return cls(sorted(unique, key=_set_order))


def _set_order(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (0, value)
    if is_number(value):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, repr(value))


def same(a: Any, b: Any) -> bool:
    """Value equality: a bool is not the number 1, types must agree."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return bool(a == b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def is_number(value: Any) -> bool:
    return isinstance(value, int | Fraction | float) and not isinstance(value, bool)


# cty numbers are binary floats of this many bits; printed, a number is the shortest decimal that
# reads back to the same such float.
_PRECISION = 512


def normalize_number(value: int | Fraction | float) -> Number:
    """A number as the evaluator keeps it: exact, an `int` when integral, a `Fraction` otherwise."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ConversionError("a number must be finite")
        value = Fraction(value)
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else value
    return value


def format_number(value: Number) -> str:
    """A number as a string, as cty converts one: the shortest decimal naming its 512-bit float,
    without exponent."""
    if isinstance(value, int) and value.bit_length() <= _PRECISION:
        return str(value)
    q = Fraction(value)
    if q == 0:
        return "0"
    sign = "-" if q < 0 else ""
    q = abs(q)
    exp = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** exp > q:
        exp -= 1
    # q is in [2**exp, 2**(exp+1)): keep _PRECISION bits, rounding half to even.
    shift = _PRECISION - 1 - exp
    scaled = q * Fraction(2) ** shift
    mantissa = round(scaled)
    ulp = Fraction(2) ** -shift
    exact = mantissa * ulp
    low, high = exact - ulp / 2, exact + ulp / 2
    inclusive = mantissa % 2 == 0
    digits = _shortest(exact, low, high, inclusive)
    return sign + digits


def _shortest(value: Fraction, low: Fraction, high: Fraction, inclusive: bool) -> str:
    magnitude = len(str(int(value))) if value >= 1 else -_leading_zeros(value)
    for count in range(1, 200):
        places = count - magnitude
        scale = Fraction(10) ** places
        candidate = Fraction(round(value * scale)) / scale
        inside = low <= candidate <= high if inclusive else low < candidate < high
        if inside:
            return _decimal_text(candidate, max(places, 0))
    return _decimal_text(value, 200)


def _leading_zeros(value: Fraction) -> int:
    # For 0 < value < 1: how many zeros follow the decimal point before the first digit.
    zeros = 0
    while value * 10 < 1:
        value *= 10
        zeros += 1
    return zeros


def _decimal_text(value: Fraction, places: int) -> str:
    scaled = round(value * Fraction(10) ** places)
    if places == 0:
        return str(scaled)
    text = str(scaled).rjust(places + 1, "0")
    whole, frac = text[:-places], text[-places:].rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def parse_number(text: str) -> Number | None:
    """A string as cty reads a number from one (decimal, optional exponent); None when it is not one."""
    if not text or text != text.strip() or not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        return None
    return normalize_number(Fraction(text))


def to_string(value: Any) -> str | None:
    """Conversion to string: numbers and bools take their string form; null stays null."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format_number(value)
    raise ConversionError(f"string required, but have {type_name(value)}")


def type_name(value: Any) -> str:
    """The friendly name of a value's type, as cty's messages give it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, HSet):
        return "set"
    if isinstance(value, tuple):
        return "tuple"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


# --- types ---------------------------------------------------------------------------------------


@valueclass
class Type:
    """A type constraint: `kind` is string, number, bool, any, list, set, map, tuple or object."""

    kind: str
    element: Type | None = None
    elements: tuple[Type, ...] = ()
    attributes: tuple[tuple[str, Type], ...] = ()

    def friendly(self) -> str:
        """The type as `--list variables` names it (cty's constraint names)."""
        if self.kind in ("string", "number", "bool"):
            return self.kind
        if self.kind == "any":
            return "any"
        if self.kind in ("list", "set", "map"):
            assert self.element is not None
            return f"{self.kind} of {self.element.friendly()}"
        if self.kind == "tuple":
            return "tuple"
        return "object"

    @property
    def is_primitive(self) -> bool:
        return self.kind in ("string", "number", "bool")


STRING = Type("string")
NUMBER = Type("number")
BOOL = Type("bool")
ANY = Type("any")


def convert(value: Any, target: Type) -> Any:
    """cty's conversion of a value to a type; raises ConversionError with what was required."""
    if target.kind == "any" or value is None:
        return value
    if target.kind == "string":
        return to_string(value)
    if target.kind == "number":
        if is_number(value):
            return value
        if isinstance(value, str):
            number = parse_number(value)
            if number is not None:
                return number
            raise ConversionError("a number is required")
        raise ConversionError(f"number required, but have {type_name(value)}")
    if target.kind == "bool":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        if isinstance(value, str):
            raise ConversionError("a bool is required")
        raise ConversionError(f"bool required, but have {type_name(value)}")
    if target.kind in ("list", "set"):
        if not isinstance(value, tuple):
            raise ConversionError(f"{target.friendly()} required, but have {type_name(value)}")
        assert target.element is not None
        items = tuple(_convert_at(item, target.element, i) for i, item in enumerate(value))
        if target.element.kind == "any":
            items = unify(items)
        return HSet.of(items) if target.kind == "set" else items
    if target.kind == "map":
        if not isinstance(value, dict):
            raise ConversionError(f"{target.friendly()} required, but have {type_name(value)}")
        assert target.element is not None
        return {k: _convert_at(value[k], target.element, k) for k in sorted(value)}
    if target.kind == "tuple":
        if not isinstance(value, tuple) or len(value) != len(target.elements):
            raise ConversionError(f"tuple required with {len(target.elements)} elements")
        return tuple(_convert_at(v, t, i) for i, (v, t) in enumerate(zip(value, target.elements, strict=True)))
    if target.kind == "object":
        if not isinstance(value, dict):
            raise ConversionError(f"object required, but have {type_name(value)}")
        out = {}
        for name, attr_type in target.attributes:
            if name not in value:
                raise ConversionError(f'attribute "{name}" is required')
            out[name] = _convert_at(value[name], attr_type, name)
        return out
    raise ConversionError(f"unsupported type {target.kind}")


def _convert_at(value: Any, target: Type, key: object) -> Any:
    try:
        return convert(value, target)
    except ConversionError as exc:
        where = f"[{key}]" if isinstance(key, int) else f'["{key}"]'
        raise ConversionError(f"element {where}: {exc}") from None


def unify(items: Sequence[Any]) -> tuple[Any, ...]:
    """Values made one type, as cty's unification converts them (a list's elements, the two results
    of a conditional): strings win over numbers and bools, tuples become lists of one element type,
    objects maps of one value type. Values that cannot be unified are returned as they are."""
    values = tuple(items)
    known = [v for v in values if v is not None]
    if not known or all(_shape(v) == _shape(known[0]) for v in known):
        return values
    if all(not isinstance(v, tuple | dict) for v in known):
        if any(isinstance(v, str) for v in known):
            return tuple(to_string(v) for v in values)
        return values
    if all(isinstance(v, tuple) and not isinstance(v, HSet) for v in known):
        flat = unify([e for v in known for e in v])
        out: list[Any] = []
        position = 0
        for v in values:
            if v is None:
                out.append(None)
                continue
            out.append(flat[position : position + len(v)])
            position += len(v)
        return tuple(out)
    if all(isinstance(v, dict) for v in known):
        keys = [(i, k) for i, v in enumerate(values) if v is not None for k in sorted(v)]
        flat = unify([values[i][k] for i, k in keys])
        rebuilt: list[Any] = [None if v is None else {} for v in values]
        for (i, k), item in zip(keys, flat, strict=True):
            rebuilt[i][k] = item
        return tuple(rebuilt)
    return values


def _shape(value: Any) -> Any:
    """A value's type all the way down (tuples and objects by their elements), for comparing."""
    if isinstance(value, tuple):
        return ("tuple", tuple(_shape(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple((k, _shape(value[k])) for k in sorted(value)))
    return type_name(value)


def to_json_text(value: Any) -> str:
    """A value as compact JSON, as cty's JSON marshaller writes it: numbers in their exact decimal
    form, strings with Go's escapes (`<`, `>`, `&` as \\u escapes), object keys sorted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format_number(normalize_number(value))
    if isinstance(value, str):
        return go_json(value)
    if isinstance(value, tuple):
        return "[" + ",".join(to_json_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{go_json(k)}:{to_json_text(value[k])}" for k in sorted(value)) + "}"
    raise ConversionError(f"cannot write a {type_name(value)} as JSON")


def from_json_value(data: Any) -> Any:
    """Decoded JSON data as a value (arrays become tuples, integral numbers ints)."""
    if isinstance(data, list):
        return tuple(from_json_value(v) for v in data)
    if isinstance(data, dict):
        return {k: from_json_value(v) for k, v in data.items()}
    if isinstance(data, float):
        return normalize_number(data)
    if isinstance(data, Decimal):
        return normalize_number(Fraction(data))
    return data
