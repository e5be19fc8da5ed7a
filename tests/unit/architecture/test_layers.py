"""Layers only call downward: each package imports only what the layer map allows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[3] / "src" / "buildwright"
BASE = {"errors", "location", "_log", "_golang", "_gopath", "_lazy"}

# Which buildwright modules/packages each layer may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "errors": {"location"},
    "location": set(),
    "_log": set(),
    "_golang": set(),
    "_gopath": set(),
    "_lazy": set(),
    "dockerfile": BASE,
    "llb": BASE | {"_pb"},
    "frontend": BASE | {"dockerfile", "llb"},
    "client": BASE | {"_pb", "llb", "frontend", "dockerfile"},
    "progress": BASE | {"client"},
    "api": BASE | {"dockerfile", "llb", "frontend", "client"},
    "pipeline": BASE | {"dockerfile", "llb", "frontend", "client", "api"},
    # The public API's build history functions, beside `api` (they use its EngineOptions).
    "history": BASE | {"client", "api"},
    # The farm: named builds over a builder's nodes, above the public API and the pipeline's Engine.
    "farm": BASE | {"_pb", "dockerfile", "llb", "frontend", "client", "api", "pipeline", "progress"},
    "cli": BASE | {"api", "history", "progress", "client", "farm"},
    # The asyncio API, over the pipeline's Engine.
    "aio": BASE | {"api", "client", "pipeline"},
    "__init__": BASE | {"api", "pipeline", "aio"},
    "__main__": {"cli"},
}


def _layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE_ROOT)
    return relative.parts[0].removesuffix(".py")


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "buildwright":
                names = [f"buildwright.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "buildwright" and len(parts) > 1:
                found.add(parts[1])
    return found


SOURCES = sorted(p for p in PACKAGE_ROOT.rglob("*.py") if "_pb" not in p.relative_to(PACKAGE_ROOT).parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE_ROOT)))
def test_imports_follow_the_layer_map(path: Path) -> None:
    layer = _layer(path)
    assert layer in ALLOWED, f"{layer} is not in the layer map"
    forbidden = _imported_layers(path) - ALLOWED[layer] - {layer}
    assert not forbidden, f"{path.relative_to(PACKAGE_ROOT)} ({layer}) imports {sorted(forbidden)}"


def test_a_violation_is_detected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from buildwright.cli import app\nimport buildwright.client.solve\n")
    assert _imported_layers(bad) == {"cli", "client"}
