from __future__ import annotations

import pytest

from buildwright.progress.units import format_bytes, format_log_offset


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0B"),
        (433, "433B"),
        (999, "999B"),
        (1000, "1.00kB"),
        (1234, "1.23kB"),
        (2_300_000, "2.30MB"),
        (999_999, "1000.00kB"),
        (5_000_000_000, "5.00GB"),
    ],
)
def test_bytes_as_buildkit_prints_them(size: int, text: str) -> None:
    assert format_bytes(size) == text


@pytest.mark.parametrize(("seconds", "text"), [(0.0, "0.000"), (9.9994, "9.999"), (10.0, "10.00"), (100.0, "100.0")])
def test_log_offsets(seconds: float, text: str) -> None:
    assert format_log_offset(seconds) == text
