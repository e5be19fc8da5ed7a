"""The benchmark's profile summary (benchmarks/hotspots.py): what it keeps and how it names it."""

from __future__ import annotations

import cProfile
import pstats
from pathlib import Path

import pytest

from benchmarks.hotspots import profiled_command, summarize


def _busy(n: int) -> int:
    return sum(i * i for i in range(n))


def test_own_time_lists_the_busy_function_and_cumulative_keeps_only_buildwright_and_imports() -> None:
    profiler = cProfile.Profile()
    profiler.runcall(_busy, 200_000)
    profile = summarize(pstats.Stats(profiler), cpu_s=1.5)
    assert profile.cpu_s == 1.5 and profile.total_s > 0
    assert any("test_benchmark_hotspots.py" in h.function and "(<genexpr>)" in h.function for h in profile.by_self)
    # The test's functions are neither buildwright's nor imports: the cumulative list leaves them out.
    assert profile.by_cumulative == ()
    entry = profile.to_json()
    assert entry["by_self"][0]["self_s"] >= entry["by_self"][-1]["self_s"]
    assert "by own time:" in profile.render()


def test_the_profiled_command_runs_the_console_script_under_cprofile(tmp_path: Path) -> None:
    argv = profiled_command("/venv/bin/buildwright", ["/venv/bin/buildwright", "llb", "ctx"], tmp_path / "p")
    assert argv[1:5] == ["-m", "cProfile", "-o", str(tmp_path / "p")]
    assert argv[5:] == ["/venv/bin/buildwright", "llb", "ctx"]
    with pytest.raises(ValueError, match="not a buildwright command"):
        profiled_command("/venv/bin/buildwright", ["docker", "buildx"], tmp_path / "p")
