"""Expression evaluation: operators, conversions, templates, for-expressions, splats, errors."""

from __future__ import annotations

from fractions import Fraction

import pytest

from buildwright.errors import BakeFileError
from tests.unit.bakefile.helpers import evaluate


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("1 + 2 * 3 - 4 / 2", 5),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("1 / 4", Fraction(1, 4)),
        ('"2" + 3', 5),
        ("1 == 1 && 2 != 3", True),
        ('1 == "1"', False),
        ("!(3 > 2) || 2 >= 2", True),
        ('true ? "a" : "b"', "a"),
        ('"true" ? 1 : 2', 1),
        ("[1, 2, 3][1]", 2),
        ('{a = {b = "c"}}.a.b', "c"),
        ('{a = 1}["a"]', 1),
        ('[1, 2]["0"]', 1),
        ('"${1 + 1}x"', "2x"),
        ('"${true}"', True),
        ('"n=${1.5}"', "n=1.5"),
        ('"%{ if false }y%{ else }n%{ endif }"', "n"),
        ('"%{ for x in ["a", "b"] }<${x}>%{ endfor }"', "<a><b>"),
        ("[for x in [1, 2, 3] : x * 2 if x != 2]", (2, 6)),
        ("{for k, v in {a = 1, b = 2} : v => k}", {"1": "a", "2": "b"}),
        ('{for x in ["a", "b", "a"] : x => x...}', {"a": ("a", "a"), "b": ("b",)}),
        ("[{n = 1}, {n = 2}][*].n", (1, 2)),
        ("[{n = 1}, {n = 2}].*.n", (1, 2)),
        ("null[*]", ()),
        ('try(nope, "fallback")', "fallback"),
        ("can(nope)", False),
        ("can(1)", True),
    ],
)
def test_expressions(source: str, value: object) -> None:
    assert evaluate(source) == value


def test_variables_and_templates_that_are_one_interpolation_keep_their_type() -> None:
    assert evaluate('"${xs}"', xs=("a", "b")) == ("a", "b")
    assert evaluate("xs[length(xs) - 1]", xs=("a", "b")) == "b"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("nope", 'There is no variable named "nope"'),
        ("frob(1)", 'There is no function named "frob"'),
        ('"a" + 1', "Unsuitable value for left operand: a number is required"),
        ('"x${[1]}"', "Cannot include the given value in a string template"),
        ('"x${null}"', "Cannot include a null value in a string template"),
        ("[1][5]", "Invalid index"),
        ("{a = 1}.b", 'does not have an attribute named "b"'),
        ("1 / 0", "divide by zero"),
        ('{for x in ["a", "a"] : x => x}', "Duplicate object key"),
        ("[for x in 1 : x]", "cannot be used as the collection"),
        ("1 ? 2 : 3", "Incorrect condition type"),
        ('upper(["x"])', 'Call to function "upper" failed'),
        ("length()", 'Function "length" expects 1 argument(s). Missing value for "collection".'),
        ('upper("a", "b")', 'Function "upper" expects only 1 argument(s).'),
    ],
)
def test_errors_are_located_and_say_what_is_wrong(source: str, message: str) -> None:
    with pytest.raises(BakeFileError) as caught:
        evaluate(source)
    assert message in str(caught.value)
    assert str(caught.value).startswith("expr.hcl:1:")


def test_conditional_results_unify_as_in_cty() -> None:
    # buildx prints ["x","2"] for this: the results unify to a list of strings.
    assert evaluate('false ? [1] : ["x", 2]') == ("x", "2")
    assert evaluate('true ? 1 : "a"') == "1"
    assert evaluate("true ? 1 : nope") == 1
