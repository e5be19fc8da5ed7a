"""The fuzz loop: deterministic inputs, one worker subprocess per job, findings saved to disk."""

from __future__ import annotations

import hashlib
import os
import random
import select
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz.corpus import ROOT, seeds
from tests.fuzz.mutate import mutate
from tests.fuzz.targets import TARGETS

HANG_LIMIT = 5.0  # CPU seconds one input may use
MEMORY_LIMIT = 1 << 30
_NAMES = sorted(TARGETS)


@dataclass(frozen=True, slots=True)
class Finding:
    target: str
    kind: str  # "exception", "hang", "memory", "crash"
    summary: str
    reproducer: Path | None


@dataclass
class Stats:
    tried: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    signatures: set[tuple[str, str]] = field(default_factory=set)
    slowest: tuple[float, str] = (0.0, "")  # the most CPU seconds one input took, and its target

    @property
    def total(self) -> int:
        return sum(self.tried.values())


# A wait with no CPU used is not what the hang limit measures; this catches it (a worker stuck
# on a lock or a pipe) without flagging an input that a loaded machine merely runs slowly.
WALL_LIMIT = 120.0
BATCH = 32  # inputs per round trip to a worker
_RECORD = struct.Struct(">BddI")  # status, CPU seconds of the input, the worker's CPU total, length
_TICKS = os.sysconf("SC_CLK_TCK")


class _Worker:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.worker", str(MEMORY_LIMIT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        assert self.proc.stdout is not None
        # Wait (without a hang limit: startup time is not the input's) for the worker's ready byte.
        self.ready = self.proc.stdout.read(1) == b"R"

    def cpu(self) -> float:
        """The worker's CPU seconds so far (user and system), from /proc."""
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def run(self, batch: list[tuple[int, bytes]], hang_limit: float) -> list[tuple[str, str, float]]:
        """A ("ok"|"exception"|"memory"|"hang"|"crash", report, CPU seconds) per input run, in order.

        Fewer results than inputs when the worker stopped (the last result says why): the rest
        were not run. An input hangs when it has used more than `hang_limit` seconds of CPU, so
        the verdict does not depend on how loaded the machine is.
        """
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if not self.ready:
            return [("crash", f"worker did not start ({self.proc.wait()})", 0.0)]
        message = [struct.pack(">I", len(batch))]
        for index, data in batch:
            message.append(struct.pack(">HI", index, len(data)))
            message.append(data)
        try:
            self.proc.stdin.write(b"".join(message))
            self.proc.stdin.flush()
        except BrokenPipeError:
            return [("crash", "worker exited", 0.0)]
        fd = self.proc.stdout.fileno()
        results: list[tuple[str, str, float]] = []
        buffer = b""
        cpu_before = self.cpu()  # what the running input has used is the CPU since the last answer
        answered = time.monotonic()
        while len(results) < len(batch):
            ready, _, _ = select.select([fd], [], [], min(0.5, hang_limit / 4))
            if not ready:
                used = self.cpu() - cpu_before
                if used > hang_limit:
                    results.append(("hang", f"over {hang_limit} s of CPU", used))
                    return results
                if time.monotonic() - answered > WALL_LIMIT:
                    results.append(("hang", f"no answer in {WALL_LIMIT} s ({used:.1f} s of CPU)", used))
                    return results
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                results.append(("crash", f"worker exited with {self.proc.wait()}", 0.0))
                return results
            buffer += chunk
            while len(buffer) >= _RECORD.size:
                status, used, total, length = _RECORD.unpack_from(buffer)
                if len(buffer) < _RECORD.size + length:
                    break
                report = buffer[_RECORD.size : _RECORD.size + length].decode("utf-8", "replace")
                buffer = buffer[_RECORD.size + length :]
                kind = {0: "ok", 1: "exception", 2: "memory"}[status]
                if kind == "ok" and used > hang_limit:
                    kind, report = "hang", f"took {used:.1f} s of CPU (limit {hang_limit} s)"
                results.append((kind, report, used))
                cpu_before, answered = total, time.monotonic()
                if kind == "memory":
                    return results
        return results

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Fuzzer:
    """Round-robin over targets; `jobs` threads each drive one worker with its own seeded RNG."""

    def __init__(
        self,
        *,
        seed: int,
        targets: list[str] | None = None,
        findings_dir: Path,
        hang_limit: float = HANG_LIMIT,
        jobs: int = 1,
    ) -> None:
        self.seed = seed
        self.targets = targets or list(_NAMES)
        self.findings_dir = findings_dir
        self.hang_limit = hang_limit
        self.jobs = jobs
        self.seeds = seeds()
        self.stats = Stats()
        self._lock = threading.Lock()

    def run(self, *, inputs: int, seconds: float | None = None, progress_every: float = 0) -> Stats:
        """Run until `inputs` have been tried (or `seconds` have passed)."""
        deadline = time.monotonic() + seconds if seconds else None
        share = [inputs // self.jobs + (1 if j < inputs % self.jobs else 0) for j in range(self.jobs)]
        threads = [threading.Thread(target=self._job, args=(j, share[j], deadline)) for j in range(self.jobs)]
        stop = threading.Event()
        reporter = None
        if progress_every:
            reporter = threading.Thread(target=self._progress, args=(stop, progress_every), daemon=True)
            reporter.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        return self.stats

    def _progress(self, stop: threading.Event, every: float) -> None:
        start = time.monotonic()
        while not stop.wait(every):
            print(self.summary(time.monotonic() - start), flush=True)

    def summary(self, elapsed: float) -> str:
        with self._lock:
            by_target = " ".join(f"{t}={n}" for t, n in sorted(self.stats.tried.items()))
            kinds = Counter(f.kind for f in self.stats.findings)
            found = f"findings={len(self.stats.findings)} {dict(kinds)}"
            return f"[{elapsed:.0f}s] inputs={self.stats.total} {found} {by_target}"

    def _job(self, job: int, count: int, deadline: float | None) -> None:
        rng = random.Random(f"{self.seed}/{job}")
        worker = _Worker()
        pending: list[tuple[str, bytes]] = []
        made = 0
        try:
            while made < count or pending:
                if deadline is not None and time.monotonic() > deadline:
                    break
                while len(pending) < BATCH and made < count:
                    target = self.targets[made % len(self.targets)]
                    pool = self.seeds[target]
                    data = mutate(rng, rng.choice(pool), pool) if rng.random() < 0.97 else rng.choice(pool)
                    pending.append((target, data))
                    made += 1
                results = worker.run([(_NAMES.index(t), d) for t, d in pending], self.hang_limit)
                with self._lock:
                    for (target, data), (kind, report, used) in zip(pending, results, strict=False):
                        self.stats.tried[target] += 1
                        self.stats.slowest = max(self.stats.slowest, (used, target))
                        if kind != "ok":
                            self._record(target, kind, report, data)
                if results[-1][0] in ("hang", "crash", "memory"):
                    worker.close()
                    worker = _Worker()
                pending = pending[len(results) :]
        finally:
            worker.close()

    def _record(self, target: str, kind: str, report: str, data: bytes) -> None:
        first_line = report.splitlines()[0] if report else kind
        signature = (target, first_line if kind == "exception" else kind)
        if signature in self.stats.signatures:
            self.stats.findings.append(Finding(target, kind, first_line, None))
            return
        self.stats.signatures.add(signature)
        self.findings_dir.mkdir(parents=True, exist_ok=True)
        name = f"{target}-{kind}-{hashlib.sha256(data).hexdigest()[:12]}"
        path = self.findings_dir / f"{name}.bin"
        path.write_bytes(data)
        (self.findings_dir / f"{name}.txt").write_text(f"target: {target}\nkind: {kind}\n{report}\n")
        self.stats.findings.append(Finding(target, kind, first_line, path))
