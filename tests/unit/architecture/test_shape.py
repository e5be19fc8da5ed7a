"""The shape issue 13 asks for, kept: a thin api.py, short functions at the top, no private reach-ins."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.unit.architecture.imports import PACKAGE_ROOT

API = PACKAGE_ROOT / "api.py"
CLI = sorted((PACKAGE_ROOT / "cli").glob("*.py"))
MAX_API_LINES = 300
MAX_BODY_LINES = 60
MAX_API_PARAMETERS = 12


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text())
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of the body, its docstring aside."""
    body = node.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    end = node.end_lineno or body[-1].lineno
    return end - body[0].lineno + 1


def parameter_count(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    args = node.args
    starred = (args.vararg is not None) + (args.kwarg is not None)
    return len(args.posonlyargs) + len(args.args) + len(args.kwonlyargs) + starred


def test_api_is_thin() -> None:
    assert len(API.read_text().splitlines()) < MAX_API_LINES


@pytest.mark.parametrize("path", [API, *CLI], ids=lambda p: p.name)
def test_no_long_function_bodies(path: Path) -> None:
    long = [f"{f.name} ({body_lines(f)} lines)" for f in _functions(path) if body_lines(f) > MAX_BODY_LINES]
    assert not long, f"{path.name}: {', '.join(long)}"


def test_api_functions_take_few_parameters() -> None:
    wide = [f"{f.name} ({parameter_count(f)})" for f in _functions(API) if parameter_count(f) > MAX_API_PARAMETERS]
    assert not wide


def test_no_private_name_of_api_is_used_elsewhere() -> None:
    found = []
    for path in PACKAGE_ROOT.rglob("*.py"):
        if path == API or "_pb" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "buildwright.api":
                found += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
            named_api = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "api"
            if named_api and node.attr.startswith("_"):
                found.append(f"{path.name}: api.{node.attr}")
    assert not found


def test_the_measures_see_what_they_measure() -> None:
    # A test of the test: a long, wide function is caught by both measures.
    source = "def f(a, b, c, d, e, f, g, h, i, j, k, l, m):\n    '''doc'''\n" + "    x = 1\n" * 61
    [node] = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)]
    assert body_lines(node) == 61
    assert parameter_count(node) == 13


def test_grpc_errors_are_mapped_inside_the_client_only() -> None:
    # Foreign errors become buildwright errors at the client's edge (client/boundary.py has the
    # status helpers); nothing above the client sees a grpc.RpcError.
    outside = [
        str(path.relative_to(PACKAGE_ROOT))
        for path in PACKAGE_ROOT.rglob("*.py")
        if "_pb" not in path.parts and path.parent.name != "client" and "RpcError" in path.read_text()
    ]
    assert not outside
