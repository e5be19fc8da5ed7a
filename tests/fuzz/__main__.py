"""`python -m tests.fuzz [--inputs N] [--seconds S] [--seed K] [--jobs J] [--target T ...]`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.fuzz.runner import Fuzzer


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--target", action="append", help="only these targets (repeatable)")
    parser.add_argument("--findings", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--progress", type=float, default=60.0, help="seconds between progress lines")
    args = parser.parse_args()
    fuzzer = Fuzzer(seed=args.seed, targets=args.target, findings_dir=args.findings, jobs=args.jobs)
    start = time.monotonic()
    stats = fuzzer.run(inputs=args.inputs, seconds=args.seconds, progress_every=args.progress)
    print(fuzzer.summary(time.monotonic() - start))
    for finding in stats.findings:
        if finding.reproducer is not None:
            print(f"finding: {finding.target} {finding.kind}: {finding.summary} -> {finding.reproducer}")
    print(f"inputs tried: {stats.total}; findings: {len(stats.findings)} ({len(stats.signatures)} distinct)")
    used, target = stats.slowest
    print(f"slowest input: {used:.2f} s of CPU ({target}); hang limit {fuzzer.hang_limit} s of CPU")
    return 1 if stats.findings else 0


if __name__ == "__main__":
    sys.exit(main())
