"""The farm: named builds over the nodes of one builder, placed by platform, cache and load.

    from buildwright.farm import Farm, NamedBuild, build_all

    result = build_all("ci", [NamedBuild("app", {"context": ".", "platform": "linux/amd64,linux/arm64"})])

or, to plan and build over the same connections:

    with Farm.open("ci") as farm:
        print(farm.render_placement(builds))          # where each leg would go, and why
        result = farm.run(builds, on_event=renderer.handle)

A run: open the builder's nodes (those that do not answer are skipped with a warning), compile
every leg on one node to learn its LLB (`fingerprint`), place the legs (`placement`), run them
(`scheduler`, with failover), then merge what a target's legs produced on different nodes into
one image index (`index`, pushed with `registry`) and record where each leg was built (`records`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import TracebackType
from typing import Any

from buildwright._log import get_logger
from buildwright._values import valueclass
from buildwright.api import EventCallback
from buildwright.client.builders import Builder
from buildwright.client.dockerconfig import DockerConfig
from buildwright.client.outputs import write_file_atomic
from buildwright.client.remote_context import is_remote_url
from buildwright.errors import BuildwrightError, EngineError, EngineLostError, EngineUnavailableError
from buildwright.farm.fingerprint import fingerprints
from buildwright.farm.index import manifests_of, merge_index, pushed_descriptor
from buildwright.farm.leases import Leases
from buildwright.farm.nodes import OpenNode, farm_builder, open_nodes
from buildwright.farm.outputs import by_digest, pushed_names, splittable
from buildwright.farm.placement import LegPlan, Placement, check_platforms, place
from buildwright.farm.progress import MergedProgress
from buildwright.farm.records import load_records, record_leg
from buildwright.farm.registry import Reference, RegistryClient
from buildwright.farm.requests import Leg, NamedBuild, build_platforms, leg_options, legs_of
from buildwright.farm.results import FarmResult, LegResult, TargetResult
from buildwright.farm.scheduler import Job, JobDone, Scheduler, jobs_of
from buildwright.farm.summary import placement_line, render_placement

_log = get_logger(__name__)
PlacementCallback = Callable[[Sequence[Placement]], None]
# A vertex no graph has: legs given it are placed together (their outputs cannot be merged).
_TOGETHER = "farm:together:"


@valueclass
class _Plan:
    builds: tuple[NamedBuild, ...]
    legs: tuple[LegPlan, ...]
    placements: tuple[Placement, ...]


def _record_key(build: NamedBuild, leg: Leg) -> str:
    """How the records name a leg: its context (a URL as given, a folder as an absolute path)."""
    given = str(build.options["context"])
    context = given if is_remote_url(given) else os.path.abspath(given)
    return f"{context}#{leg.key}"


class Farm:
    """The open nodes of one builder; a context manager. Runs and previews share the connections."""

    def __init__(self, builder: Builder, nodes: Sequence[OpenNode], warnings: Sequence[str], env: Mapping[str, str]):
        self.builder = builder
        self._nodes = tuple(nodes)
        self._warnings = tuple(warnings)
        self._env = env

    @classmethod
    def open(cls, builder: str | Builder | None = None, *, env: Mapping[str, str] | None = None) -> Farm:
        """Connect to every node of `builder` (a name, default as `--builder`'s) that answers.

        Raises:
            BuildConfigError: no such builder.
            EngineUnavailableError: none of its nodes answered.
        """
        environ = dict(os.environ if env is None else env)
        found = builder if isinstance(builder, Builder) else farm_builder(builder, environ)
        nodes, warnings = open_nodes(found, environ)
        return cls(found, nodes, warnings, environ)

    @property
    def nodes(self) -> tuple[str, ...]:
        """The names of the nodes that answered."""
        return tuple(n.name for n in self._nodes)

    @property
    def warnings(self) -> tuple[str, ...]:
        """One line per node skipped because it did not answer."""
        return self._warnings

    def _live(self) -> list[OpenNode]:
        return [n for n in self._nodes if n.lost is None]

    def _fingerprints(self, builds: Sequence[NamedBuild]) -> dict[Leg, frozenset[str]]:
        for node in self._live():
            try:
                return fingerprints(node.client, builds, self._env)
            except (EngineLostError, EngineUnavailableError) as exc:
                # The node went away: the next one compiles (other errors are the builds' own).
                node.mark_lost(str(exc).splitlines()[0])
        raise EngineError(f"no node of builder {self.builder.name!r} answers any more")

    def plan(self, builds: Sequence[NamedBuild]) -> tuple[Placement, ...]:
        """Where each leg would be built, and why, without building (`bake --placement`)."""
        _, plans = self._compile(builds)
        return self._place(plans, Leases(self._env).busy())

    def render_placement(self, builds: Sequence[NamedBuild]) -> str:
        return render_placement(self.plan(builds))

    def _compile(self, builds: Sequence[NamedBuild]) -> tuple[tuple[NamedBuild, ...], tuple[LegPlan, ...]]:
        """The builds checked and every leg's fingerprint (compiled on one node)."""
        builds = tuple(builds)
        legs = legs_of(builds)
        live = self._live()
        down = [n.name for n in self.builder.nodes if n.name not in {o.name for o in live}]
        check_platforms(legs, [n.slot for n in live], self.builder.name, down)
        by_name = {b.name: b for b in builds}
        prints = self._fingerprints(builds)
        plans = []
        for leg in legs:
            build = by_name[leg.target]
            vertices = prints.get(leg, frozenset())
            if not splittable(build.options):
                # In no node's records: it groups the target's legs without counting as shared.
                vertices = vertices | {_TOGETHER + build.name}
            plans.append(LegPlan(leg, _record_key(build, leg), vertices))
        return builds, tuple(plans)

    def _place(self, plans: Sequence[LegPlan], leased: Mapping[str, int]) -> tuple[Placement, ...]:
        # A node's load before this run: the builds its engine runs now, or the legs this
        # machine's other runs have on it, whichever is more (the two overlap).
        live = [replace(n.slot, busy=max(n.slot.busy, leased.get(n.slot.key, 0))) for n in self._live()]
        return place(plans, live, load_records(self._env), self.builder.name)

    def run(
        self,
        builds: Sequence[NamedBuild],
        *,
        on_event: EventCallback | None = None,
        on_placement: PlacementCallback | None = None,
    ) -> FarmResult:
        """Build every named build on the farm and return per-target and per-leg results.

        Every job runs to its end; then the first failure is raised (a step that failed is not
        retried on another node; a node that stopped answering had its legs rebuilt elsewhere).

        Raises:
            BuildFailed: a step of some target failed (the message names the target).
            EngineError: a node stopped answering and no other node could build its legs.
        """
        started = time.monotonic()
        leases = Leases(self._env)
        try:
            return self._run(builds, leases, on_event, on_placement, started)
        finally:
            leases.release_all()

    def _run(
        self,
        builds: Sequence[NamedBuild],
        leases: Leases,
        on_event: EventCallback | None,
        on_placement: PlacementCallback | None,
        started: float,
    ) -> FarmResult:
        compiled, plans = self._compile(builds)
        node_keys = {n.name: n.slot.key for n in self._nodes}
        with leases.holding():
            # Placed and leased under one lock, so a run started at the same moment sees these legs.
            plan = _Plan(compiled, plans, self._place(plans, leases.busy()))
            jobs = jobs_of(plan.placements)
            for job in jobs:
                leases.take(job.id, node_keys[job.node], len(job.legs))
        progress = MergedProgress(on_event)
        progress.note(_placement_title(plan.placements), [*self._warnings, *map(placement_line, plan.placements)])
        if on_placement is not None:
            on_placement(plan.placements)
        by_name = {b.name: b for b in plan.builds}
        vertices = {p.leg: p.vertices for p in plan.legs}
        record_keys = {p.leg: p.record_key for p in plan.legs}
        split = {t for t in by_name if sum(1 for j in jobs if j.target == t) > 1}
        merged: set[str] = set()  # targets pushed by digest by each node, then merged into one index

        def options_for(job: Job) -> Mapping[str, Any]:
            build = by_name[job.target]
            options = leg_options(build, [leg.platform for leg in job.legs])
            if job.target in split or len(job.legs) < len(build_platforms(build) or (None,)):
                merged.add(job.target)
                options = by_digest(options)
            return options

        def on_done(done: JobDone) -> None:
            for leg in done.job.legs:
                real = {v for v in vertices.get(leg, frozenset()) if not v.startswith(_TOGETHER)}
                record_leg(record_keys[leg], node_keys[done.job.node], real, self._env)

        def on_queued(job: Job) -> None:
            if not leases.holds(job.id):  # a job moved to another node
                leases.take(job.id, node_keys[job.node], len(job.legs))

        scheduler = Scheduler(self._nodes, options_for, progress, on_done, (on_queued, leases.release))
        done, failed = scheduler.run(jobs)
        if failed:
            job, error = failed[0]
            raise _for_target(job.target, error)
        targets = tuple(
            self._target_result(by_name[name], [d for d in done if d.job.target == name], name in merged)
            for name in by_name
        )
        # What the engines said about the results (e.g. kept in a buildkitd's cache only), once each.
        said = dict.fromkeys(w for d in done for w in d.result.warnings)
        warnings = (*self._warnings, *scheduler.warnings, *said)
        return FarmResult(targets, time.monotonic() - started, warnings)

    def _target_result(self, build: NamedBuild, done: Sequence[JobDone], merged: bool) -> TargetResult:
        legs = []
        for d in done:
            for leg in d.job.legs:
                legs.append(LegResult(leg, d.job.node, d.job.reason, d.duration, d.result.steps, d.job.moved_from))
        order = {leg: i for i, leg in enumerate(legs_of([build]))}
        legs.sort(key=lambda r: order.get(r.leg, len(order)))
        if not merged:
            result = done[0].result
            return TargetResult(build.name, tuple(legs), result.image_id, result.metadata)
        return self._merged(build, done, tuple(legs))

    def _merged(self, build: NamedBuild, done: Sequence[JobDone], legs: tuple[LegResult, ...]) -> TargetResult:
        options = build.options
        tags = list(pushed_names(options) or ())
        if not tags:
            return TargetResult(build.name, legs, None, {})
        config = DockerConfig.load(self._env)
        first = Reference.parse(tags[0])
        registry = RegistryClient(first.api_host, config)
        manifests = []
        for d in done:
            manifests.extend(manifests_of(pushed_descriptor(d.result.metadata), registry, first.repository))
        index = merge_index(manifests, build_platforms(build))
        for tag in tags:
            ref = Reference.parse(tag)
            client = registry if ref.api_host == first.api_host else RegistryClient(ref.api_host, config)
            client.put_manifest(ref.repository, ref.tag, index.body, index.media_type)
        metadata = {"containerimage.digest": index.digest, "image.name": ",".join(tags)}
        if options.get("iidfile"):
            write_file_atomic(options["iidfile"], index.digest.encode())
        if options.get("metadata_file"):
            write_file_atomic(options["metadata_file"], json.dumps(metadata, indent=2).encode())
        _log.info("farm_index_pushed", target=build.name, digest=index.digest, tags=tags)
        return TargetResult(build.name, legs, index.digest, metadata)

    def close(self) -> None:
        for node in self._nodes:
            node.close()

    def __enter__(self) -> Farm:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _placement_title(placements: Sequence[Placement]) -> str:
    nodes = len({p.node for p in placements})
    legs = len(placements)
    return f"placement: {legs} leg{'s' if legs != 1 else ''} on {nodes} node{'s' if nodes != 1 else ''}"


def _for_target(target: str, error: BuildwrightError) -> BuildwrightError:
    if not str(error).startswith(f"target {target}"):
        error.args = (f"target {target}: {error}", *error.args[1:])
    return error


def build_all(
    builder: str | Builder | None,
    builds: Sequence[NamedBuild],
    *,
    env: Mapping[str, str] | None = None,
    on_event: EventCallback | None = None,
    on_placement: PlacementCallback | None = None,
) -> FarmResult:
    """Build `builds` on the nodes of `builder` (opened and closed here) and return every result.

    `builder` is a builder name, a `Builder`, or None for the one `--builder` would use
    (BUILDWRIGHT_BUILDER, else `builder use`). `on_event` gets every node's progress events,
    each step's name tagged `[target@node ...]`; `on_placement` gets the placements once they are
    decided, before anything runs.

    Raises:
        BuildConfigError: no such builder, a bad build, or no node can run some leg's platform.
        EngineUnavailableError: none of the builder's nodes answered.
        BuildFailed: a step of some target failed (the message names the target).
        EngineError: a node stopped answering and no other node could build its legs.
    """
    with Farm.open(builder, env=env) as farm:
        return farm.run(builds, on_event=on_event, on_placement=on_placement)


def plan_all(
    builder: str | Builder | None, builds: Sequence[NamedBuild], *, env: Mapping[str, str] | None = None
) -> tuple[Placement, ...]:
    """Where `builds`' legs would go on `builder`'s nodes, and why, without building anything."""
    with Farm.open(builder, env=env) as farm:
        return farm.plan(builds)
