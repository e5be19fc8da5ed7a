"""The benchmark's profile summary (benchmarks/hotspots.py): what it keeps and how it names it."""

from __future__ import annotations

import cProfile
import pstats
import subprocess
from pathlib import Path
from typing import Any

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


def test_the_profiled_command_runs_a_script_under_cprofile_and_keeps_its_exit(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text("import sys\nprint(sum(range(10)), sys.argv[1:])\nraise SystemExit(3)\n")
    stats = tmp_path / "p"
    argv = profiled_command(str(script), [str(script), "llb", "ctx"], stats)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3
    assert done.stdout == "45 ['llb', 'ctx']\n"
    assert any(key[0] == str(script) for key in pstats.Stats(str(stats)).stats)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="not a buildwright command"):
        profiled_command("/venv/bin/buildwright", ["docker", "buildx"], tmp_path / "p")


class _Stats:
    """pstats.Stats' table: (file, line, name) -> (calls, calls, own, cumulative, callers)."""

    def __init__(self, table: dict[tuple[str, int, str], tuple[int, int, float, float, dict[Any, Any]]]) -> None:
        self.stats = table


def test_a_function_passing_its_time_to_one_callee_is_left_to_the_callee() -> None:
    outer = ("/venv/src/buildwright/api.py", 1, "build")
    inner = ("/venv/src/buildwright/engine.py", 2, "run")
    leaf = ("/venv/src/buildwright/llb/marshal.py", 3, "marshal")
    entry = ("/venv/src/buildwright/cli/app.py", 4, "main")
    table = {
        entry: (1, 1, 0.0, 1.0, {}),
        outer: (1, 1, 0.0, 1.0, {entry: (1, 1, 0.0, 1.0)}),
        inner: (1, 1, 0.5, 0.99, {outer: (1, 1, 0.5, 0.99)}),
        leaf: (2, 2, 0.49, 0.49, {inner: (2, 2, 0.49, 0.49)}),
    }
    listed = [h.function for h in summarize(_Stats(table), cpu_s=1.0).by_cumulative]
    # api.build passes 99% on to engine.run; the CLI's entry is never listed.
    assert listed == ["buildwright/engine.py:2(run)", "buildwright/llb/marshal.py:3(marshal)"]
