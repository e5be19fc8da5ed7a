"""The native HCL scanner and parser: bodies, blocks, expressions, templates, heredocs, positions."""

from __future__ import annotations

import pytest

from buildwright.bakefile.errors import at
from buildwright.bakefile.hclsyntax import parse_expression, parse_file, parse_template
from buildwright.bakefile.syntax import (
    Binary,
    Call,
    Conditional,
    ForExpr,
    GetAttr,
    Index,
    InterpPart,
    Literal,
    ObjectExpr,
    Splat,
    Template,
    TextPart,
    TupleExpr,
    Variable,
    calls_of,
)
from buildwright.errors import BakeFileError

WHERE = at("t.hcl", 1, 1)


def test_a_body_holds_attributes_and_labelled_blocks_with_positions() -> None:
    body = parse_file(
        'a = 1\n# comment\ntarget "app" {\n  tags = ["x"] // trailing\n}\n/* block */ group g { targets = [] }\n',
        "f.hcl",
    )
    assert [a.name for a in body.attributes] == ["a"]
    target, group = body.blocks
    assert (target.type, target.labels) == ("target", ("app",))
    assert (target.where.start_line, target.where.start_column) == (3, 1)
    assert target.body.attributes[0].where.start_line == 4
    assert (group.type, group.labels) == ("group", ("g",))


def test_precedence_follows_hcl() -> None:
    expr = parse_expression("1 + 2 * 3 == 7 && !false || x", WHERE)
    assert isinstance(expr, Binary) and expr.op == "||"
    left = expr.left
    assert isinstance(left, Binary) and left.op == "&&"
    comparison = left.left
    assert isinstance(comparison, Binary) and comparison.op == "=="
    sum_ = comparison.left
    assert isinstance(sum_, Binary) and sum_.op == "+"
    assert isinstance(sum_.right, Binary) and sum_.right.op == "*"


def test_traversals_calls_splats_and_conditionals() -> None:
    expr = parse_expression("a.b[0].c", WHERE)
    assert isinstance(expr, GetAttr) and isinstance(expr.obj, Index) and isinstance(expr.obj.obj, GetAttr)
    splat = parse_expression("list[*].name", WHERE)
    assert isinstance(splat, Splat) and isinstance(splat.each, GetAttr)
    call = parse_expression('join(",", items...)', WHERE)
    assert isinstance(call, Call) and call.expand_last and len(call.args) == 2
    cond = parse_expression("x ? 1 : 2", WHERE)
    assert isinstance(cond, Conditional)


def test_for_expressions_with_key_condition_and_grouping() -> None:
    tuple_for = parse_expression("[for i, v in xs : v if i > 0]", WHERE)
    assert isinstance(tuple_for, ForExpr) and tuple_for.key_var == "i" and tuple_for.cond is not None
    object_for = parse_expression("{for v in xs : v.k => v...}", WHERE)
    assert isinstance(object_for, ForExpr) and object_for.group and object_for.key is not None


def test_object_keys_are_names_unless_parenthesised_and_newlines_separate_items() -> None:
    expr = parse_expression('{\n a = 1\n "b" : 2, (c) = 3\n}', WHERE)
    assert isinstance(expr, ObjectExpr)
    keys = [k for k, _ in expr.items]
    assert isinstance(keys[0], Literal) and keys[0].value == "a"
    assert isinstance(keys[1], Template)
    assert not isinstance(keys[2], Literal)


def test_templates_interpolate_escape_and_strip() -> None:
    expr = parse_expression('"a${b}c $${d} %%{e} \\n\\u00e9"', WHERE)
    assert isinstance(expr, Template)
    assert isinstance(expr.parts[1], InterpPart)
    assert expr.parts[0] == TextPart("a")
    assert expr.parts[2] == TextPart("c ${d} %{e} \né")
    stripped = parse_expression('"x   ${~ y ~}   z"', WHERE)
    assert isinstance(stripped, Template)
    assert stripped.parts[0] == TextPart("x") and stripped.parts[-1] == TextPart("z")


def test_heredocs_keep_lines_and_dash_heredocs_drop_the_common_indent() -> None:
    body = parse_file("a = <<EOT\n  one\n  ${x}\nEOT\nb = <<-EOT\n    one\n      two\n    EOT\n", "f.hcl")
    plain, indented = (a.expr for a in body.attributes)
    assert isinstance(plain, Template) and plain.parts[0] == TextPart("  one\n  ")
    assert isinstance(indented, Template) and indented.parts == (TextPart("one\n  two\n"),)


def test_json_strings_are_templates() -> None:
    expr = parse_template("v${x}", at("f.json", 2, 5))
    assert isinstance(expr, Template) and isinstance(expr.parts[1], InterpPart)
    assert parse_template("plain", WHERE) == Template(WHERE, (TextPart("plain"),))


def test_the_calls_of_an_expression_are_found() -> None:
    expr = parse_expression("[for v in xs : upper(v) if v != lower(y)]", WHERE)
    assert calls_of(expr) == {"upper", "lower"}


def test_tuples_allow_trailing_commas_and_newlines() -> None:
    expr = parse_expression('[\n "a",\n "b",\n]', WHERE)
    assert isinstance(expr, TupleExpr) and len(expr.items) == 2
    assert isinstance(parse_expression("x", WHERE), Variable)


@pytest.mark.parametrize(
    ("source", "line", "column", "what"),
    [
        ('target "a" {\n  tags = ["x",\n  args = { X = }\n}\n', 3, 8, "Missing item separator"),
        ('target "a" {\n  tags = "x" y\n}\n', 2, 14, "Missing newline"),
        ('target "a" {\n  tags = "x\n}\n', 2, 12, "Unterminated template string"),
        ('target "a" {\n  tags = []\n', 1, 12, "Unclosed configuration block"),
        ("a = 1\na = 2\n", 2, 1, "Duplicate argument"),
        ("a = @\n", 1, 5, "Invalid character"),
        ("a = (1 + \n", 2, 1, "Invalid expression"),
    ],
)
def test_syntax_errors_name_the_line_and_column(source: str, line: int, column: int, what: str) -> None:
    with pytest.raises(BakeFileError) as caught:
        parse_file(source, "bad.hcl")
    assert caught.value.location is not None
    assert (caught.value.location.start_line, caught.value.location.start_column) == (line, column)
    assert what in str(caught.value)
    assert str(caught.value).startswith(f"bad.hcl:{line}:{column}: ")


def test_trim_markers_act_on_the_neighbouring_token_and_the_flush_indent_comes_after() -> None:
    # In a heredoc each line is its own token: `~}` trims the rest of its own line only, and the line
    # after it no longer starts a line for the indent removal, so it keeps its indent (buildx prints
    # "x\n    y\n    z\n" for this).
    source = "a = <<-EOT\n    x\n    %{ if true ~}\n    y\n    %{ endif ~}\n    z\n    EOT\n"
    expr = parse_file(source, "f.hcl").attributes[0].expr
    assert isinstance(expr, Template)
    texts = [p.text for p in expr.parts if isinstance(p, TextPart)]
    assert texts == ["x\n", "    z\n"]
    branch = expr.parts[1]
    assert branch.then == (TextPart("    y\n"),)  # type: ignore[attr-defined]
