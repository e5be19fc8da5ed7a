"""Running placed legs: one job per target and node, node slots, failover, recorded placements.

Legs of one target placed on one node run as one job (one solve, so that node's engine makes
the multi-platform index itself). Each job waits for a slot of its node (the node's
parallelism), then builds through `buildwright.build()` on the node's open connection. A job
whose node stops answering (the connection breaks, or the node no longer answers when the job's
turn comes) is placed again on a live node that can run its legs (`failover`); a job whose own
step fails is not retried. Outputs are written beside their destination and moved into place
only when a job succeeds (`buildwright.build`'s rule), so a job cut off leaves nothing behind.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any

from buildwright._log import get_logger
from buildwright._values import valueclass
from buildwright.errors import BuildwrightError, EngineError, EngineLostError, EngineUnavailableError
from buildwright.farm.nodes import OpenNode
from buildwright.farm.placement import Placement, replace_on
from buildwright.farm.progress import MergedProgress
from buildwright.farm.requests import Leg
from buildwright.results import BuildResult

_log = get_logger(__name__)


@valueclass
class Job:
    """Legs of one target on one node; `moved_from` names the nodes it was taken off."""

    id: str
    target: str
    legs: tuple[Leg, ...]
    node: str
    reason: str
    moved_from: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How progress tags the job's steps: `app@node-a`, `app linux/arm64@node-b` for one platform."""
        platform = self.legs[0].platform if len(self.legs) == 1 else None
        return f"{self.target} {platform}@{self.node}" if platform else f"{self.target}@{self.node}"


@valueclass
class JobDone:
    job: Job
    result: BuildResult
    duration: float


def jobs_of(placements: Sequence[Placement]) -> tuple[Job, ...]:
    """One job per (target, node), legs in placement order; a job's reason is its first leg's."""
    grouped: dict[tuple[str, str], list[Placement]] = {}
    for p in placements:
        grouped.setdefault((p.leg.target, p.node), []).append(p)
    return tuple(
        Job(f"j{i}", target, tuple(p.leg for p in group), node, group[0].reason)
        for i, ((target, node), group) in enumerate(grouped.items())
    )


class _JobMoved(Exception):
    """The job's node stopped answering before or while the job ran."""

    def __init__(self, job: Job, reason: str) -> None:
        super().__init__(reason)
        self.job = job
        self.reason = reason


class _JobFailed(Exception):
    """The job's own build failed (a step, an input, an output): not retried."""

    def __init__(self, job: Job, error: BuildwrightError) -> None:
        super().__init__(str(error))
        self.job = job
        self.error = error


class Scheduler:
    """Runs jobs over open nodes until each has succeeded or failed on its own account.

    `options_for(job)` gives the `buildwright.build()` keyword arguments of a job (the farm
    decides outputs and platforms); `on_done(done)` is called in the job's thread once it succeeded.
    """

    def __init__(
        self,
        nodes: Sequence[OpenNode],
        options_for: Callable[[Job], Mapping[str, Any]],
        progress: MergedProgress,
        on_done: Callable[[JobDone], None] | None = None,
        tracking: tuple[Callable[[Job], None], Callable[[str], None]] | None = None,
    ) -> None:
        self._nodes = {n.name: n for n in nodes}
        # Called when a job is queued on a node and when it leaves it (done, failed or moved).
        self._tracking = tracking
        self._options_for = options_for
        self._progress = progress
        self._on_done = on_done
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._queued: dict[str, int] = {}
        self.warnings: list[str] = []

    def run(self, jobs: Sequence[Job]) -> tuple[list[JobDone], list[tuple[Job, BuildwrightError]]]:
        """Every job's outcome: those done, and those failed (in the order they ended)."""
        done: list[JobDone] = []
        failed: list[tuple[Job, BuildwrightError]] = []
        workers = sum(n.slot.parallelism for n in self._nodes.values()) + len(jobs)
        with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="farm-leg") as pool:
            pending: set[Future[JobDone]] = {self._submit(pool, job) for job in jobs}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    try:
                        done.append(future.result())
                    except _JobMoved as moved:
                        for again in self._replace(moved.job, moved.reason, failed):
                            pending.add(self._submit(pool, again))
                    except _JobFailed as own:
                        failed.append((own.job, own.error))
        return done, failed

    def _submit(self, pool: ThreadPoolExecutor, job: Job) -> Future[JobDone]:
        with self._lock:
            self._queued[job.node] = self._queued.get(job.node, 0) + len(job.legs)
        if self._tracking is not None:
            self._tracking[0](job)
        return pool.submit(self._run, job)

    def _release(self, job: Job) -> None:
        with self._lock:
            self._queued[job.node] -= len(job.legs)
        if self._tracking is not None:
            self._tracking[1](job.id)

    def _run(self, job: Job) -> JobDone:
        node = self._nodes[job.node]
        try:
            with node.slots:
                if node.lost is not None:
                    raise _JobMoved(job, node.lost)
                started = time.monotonic()
                options = dict(self._options_for(job))
                sink = self._progress.for_job(job.label, job.id)
                try:
                    context = options.pop("context")
                    result = node.engine.build(context, on_event=sink, **options)
                except (EngineLostError, EngineUnavailableError) as exc:
                    # The node went away (the connection broke, or it stopped answering): not the
                    # build's fault, so its legs run again elsewhere. Any other error is the job's.
                    reason = str(exc).splitlines()[0]
                    if node.mark_lost(reason):
                        _log.info("farm_node_lost", node=node.name, reason=reason)
                    self._progress.abandon(job.id, f"node {node.name} stopped answering")
                    raise _JobMoved(job, reason) from None
                except BuildwrightError as exc:
                    raise _JobFailed(job, exc) from None
                outcome = JobDone(job, result, time.monotonic() - started)
        finally:
            self._release(job)
        if self._on_done is not None:
            self._on_done(outcome)
        return outcome

    def _replace(self, job: Job, reason: str, failed: list[tuple[Job, BuildwrightError]]) -> list[Job]:
        """The job again on live nodes (all its legs on one if any can, else each leg where it can)."""
        live = [n.slot for n in self._nodes.values() if n.lost is None]
        with self._lock:
            queued = dict(self._queued)
        moved_from = (*job.moved_from, job.node)
        placed = replace_on(job.legs, live, queued)
        groups = [placed] if placed is not None else [replace_on((leg,), live, queued) for leg in job.legs]
        out: list[Job] = []
        for group, leg in zip(groups, job.legs if placed is None else (None,), strict=True):
            if group is None:
                lost = EngineError(
                    f"target {job.target}: node {job.node} stopped answering ({reason}), and no"
                    f" other node can build {leg}"
                )
                failed.append((job, lost))
                continue
            node = group[0].node
            legs = tuple(p.leg for p in group)
            out.append(
                replace(
                    job,
                    id=f"{job.id}.{next(self._ids)}",
                    legs=legs,
                    node=node,
                    reason=group[0].reason,
                    moved_from=moved_from,
                )
            )
            message = f"{', '.join(map(str, legs))}: node {job.node} stopped answering ({reason}); rebuilding on {node}"
            self.warnings.append(message)
            self._progress.note(f"failover: {', '.join(map(str, legs))} -> {node}", [message])
            _log.info("farm_leg_moved", target=job.target, frm=job.node, to=node, reason=reason)
        return out
