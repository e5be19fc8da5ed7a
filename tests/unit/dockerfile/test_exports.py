"""The package's public names are a sorted, importable `__all__`."""

from __future__ import annotations

import buildwright.dockerfile as dockerfile


def test_all_is_sorted_and_importable() -> None:
    assert dockerfile.__all__ == sorted(dockerfile.__all__)
    for name in dockerfile.__all__:
        assert getattr(dockerfile, name) is not None
