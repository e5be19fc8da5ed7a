"""Suite-wide collection order: the longest test files first.

`make test` runs the files in several pytest workers (pytest-xdist, one file per worker at a time,
in collection order). The suite's wall time is bounded by its longest files, so they start first
and the short ones fill in around them; the order is the only thing this changes.
"""

from __future__ import annotations

import pytest

# Longest first, as pytest --durations measured them on this project's two-core machine (2026-12-07).
_LONGEST_FIRST = (
    "tests/integration/test_corpus.py",
    "tests/integration/test_load.py",
    "tests/integration/test_explain.py",
    "tests/integration/test_founding.py",
    "tests/integration/test_bake.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(_LONGEST_FIRST)}
    root = config.rootpath

    def order(item: pytest.Item) -> int:
        try:
            return rank.get(item.path.relative_to(root).as_posix(), len(rank))
        except ValueError:
            return len(rank)

    items.sort(key=order)  # stable: within a file, and among the rest, collection order stays
