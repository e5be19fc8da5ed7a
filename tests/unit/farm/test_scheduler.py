"""The scheduler with fake nodes: a lost node's jobs move by load, a job's own failure stays."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, cast

import pytest

from buildwright.client import BuildkitClient
from buildwright.client.builders import Node
from buildwright.client.events import BuildEvent, VertexQueued
from buildwright.engine import Engine
from buildwright.errors import BuildFailed, EngineLostError
from buildwright.farm.nodes import OpenNode
from buildwright.farm.placement import FAILOVER, LOAD, PLATFORM
from buildwright.farm.progress import MergedProgress
from buildwright.farm.requests import Leg
from buildwright.farm.scheduler import Job, Scheduler
from buildwright.results import BuildResult


class FakeEngine:
    """Builds succeed, unless the node is told to be lost or a context is told to fail."""

    def __init__(
        self, name: str, lost: bool = False, failing: frozenset[str] = frozenset(), gate: threading.Event | None = None
    ) -> None:
        self.name = name
        self.gate = gate
        self.lost = lost
        self.failing = failing
        self.built: list[str] = []
        self._lock = threading.Lock()

    def build(self, context: str, /, **options: Any) -> BuildResult:
        if self.lost:
            raise EngineLostError(f"tcp://{self.name}", "Socket closed")
        if context in self.failing:
            raise BuildFailed(f"{context}: exit code 3")
        if self.gate is not None:
            self.gate.wait(10)
        with self._lock:
            self.built.append(context)
        return BuildResult(f"sha256:{context}", {})


def _node(engine: FakeEngine, platforms: tuple[str, ...] = ()) -> OpenNode:
    node = Node(engine.name, f"tcp://{engine.name}")
    return OpenNode(node, cast(BuildkitClient, None), cast(Engine, engine), platforms)


def _job(index: int, target: str, node: str, platform: str | None = None) -> Job:
    return Job(f"j{index}", target, (Leg(target, platform),), node, LOAD)


def _options(job: Job) -> Mapping[str, Any]:
    return {"context": job.target}


def test_the_jobs_of_a_lost_node_move_to_the_live_ones_by_load() -> None:
    # a and b hold their own jobs until both of c's have moved, so each move sees the others' load.
    moves: list[str] = []
    both_moved = threading.Event()

    def sink(event: BuildEvent) -> None:
        if isinstance(event, VertexQueued) and event.name.startswith("[farm] failover"):
            moves.append(event.name)
            if len(moves) == 2:
                both_moved.set()

    a, b = FakeEngine("a", gate=both_moved), FakeEngine("b", gate=both_moved)
    c = FakeEngine("c", lost=True)
    nodes = [_node(a), _node(b), _node(c)]
    scheduler = Scheduler(nodes, _options, MergedProgress(sink))
    jobs = [_job(0, "t0", "a"), _job(1, "t1", "b"), _job(2, "t2", "c"), _job(3, "t3", "c")]
    done, failed = scheduler.run(jobs)
    assert not failed
    moved = {d.job.target: d.job for d in done if d.job.moved_from}
    assert set(moved) == {"t2", "t3"}
    assert all(job.reason == FAILOVER and job.moved_from == ("c",) for job in moved.values())
    assert sorted(job.node for job in moved.values()) == ["a", "b"]
    assert sorted(a.built + b.built) == ["t0", "t1", "t2", "t3"]
    assert nodes[2].lost is not None and len(scheduler.warnings) == 2


def test_a_jobs_own_failure_is_not_retried() -> None:
    a, b = FakeEngine("a", failing=frozenset({"bad"})), FakeEngine("b")
    scheduler = Scheduler([_node(a), _node(b)], _options, MergedProgress(None))
    done, failed = scheduler.run([_job(0, "bad", "a"), _job(1, "good", "b")])
    assert [d.job.target for d in done] == ["good"]
    assert [(job.target, type(error)) for job, error in failed] == [("bad", BuildFailed)]
    assert not b.built.count("bad")


def test_a_leg_no_live_node_can_run_fails_naming_the_node_and_the_leg() -> None:
    a = FakeEngine("a")
    arm = FakeEngine("arm", lost=True)
    nodes = [_node(a, ("linux/amd64",)), _node(arm, ("linux/arm64",))]
    scheduler = Scheduler(nodes, _options, MergedProgress(None))
    job = Job("j0", "app", (Leg("app", "linux/arm64"),), "arm", PLATFORM)
    done, failed = scheduler.run([job])
    assert not done
    [(_, error)] = failed
    assert "node arm stopped answering" in str(error) and "no other node can build app (linux/arm64)" in str(error)


@pytest.mark.parametrize("parallelism", [1, 2])
def test_a_node_runs_at_most_its_parallelism_at_once(parallelism: int) -> None:
    running, peak, started = [0], [0], [0]
    changed = threading.Condition()

    class Slow(FakeEngine):
        def build(self, context: str, /, **options: Any) -> BuildResult:
            with changed:
                running[0] += 1
                started[0] += 1
                peak[0] = max(peak[0], running[0])
                changed.notify_all()
                # Hold the slot until the node is full (or no job is left to come), so a wrong
                # limit would show.
                changed.wait_for(lambda: running[0] >= parallelism or started[0] == 4, timeout=5)
            with changed:
                running[0] -= 1
            return BuildResult(None, {})

    spec = Node("a", "tcp://a", parallelism=parallelism)
    node = OpenNode(spec, cast(BuildkitClient, None), cast(Engine, Slow("a")), ())
    done, _ = Scheduler([node], _options, MergedProgress(None)).run([_job(i, f"t{i}", "a") for i in range(4)])
    assert len(done) == 4 and peak[0] == parallelism
