"""The fuzz worker: runs inputs sent by the runner under a memory limit and reports findings.

Protocol on stdin/stdout: after its ready byte `R`, the worker reads batches: `>I` (count), then
for each input `>HI` (target index, length) and its bytes. It runs them in order and answers each
with `>BddI` (0 clean, 1 finding, 2 memory; the CPU seconds it took; the process's CPU seconds so
far; the report's length) and a UTF-8 report, flushed at once, so the runner knows which input
is running. The runner enforces the hang limit by killing the worker, so even a loop inside C
code is caught.
"""

from __future__ import annotations

import resource
import struct
import sys
import time
import traceback

from buildwright.errors import BuildwrightError
from tests.fuzz.targets import TARGETS

_NAMES = sorted(TARGETS)


def _report(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    # The innermost frame in buildwright names the defect (deduplication key for the runner).
    inner = next((f for f in reversed(frames) if "/buildwright/" in f.filename), frames[-1] if frames else None)
    where = f"{inner.filename.rsplit('/src/', 1)[-1]}:{inner.lineno}" if inner else "?"
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(lines[-12:]) if not isinstance(exc, RecursionError) else "".join(lines[:6] + lines[-6:])
    return f"{type(exc).__name__} at {where}\n{tail}"


def _read_batch(stdin: object) -> list[tuple[int, bytes]] | None:
    read = stdin.read  # type: ignore[attr-defined]
    header = read(4)
    if len(header) < 4:
        return None
    (count,) = struct.unpack(">I", header)
    batch = []
    for _ in range(count):
        index, length = struct.unpack(">HI", read(6))
        batch.append((index, read(length)))
    return batch


def main() -> None:
    memory_limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Ready: imports are done, so the runner's hang clock starts with the first input, not with
    # this process's start (seconds on a loaded machine).
    stdout.write(b"R")
    stdout.flush()
    while True:
        batch = _read_batch(stdin)
        if batch is None:
            return
        for index, data in batch:
            status, report = 0, ""
            start = time.process_time()
            try:
                TARGETS[_NAMES[index]](data)
            except BuildwrightError:
                pass
            except MemoryError as exc:
                status, report = 2, _report(exc)
            except Exception as exc:  # every other exception is what the fuzzer looks for
                status, report = 1, _report(exc)
            total = time.process_time()
            payload = report.encode("utf-8", "replace")
            stdout.write(struct.pack(">BddI", status, total - start, total, len(payload)) + payload)
            stdout.flush()
            if status == 2:
                return  # the heap may be in a poor state: the runner starts a new worker


if __name__ == "__main__":
    main()
