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

HANG_LIMIT = 5.0
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

    @property
    def total(self) -> int:
        return sum(self.tried.values())


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

    def run(self, index: int, data: bytes, hang_limit: float) -> tuple[str, str]:
        """("ok"|"exception"|"memory"|"hang"|"crash", report)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if not self.ready:
            return "crash", f"worker did not start ({self.proc.wait()})"
        try:
            self.proc.stdin.write(struct.pack(">HI", index, len(data)) + data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            return "crash", "worker exited"
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + hang_limit
        header = b""
        while len(header) < 5:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(remaining, 0))
            if not ready:
                return "hang", f"over {hang_limit} s"
            chunk = os.read(fd, 5 - len(header))
            if not chunk:
                return "crash", f"worker exited with {self.proc.wait()}"
            header += chunk
        status, length = struct.unpack(">BI", header)
        report = b""
        while len(report) < length:
            chunk = os.read(fd, length - len(report))
            if not chunk:
                break
            report += chunk
        kind = {0: "ok", 1: "exception", 2: "memory"}[status]
        return kind, report.decode("utf-8", "replace")

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
        try:
            for n in range(count):
                if deadline is not None and time.monotonic() > deadline:
                    break
                target = self.targets[n % len(self.targets)]
                pool = self.seeds[target]
                data = mutate(rng, rng.choice(pool), pool) if rng.random() < 0.97 else rng.choice(pool)
                kind, report = worker.run(_NAMES.index(target), data, self.hang_limit)
                if kind in ("hang", "crash", "memory"):
                    worker.close()
                    worker = _Worker()
                with self._lock:
                    self.stats.tried[target] += 1
                    if kind != "ok":
                        self._record(target, kind, report, data)
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
