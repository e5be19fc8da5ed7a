"""Small helpers for the bake-file unit tests: evaluate an expression, read a bake file from text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from buildwright.bakefile import BakeDefinition, read_bake
from buildwright.bakefile.errors import at
from buildwright.bakefile.evaluate import Evaluator, Function
from buildwright.bakefile.functions import stdlib
from buildwright.bakefile.hclsyntax import parse_expression
from buildwright.errors import BakeFileError


class _Globals:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)
        self.functions = stdlib()

    def value(self, name: str, where: Any) -> Any:
        if name not in self.values:
            raise BakeFileError(f'Unknown variable; There is no variable named "{name}".', where)
        return self.values[name]

    def function(self, name: str, where: Any) -> Function:
        if name not in self.functions:
            raise BakeFileError(f'Call to unknown function; There is no function named "{name}".', where)
        return self.functions[name]


def evaluate(source: str, **names: Any) -> Any:
    """The value of one HCL expression, with `names` as its variables."""
    expr = parse_expression(source, at("expr.hcl", 1, 1))
    return Evaluator(_Globals(names)).eval(expr)


def bake(
    tmp_path: Path,
    files: Mapping[str, str],
    targets: Sequence[str] = (),
    *,
    overrides: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    names: Sequence[str] = (),
) -> BakeDefinition:
    """Write `files` into tmp_path and read them as `buildx bake` would (`names` are the -f values)."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return read_bake(list(names), list(targets), overrides=list(overrides), cwd=tmp_path, env=dict(env or {}))
