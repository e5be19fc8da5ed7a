"""The public surface of buildwright.llb."""

from __future__ import annotations

import buildwright.llb as llb


def _ruff_key(name: str) -> tuple[int, str]:
    # ruff RUF022 order: CONSTANTS, then Classes, then functions/modules.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    assert llb.__all__ == sorted(llb.__all__, key=_ruff_key)
    assert len(set(llb.__all__)) == len(llb.__all__)
    for name in llb.__all__:
        assert hasattr(llb, name), name


def test_core_names_exported() -> None:
    for name in ("State", "Definition", "Platform", "scratch", "image", "local", "merge", "diff", "mkdir", "copy"):
        assert name in llb.__all__
