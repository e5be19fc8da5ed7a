"""Numbers print as cty prints its 512-bit floats; conversions follow cty's rules."""

from __future__ import annotations

from fractions import Fraction

import pytest

from buildwright.bakefile.values import (
    NUMBER,
    STRING,
    ConversionError,
    HSet,
    Type,
    convert,
    format_number,
    parse_number,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (12345678901234567890, "12345678901234567890"),
        (Fraction(5, 2), "2.5"),
        (Fraction(3, 10), "0.3"),
        (Fraction(2, 10**7), "0.0000002"),
        (-Fraction(1, 8), "-0.125"),
        (
            Fraction(1, 3),
            "0.3333333333333333333333333333333333333333333333333333333333333333333333333333333333333333"
            "3333333333333333333333333333333333333333333333333333333333333333335",
        ),
    ],
)
def test_format_number(value: int | Fraction, text: str) -> None:
    assert format_number(value) == text


def test_parse_number_reads_decimals_and_refuses_the_rest() -> None:
    assert parse_number("1.50") == Fraction(3, 2)
    assert parse_number("1e3") == 1000
    assert parse_number(" 1") is None
    assert parse_number("inf") is None
    assert parse_number("0x10") is None


def test_conversions() -> None:
    assert convert(True, STRING) == "true"
    assert convert("12", NUMBER) == 12
    assert convert(("a", "b", "a"), Type("set", element=STRING)) == HSet(("a", "b"))
    assert convert({"b": 1, "a": 2}, Type("map", element=STRING)) == {"a": "2", "b": "1"}
    with pytest.raises(ConversionError):
        convert("x", NUMBER)
    with pytest.raises(ConversionError):
        convert(("a",), Type("map", element=STRING))
