"""Damaged bake files fail with a BakeFileError, never another exception: corpus files with random
deletions and insertions of syntax characters are read in a folder of their own."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buildwright.bakefile import read_bake
from buildwright.errors import BakeFileError

CASES = Path(__file__).resolve().parents[2] / "integration" / "bake_cases"
SOURCES = sorted(
    (path.name, path.read_text())
    for case in CASES.iterdir()
    for path in case.iterdir()
    if path.suffix in (".hcl", ".json")
)
PIECES = ["{", "}", "[", "]", "(", ")", '"', "${", "%{", "~", ",", "=", ":", "?", "...", ".", "*", "for ", " in ",
          " if ", "=>", "\n", "<<EOT\n", "null", "1", "-", "!", "#", "/*", "\\"]  # fmt: skip


@st.composite
def _damaged(draw: st.DrawFn) -> tuple[str, str]:
    name, text = draw(st.sampled_from(SOURCES))
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(chars)))
        if draw(st.booleans()) and chars:
            del chars[min(pos, len(chars) - 1)]
        else:
            chars.insert(pos, draw(st.sampled_from(PIECES)))
    return name, "".join(chars)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_damaged())
def test_damaged_files_fail_only_with_bake_file_errors(damaged: tuple[str, str]) -> None:
    name, text = damaged
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).write_text(text)
        with contextlib.suppress(BakeFileError):
            read_bake([name], [], cwd=Path(folder), env={})


def test_the_corpus_gives_sources() -> None:
    assert len(SOURCES) >= 30
