"""One timed run of a command: wall time, and the child's CPU time and peak RSS from wait4.

wait4's resource usage covers the child and every descendant it waited for, so `docker buildx build`
(the docker CLI running its buildx plugin) is counted whole, as is buildwright's one process.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Sample:
    """What one run cost the client."""

    wall_s: float
    cpu_s: float  # user + system
    max_rss_kib: int


class CommandFailed(RuntimeError):
    """A benchmarked command exited non-zero; carries the tail of its stderr."""


def run_timed(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    stdout: Path | None = None,
) -> Sample:
    """Runs `argv` to completion; stderr goes to `log`, stdout to `stdout` (or /dev/null)."""
    with log.open("wb") as err, stdout.open("wb") if stdout else open(os.devnull, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise CommandFailed(f"`{' '.join(argv)}` exited {process.returncode}:\n" + "\n".join(tail))
    return Sample(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, max_rss_kib=usage.ru_maxrss)
