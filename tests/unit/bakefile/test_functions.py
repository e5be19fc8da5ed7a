"""The standard functions, as cty and buildx define them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from buildwright.errors import BakeFileError
from tests.unit.bakefile.helpers import evaluate


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('lower("AbC")', "abc"),
        ('upper("abc")', "ABC"),
        ('title("hello world")', "Hello World"),
        ('trim("--a--", "-")', "a"),
        ('trimspace("  a  ")', "a"),
        ('trimprefix("prefix-x", "prefix-")', "x"),
        ('trimsuffix("x.tar", ".tar")', "x"),
        ('chomp("x\\n\\n")', "x"),
        ('replace("a.b.c", ".", "-")', "a-b-c"),
        ('split(",", "a,b")', ("a", "b")),
        ('join("-", ["a", "b"], ["c"])', "a-b-c"),
        ('format("%s:%d %5.2f %q %t %%", "a", 7, 3.14159, "q", true)', 'a:7  3.14 "q" true %'),
        ('format("%03d|%-4s|%x", 5, "ab", 255)', "005|ab  |ff"),
        ('formatlist("%s-%s", ["a", "b"], "x")', ("a-x", "b-x")),
        ('substr("hello", 1, 3)', "ell"),
        ('substr("hello", -3, -1)', "llo"),
        ('strlen("héllo")', 5),
        ('indent(2, "a\\nb")', "a\n  b"),
        ('sanitize("my.app/v1")', "my_app_v1"),
        ('regex("([a-z]+)-([0-9]+)", "ab-12")', ("ab", "12")),
        ('regex("(?P<name>[a-z]+)", "ab-12")', {"name": "ab"}),
        ('regexall("[0-9]", "a1b2")', ("1", "2")),
        ('regex_replace("a-b", "(a)-(b)", "$2-$1")', "b-a"),
        ("length({a = 1, b = 2})", 2),
        ('concat(["a"], ["b", "c"])', ("a", "b", "c")),
        ('contains(["a", 1], 1)', True),
        ('distinct(["a", "b", "a"])', ("a", "b")),
        ('flatten([["a", ["b"]], "c"])', ("a", "b", "c")),
        ('element(["a", "b"], 3)', "b"),
        ('index(["a", "b"], 1)', "b"),
        ('indexof(["a", "b"], "b")', 1),
        ("keys({b = 1, a = 2})", ("a", "b")),
        ("values({b = 1, a = 2})", (2, 1)),
        ('lookup({a = "x"}, "b", "d")', "d"),
        ("merge({a = 1, b = 1}, {b = 2})", {"a": 1, "b": 2}),
        ('coalesce(null, "", "x")', ""),
        ('coalescelist([], ["x"])', ("x",)),
        ('compact(["a", "", "b"])', ("a", "b")),
        ("range(3)", (0, 1, 2)),
        ("range(0)", ()),
        ("range(1, 10, 4)", (1, 5, 9)),
        ('sort(["b", "a", "c"])', ("a", "b", "c")),
        ('reverselist(["a", "b"])', ("b", "a")),
        ('reverse("abc")', "cba"),
        ('slice(["a", "b", "c"], 1, 3)', ("b", "c")),
        ('chunklist(["a", "b", "c"], 2)', (("a", "b"), ("c",))),
        ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
        ('setunion(["b"], ["a", "b"])', ("a", "b")),
        ('setintersection(["a", "b"], ["b", "c"])', ("b",)),
        ('setsubtract(["a", "b"], ["b"])', ("a",)),
        ("add(1, 2)", 3),
        ("subtract(1, 2)", -1),
        ("multiply(2, 3)", 6),
        ("divide(1, 2)", Fraction(1, 2)),
        ("modulo(-7, 3)", -1),
        ("max(1, 5, 3)", 5),
        ("min(4, 2)", 2),
        ("absolute(-4)", 4),
        ("ceil(1.2)", 2),
        ("floor(-1.2)", -2),
        ("signum(-3)", -1),
        ("pow(2, 10)", 1024),
        ('parseint("ff", 16)', 255),
        ("int(-2.7)", -2),
        ("equal(1, 1)", True),
        ('notequal("a", "b")', True),
        ("and(true, false)", False),
        ("or(true, false)", True),
        ("not(true)", False),
        ("greaterthan(2, 1)", True),
        ('jsonencode({a = [1, "x", true, null]})', '{"a":[1,"x",true,null]}'),
        ('jsondecode("{\\"a\\": [1.5]}")', {"a": (Fraction(3, 2),)}),
        ('base64encode("hi")', "aGk="),
        ('base64decode("aGk=")', "hi"),
        ('md5("a")', "0cc175b9c0f1b6a831c399e269772661"),
        ('sha256("a")', "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
        ('basename("/a/b.txt")', "b.txt"),
        ('dirname("/a/b.txt")', "/a"),
        ('urlencode("a b&c")', "a+b%26c"),
        ('formatdate("YYYY-MM-DD hh:mm", "2024-03-05T07:08:09Z")', "2024-03-05 07:08"),
        ('uuidv5("dns", "example.com")', "cfbff0d1-9375-5685-968c-48ce8b15ae17"),
    ],
)
def test_functions(source: str, value: object) -> None:
    assert evaluate(source) == value


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("element([], 0)", "empty list"),
        ('indexof(["a"], "b")', "item not found"),
        ('regex("x", "abc")', "did not match"),
        ('lookup({}, "a")', 'Function "lookup" expects 3 argument(s). Missing value for "default".'),
        ('length("abc")', "collection must be a list, a map or a tuple"),
        ('index(["a"], "0")', "key for tuple must be number"),
    ],
)
def test_function_errors(source: str, message: str) -> None:
    with pytest.raises(BakeFileError) as caught:
        evaluate(source)
    assert message in str(caught.value)


def test_list_arguments_are_unified_and_unmatched_groups_are_null() -> None:
    assert evaluate('distinct([1, "1"])') == ("1",)
    assert evaluate('regexall("(a)(b)?", "ab a")') == (("a", "b"), ("a", None))


def test_convert_takes_a_type_expression_and_cidr_functions_compute_addresses() -> None:
    assert evaluate('convert(["b", "a", "b"], set(string))') == ("a", "b")
    assert evaluate('convert("5", number)') == 5
    assert evaluate('cidrhost("10.12.112.0/20", 16)') == "10.12.112.16"
    assert evaluate('cidrsubnet("172.16.0.0/12", 4, 2)') == "172.18.0.0/16"
    assert evaluate('cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)') == (
        "10.1.0.0/20",
        "10.1.16.0/20",
        "10.1.32.0/24",
        "10.1.48.0/20",
    )
    with pytest.raises(BakeFileError, match='Invalid value for "value" parameter'):
        evaluate('convert("x", number)')
