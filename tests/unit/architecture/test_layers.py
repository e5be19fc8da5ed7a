"""Layers only call downward: every import of every module follows the layer map of
docs/architecture.md, which this test reads (the document is the rule, so it stays true)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit.architecture.imports import PACKAGE_ROOT, imported_modules, module_of

ARCHITECTURE = PACKAGE_ROOT.parents[1] / "docs" / "architecture.md"


@dataclass(frozen=True)
class LayerMap:
    layer_of_name: dict[str, str]  # top-level name under buildwright -> its layer
    allowed: dict[str, frozenset[str]]  # layer -> layers and dotted modules it may import

    def layer_of(self, module: str) -> str | None:
        parts = module.split(".")
        return self.layer_of_name.get(parts[1] if len(parts) > 1 else "__init__")

    def violations(self, importer: str, imported: set[str]) -> set[str]:
        """The imported modules `importer` may not import."""
        layer = self.layer_of(importer)
        if layer is None:
            return {f"{importer} belongs to no layer of the map"}
        allowed = self.allowed[layer]
        found = set()
        for module in imported:
            target = self.layer_of(module)
            relative = module.split(".", 1)[1] if "." in module else "__init__"
            if target == layer or target in allowed:
                continue
            if any(relative == entry or relative.startswith(f"{entry}.") for entry in allowed):
                continue
            found.add(module)
        return found


def read_layer_map(text: str) -> LayerMap:
    section = text.split("## Layer map", 1)[1].split("\n## ", 1)[0]
    layer_of_name: dict[str, str] = {}
    allowed: dict[str, frozenset[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("layer", "") or set(cells[0]) <= {"-"}:
            continue
        layer = cells[0]
        for name in re.findall(r"`([^`]+)`", cells[1]):
            layer_of_name[name] = layer
        allowed[layer] = frozenset(re.findall(r"`([^`]+)`", cells[2]))
    return LayerMap(layer_of_name, allowed)


LAYERS = read_layer_map(ARCHITECTURE.read_text())
SOURCES = sorted(p for p in PACKAGE_ROOT.rglob("*.py") if "_pb" not in p.relative_to(PACKAGE_ROOT).parts)


def test_the_map_names_every_top_level_module_and_only_known_layers() -> None:
    top_level = {p.name.removesuffix(".py") for p in PACKAGE_ROOT.iterdir() if p.suffix == ".py" or p.is_dir()}
    top_level -= {"__pycache__", "py.typed"}
    unmapped = top_level - set(LAYERS.layer_of_name)
    assert not unmapped, f"not in the layer map: {sorted(unmapped)}"
    for layer, entries in LAYERS.allowed.items():
        for entry in entries:
            assert entry in LAYERS.allowed or entry.split(".")[0] in LAYERS.layer_of_name, f"{layer}: unknown {entry}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE_ROOT)))
def test_imports_follow_the_layer_map(path: Path) -> None:
    module = module_of(path)
    forbidden = LAYERS.violations(module, imported_modules(path.read_text(), path))
    assert not forbidden, f"{path.relative_to(PACKAGE_ROOT)} ({LAYERS.layer_of(module)}) imports {sorted(forbidden)}"


# The test of the test: each import form, added to a lower layer, is caught.
_UPWARD_IMPORTS = [
    "import buildwright.cli.app",
    "import buildwright",
    "from buildwright import api",
    "from buildwright.client import solve",
    "from buildwright.client.solve import solve_build",
    "from ..client import solve",
    "from .. import api",
    "import importlib\nimportlib.import_module('buildwright.client.solve')",
    "__import__('buildwright.api')",
]


@pytest.mark.parametrize("source", _UPWARD_IMPORTS)
def test_an_upward_import_of_each_form_is_caught(source: str) -> None:
    probe = PACKAGE_ROOT / "frontend" / "probe.py"  # never written: only its place matters
    assert LAYERS.violations(module_of(probe), imported_modules(source, probe))


def test_a_sideways_import_is_caught_and_a_listed_module_is_not() -> None:
    probe = PACKAGE_ROOT / "client" / "probe.py"
    client = module_of(probe)
    assert LAYERS.violations(client, imported_modules("from buildwright.dockerfile import parser\n", probe))
    assert not LAYERS.violations(client, imported_modules("from buildwright.dockerfile import ignore\n", probe))
    assert LAYERS.violations(module_of(PACKAGE_ROOT / "progress" / "x.py"), {"buildwright.api"})


def test_a_layer_missing_from_the_map_is_caught() -> None:
    text = ARCHITECTURE.read_text().replace("| progress | `progress` |", "| progress | |")
    assert read_layer_map(text).layer_of("buildwright.progress.plain") is None
