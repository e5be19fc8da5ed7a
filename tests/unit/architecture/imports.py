"""Every buildwright module a source file imports, whatever the form of the import.

Seen: `import buildwright[.x]`, `from buildwright[.x] import y`, relative imports, and module
paths given as strings (`importlib.import_module("buildwright.x")`, the lazy export maps), so a
layer cannot reach another by spelling the import differently.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = "buildwright"
PACKAGE_ROOT = Path(__file__).resolve().parents[3] / "src" / PACKAGE
_MODULE_PATH = re.compile(rf"^{PACKAGE}(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def module_of(path: Path) -> str:
    """`src/buildwright/client/solve.py` -> `buildwright.client.solve` (a package is its `__init__`)."""
    parts = list(path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:]) if "." in dotted else Path()
    base = PACKAGE_ROOT / relative
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _package_of(path: Path) -> str:
    module = module_of(path)
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imported_modules(source: str, path: Path) -> set[str]:
    """The buildwright modules `source` (the text of the file at `path`) imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package_of(path).split(".")
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                child = f"{base}.{alias.name}"
                # `from buildwright.x import y` imports the module y when there is one, else x.
                found.add(child if _is_module(child) else base)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_PATH.match(node.value):
            found.update([node.value] if _is_module(node.value) else [])
    return found
