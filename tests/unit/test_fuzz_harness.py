"""The fuzz harness itself: batches come back one result per input, and hangs are CPU time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.runner import _NAMES, _Worker

_EXPAND = _NAMES.index("expand")
_PARSE = _NAMES.index("parse")


@pytest.fixture
def worker() -> Iterator[_Worker]:
    started = _Worker()
    yield started
    started.close()


def _deep(levels: int) -> bytes:
    return b"\0" + b"${a:+" * levels + b"x" + b"}" * levels


def test_a_batch_answers_each_input_in_order(worker: _Worker) -> None:
    batch = [(_PARSE, b"FROM busybox\nRUN true\n"), (_EXPAND, b"\0${a}"), (_PARSE, b"\xff\xfe")]
    results = worker.run(batch, hang_limit=60.0)
    assert [kind for kind, _, _ in results] == ["ok", "ok", "ok"]
    assert all(used >= 0 for _, _, used in results)


def test_an_input_over_the_cpu_limit_is_a_hang_and_stops_the_batch(worker: _Worker) -> None:
    # 400,000 levels take seconds of CPU: the runner stops the worker once 0.2 s are used; what
    # ran before is answered, what comes after is left for the next worker.
    batch = [(_PARSE, b"FROM x\n"), (_EXPAND, _deep(400_000)), (_PARSE, b"FROM x\n")]
    results = worker.run(batch, hang_limit=0.2)
    assert [kind for kind, _, _ in results] == ["ok", "hang"]
    _, report, used = results[1]
    assert "0.2 s of CPU" in report and used > 0.2
