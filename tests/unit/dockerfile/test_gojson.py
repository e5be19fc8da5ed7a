"""`gojson.unmarshals` agrees with Python's json where Python can answer, and goes deeper."""

from __future__ import annotations

import json
import math
import random

from buildwright.dockerfile.gojson import MAX_DEPTH, unmarshals


def _python_accepts(text: str) -> bool:
    def refuse(_: str) -> float:
        raise ValueError

    def finite(number: str) -> float:
        value = float(number)
        if math.isinf(value):
            raise ValueError
        return value

    try:
        json.loads(text, parse_constant=refuse, parse_float=finite, parse_int=finite)
    except ValueError:
        return False
    return True


_ATOMS = (
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    '"a"',
    '"\\u00e9"',
    '"\\x"',
    '"\\u12"',
    '"\\"',
    '"\t"',
    '"\udce9"',
    '"',
    "1",
    "-0.5e3",
    "01",
    "1e999",
    "-",
    "true",
    "fals",
    "null",
    "NaN",
    " ",
    "\n",
)


def test_agrees_with_python_json_on_shallow_inputs() -> None:
    rng = random.Random(10)
    for _ in range(20_000):
        text = "".join(rng.choice(_ATOMS) for _ in range(rng.randint(1, 8)))
        assert unmarshals(text) == _python_accepts(text), repr(text)


def test_depth_limit_is_go_s() -> None:
    assert unmarshals("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert not unmarshals("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert unmarshals('{"a":' * 3000 + "null" + "}" * 3000)


def test_long_unterminated_string_is_quick() -> None:
    assert not unmarshals('["' + "a" * 200_000)
