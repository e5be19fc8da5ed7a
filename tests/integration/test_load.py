"""Load: many builds at once on one engine, and contexts far bigger than memory should allow.

Every build is checked by its output; client memory is the peak RSS of the process that built
(the generous bounds catch a client that holds a context in memory, never a timing). The 10 GiB
context is a benchmark (`make bench-context`): it takes minutes here, so `make test` skips it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.integration.reference import EngineInfo

# A build of a small Dockerfile peaks at about 75 MB here; a client holding a context (or its
# file list) in memory would pass these by hundreds of MB.
_PEAK_RSS_BOUND_MB = 300


def _context(root: Path, index: int) -> Path:
    context = root / f"ctx{index}"
    context.mkdir()
    (context / "n").write_text(f"build {index}\n")
    (context / "Dockerfile").write_text("FROM scratch\nCOPY n /n\n")
    return context


# Linux carries a process's peak RSS across fork and exec, so a child of this (by now large) pytest
# process would report pytest's peak as its own: a small Python in between runs the command and
# reports the peak of its child alone.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)


def _run_measured(engine: EngineInfo, args: list[str], log: Path, timeout: float = 600) -> tuple[int, float]:
    """Run a command to its end; its exit code and peak RSS in MB (from the kernel's rusage)."""
    with open(log, "wb") as stderr:
        result = subprocess.run(
            [sys.executable, "-c", _MEASURE, *args],
            env=dict(engine.env),
            stdout=subprocess.PIPE,
            stderr=stderr,
            timeout=timeout,
            check=False,
        )
    return result.returncode, int(result.stdout.split()[-1]) / 1024


_API_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import buildwright
    contexts = sys.argv[1:]
    with buildwright.connect(max_parallel=len(contexts)) as engine:
        specs = [buildwright.BuildSpec(c, outputs=[f"type=local,dest={c}/out"]) for c in contexts]
        results = engine.build_many(specs)
    # VmHWM, not ru_maxrss: the latter starts from the parent's peak (see _MEASURE).
    hwm_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(json.dumps({"built": len(results), "peak_rss_mb": hwm_kb / 1024}))
    """
)


def test_twenty_api_builds_at_once_over_one_connection(engine: EngineInfo, tmp_path: Path) -> None:
    contexts = [_context(tmp_path, i) for i in range(20)]
    # Its own process, so the peak RSS is the builds' alone; the timeout is the deadlock guard.
    result = subprocess.run(
        [sys.executable, "-c", _API_SCRIPT, *map(str, contexts)],
        env=dict(engine.env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["built"] == 20
    for index, context in enumerate(contexts):
        assert (context / "out" / "n").read_text() == f"build {index}\n"
    assert report["peak_rss_mb"] < _PEAK_RSS_BOUND_MB, report


def test_eight_cli_builds_at_once(engine: EngineInfo, tmp_path: Path) -> None:
    contexts = [_context(tmp_path, i) for i in range(8)]
    processes = []
    for context in contexts:
        log = open(context.parent / f"{context.name}.log", "wb")  # noqa: SIM115 - closed below
        args = [sys.executable, "-m", "buildwright", "build", "--progress", "plain", "-o", str(context / "out")]
        processes.append((subprocess.Popen([*args, str(context)], env=dict(engine.env), stderr=log), log))
    try:
        for process, log in processes:
            process.wait(timeout=600)
            log.close()
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.kill()
    for index, ((process, _), context) in enumerate(zip(processes, contexts, strict=True)):
        assert process.returncode == 0, (context.parent / f"{context.name}.log").read_text()[-2000:]
        assert (context / "out" / "n").read_text() == f"build {index}\n"


def test_a_context_of_200000_files_streams_in_flat_memory(engine: EngineInfo, tmp_path: Path) -> None:
    context = tmp_path / "many"
    context.mkdir()
    for d in range(400):
        folder = f"{context}/d{d}"
        os.mkdir(folder)
        for f in range(500):
            with open(f"{folder}/f{f}", "wb") as handle:
                handle.write(b"x")
    (context / "Dockerfile").write_text(
        "FROM busybox\nRUN --mount=type=bind,target=/ctx find /ctx -type f | wc -l > /count\n"
        "FROM scratch\nCOPY --from=0 /count /\n"
    )
    out = tmp_path / "out"
    args = [sys.executable, "-m", "buildwright", "build", "--progress", "quiet", "-o", str(out), str(context)]
    code, peak_mb = _run_measured(engine, args, tmp_path / "log")
    assert code == 0, (tmp_path / "log").read_text()[-2000:]
    assert (out / "count").read_text().strip() == "200001"  # and the Dockerfile
    assert peak_mb < _PEAK_RSS_BOUND_MB


_BIG_GIB = float(os.environ.get("BUILDWRIGHT_BIG_CONTEXT_GIB", "0"))


@pytest.mark.skipif(not _BIG_GIB, reason="a benchmark: make bench-context (BUILDWRIGHT_BIG_CONTEXT_GIB=10)")
def test_a_huge_context_streams_in_flat_memory(engine: EngineInfo, tmp_path: Path) -> None:
    context = tmp_path / "big"
    context.mkdir()
    size = int(_BIG_GIB * 1024**3)
    with open(context / "big", "wb") as handle:
        handle.truncate(size)  # sparse: instant here, every byte still goes to the engine
    (context / "Dockerfile").write_text(
        "FROM busybox\nRUN --mount=type=bind,target=/ctx wc -c < /ctx/big > /size\n"
        "FROM scratch\nCOPY --from=0 /size /\n"
    )
    out = tmp_path / "out"
    args = [sys.executable, "-m", "buildwright", "build", "--progress", "quiet", "-o", str(out), str(context)]
    code, peak_mb = _run_measured(engine, args, tmp_path / "log", timeout=7200)
    assert code == 0, (tmp_path / "log").read_text()[-2000:]
    assert int((out / "size").read_text()) == size
    print(f"context {_BIG_GIB:g} GiB: client peak RSS {peak_mb:.0f} MB")
    assert peak_mb < _PEAK_RSS_BOUND_MB
