"""Where buildwright's time goes on a workload: one untimed run of its command under cProfile.

The report shows it for each workload whose ratio misses its goal (or every workload, with
`--profile`), so a figure that is not at its goal comes with what the remaining time is spent on.
cProfile sees the main thread only (where buildwright imports, compiles and renders), in wall
time: the session's threads (file transfer) show as the main thread's waits. Its clock is the
default one: a CPU clock would be fairer on a loaded machine, but reading a thread's CPU clock is
a system call in a VM, which tripled the profiled run and weighed every small function.
"""

from __future__ import annotations

import pstats
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import CommandFailed, run_timed

# Runs a Python script (argv[2]) with its arguments under cProfile and writes the statistics to
# argv[1] however the script exits (its exit status is kept).
_PROFILER = """
import cProfile, runpy, sys
out, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
profiler = cProfile.Profile()
try:
    profiler.runcall(runpy.run_path, script, run_name="__main__")
finally:
    profiler.dump_stats(out)
"""

# How many functions each list keeps (the JSON and the printed report).
TOP = 12
# The cumulative list keeps buildwright's own functions below the CLI (the entry chain through
# runpy, typer and the command sits at ~100% of every run and says nothing), and the imports.
_OWN = "buildwright/"
_ENTRY = ("buildwright/cli/", "buildwright/__main__")
_IMPORT = "_find_and_load"
# A function that spends at least this share of its time in one callee passes the time on: only
# the callee is listed (api.compile -> engine.compile -> ... -> compile_dockerfile is one line).
_PASS_THROUGH = 0.97


@dataclass(frozen=True, slots=True)
class Hotspot:
    """One function of the profile: where it is, its calls, its own time and its time with callees."""

    function: str
    calls: int
    self_s: float
    cumulative_s: float

    def to_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "calls": self.calls,
            "self_s": round(self.self_s, 4),
            "cumulative_s": round(self.cumulative_s, 4),
        }


@dataclass(frozen=True, slots=True)
class Profile:
    """The profiled run: its CPU time (inflated by profiling) and the top functions both ways."""

    cpu_s: float
    total_s: float  # the main thread's time under cProfile (wall)
    by_cumulative: tuple[Hotspot, ...]
    by_self: tuple[Hotspot, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "cpu_s": round(self.cpu_s, 3),
            "profiled_s": round(self.total_s, 3),
            "by_cumulative": [h.to_json() for h in self.by_cumulative],
            "by_self": [h.to_json() for h in self.by_self],
        }

    def render(self, lines: int = 8) -> str:
        """A few lines for the printed report."""
        out = [f"  profiled run: {self.cpu_s:.2f} s CPU; main thread {self.total_s:.2f} s (wall, under cProfile)"]
        out.append("  by cumulative time:")
        out += [f"    {h.cumulative_s:7.3f} s  {h.function}" for h in self.by_cumulative[:lines]]
        out.append("  by own time:")
        out += [f"    {h.self_s:7.3f} s  {h.function}  ({h.calls} calls)" for h in self.by_self[:lines]]
        return "\n".join(out)


def profiled_command(buildwright: str, argv: Sequence[str], output: Path) -> list[str]:
    """`argv` (a buildwright command line, `buildwright` first) run under cProfile, into `output`.

    The console script is a Python file, so it runs as the script it is; a wrapper that is not
    Python fails here, and the workload's report then says so.
    """
    if not argv or argv[0] != buildwright:
        raise ValueError(f"not a buildwright command: {argv!r}")
    return [sys.executable, "-c", _PROFILER, str(output), buildwright, *argv[1:]]


def profile_of(
    buildwright: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, folder: Path
) -> Profile | str:
    """Run `argv` once under cProfile: its profile, or why there is none."""
    stats_file = folder / "profile.pstats"
    stats_file.unlink(missing_ok=True)
    try:
        sample = run_timed(
            profiled_command(buildwright, argv, stats_file), env=env, cwd=cwd, log=folder / "profile.log"
        )
    except (CommandFailed, ValueError, OSError) as exc:
        return f"no profile: {str(exc).splitlines()[0]}"
    if not stats_file.exists():
        return "no profile: cProfile wrote no statistics"
    return summarize(pstats.Stats(str(stats_file)), sample.cpu_s)


def summarize(stats: pstats.Stats | Any, cpu_s: float) -> Profile:
    """The top functions of `stats`, by cumulative time (buildwright's own, and the imports) and by own time."""
    table: Mapping[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = max((entry[3] for entry in table.values()), default=0.0)
    spots = [
        Hotspot(_name(key), calls, self_s, cumulative_s) for key, (_, calls, self_s, cumulative_s, _) in table.items()
    ]
    # The largest share of each function's time spent in one callee (cProfile keeps callers only).
    in_callee: dict[tuple[str, int, str], float] = {}
    for *_, callers in table.values():
        for caller, (*_, cumulative_s) in callers.items():
            in_callee[caller] = max(in_callee.get(caller, 0.0), cumulative_s)
    passing = {
        _name(key)
        for key, entry in table.items()
        if entry[3] > 0 and in_callee.get(key, 0.0) >= _PASS_THROUGH * entry[3]
    }
    by_cumulative = sorted(
        (s for s in spots if _explains(s.function) and (s.function not in passing or not s.function.startswith(_OWN))),
        key=lambda s: s.cumulative_s,
        reverse=True,
    )
    by_self = sorted(spots, key=lambda s: s.self_s, reverse=True)
    return Profile(cpu_s, total, tuple(by_cumulative[:TOP]), tuple(by_self[:TOP]))


def _explains(function: str) -> bool:
    if function.startswith(_OWN):
        return not function.startswith(_ENTRY)
    return function.endswith(f"({_IMPORT})")  # all imports, under the outermost import


def _name(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    if filename == "~":  # a built-in
        return function
    parts = Path(filename).parts
    # Keep the path from the package down (buildwright/..., grpc/...), not the venv's prefix.
    for anchor in ("site-packages", "src", "lib"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor) :]
            break
    return f"{'/'.join(parts)}:{line}({function})"
