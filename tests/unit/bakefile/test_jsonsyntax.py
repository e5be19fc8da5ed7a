"""HCL's JSON syntax: blocks under their type keys, attributes, templates in strings, positions."""

from __future__ import annotations

import pytest

from buildwright.bakefile.hclsyntax import parse_template
from buildwright.bakefile.jsonsyntax import parse_json_file
from buildwright.bakefile.syntax import InterpPart, Literal, ObjectExpr, Template, TupleExpr
from buildwright.errors import BakeFileError

SOURCE = """{
  "variable": {"TAG": {"default": "1", "validation": [{"condition": true, "error_message": "x"}]}},
  "target": {
    "a": {"tags": ["x:${TAG}"], "args": {"N": 1.5, "B": true, "Z": null}},
    "b": [{"context": "."}, {"dockerfile": "D"}]
  },
  "GLOBAL": "g"
}
"""


def test_blocks_attributes_and_templates() -> None:
    body = parse_json_file(SOURCE, "f.json", parse_template)
    assert [a.name for a in body.attributes] == ["GLOBAL"]
    kinds = [(b.type, b.labels) for b in body.blocks]
    assert kinds == [("variable", ("TAG",)), ("target", ("a",)), ("target", ("b",)), ("target", ("b",))]
    variable = body.blocks[0]
    assert [b.type for b in variable.body.blocks] == ["validation"]
    tags = body.blocks[1].body.attribute("tags")
    assert tags is not None and isinstance(tags.expr, TupleExpr)
    item = tags.expr.items[0]
    assert isinstance(item, Template) and isinstance(item.parts[1], InterpPart)
    args = body.blocks[1].body.attribute("args")
    assert args is not None and isinstance(args.expr, ObjectExpr)
    values = [v for _, v in args.expr.items]
    assert all(isinstance(v, Literal) for v in values)
    assert (tags.where.start_line, tags.where.start_column) == (4, 11)


@pytest.mark.parametrize(
    ("source", "line", "what"),
    [
        ('{"target": {"a": {"tags": ["x" "y"]}}}', 1, "Missing array element separator"),
        ('{\n  "target": 1\n}', 2, "a JSON object is required"),
        ("[1]", 1, "Root value must be object"),
        ('{"a": 1,\n "a": 2}', 2, "Duplicate argument"),
        ('{"a": "unterminated}', 1, "Unterminated string"),
    ],
)
def test_errors_name_the_line(source: str, line: int, what: str) -> None:
    with pytest.raises(BakeFileError) as caught:
        parse_json_file(source, "bad.json", parse_template)
    assert what in str(caught.value)
    assert caught.value.location is not None and caught.value.location.start_line == line
