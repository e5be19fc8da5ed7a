"""Package attributes imported on first use (PEP 562), so that importing a package, or one module
in it, costs only what is used: `buildwright --help` must not load gRPC, protobuf or rich.

A package keeps its `__all__` and its imports under `TYPE_CHECKING` (for type checkers), and maps
each exported name to the module that defines it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, exporting each module's listed names.

    A name is imported on first access and then stored in the package, so later accesses are
    ordinary attribute lookups.
    """
    home = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> object:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(home))

    return __getattr__, __dir__
