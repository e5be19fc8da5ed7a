"""Running a resolved bake definition on a builder's nodes, through the farm.

Every target is one farm build (`targets.target_options`); the farm places each target x platform
leg by platform, cache and load, and moves the legs of a node that stops answering. A target
whose result another target uses as a context (`target:NAME`) is built first, in an earlier wave,
into an OCI layout directory of this run; the targets using it get that layout as an
`oci-layout://` named context, which the engine reads through the session. Without a builder
(none named, none chosen with `builder use`), the engine `build` would use (BUILDKIT_HOST, else
DOCKER_HOST's dockerd) is a builder of one node.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from buildwright._values import valueclass
from buildwright.api import EventCallback
from buildwright.bakerun.links import closure, linked_targets, waves
from buildwright.bakerun.targets import BakeTarget, target_options
from buildwright.client.builders import Builder, Node, chosen_builder
from buildwright.client.outputs import OutputSpec, write_file_atomic
from buildwright.errors import BuildConfigError, OutputError
from buildwright.farm import (
    Farm,
    FarmResult,
    NamedBuild,
    Placement,
    PlacementCallback,
    TargetResult,
    render_placement,
)

DEFAULT_BUILDER = "default"


class ResolvedBake(Protocol):
    """What the bake-file reader gives: every target as `--print` shows it, and those asked for."""

    @property
    def targets(self) -> Mapping[str, Mapping[str, Any]]: ...

    @property
    def requested(self) -> tuple[str, ...]: ...


@valueclass
class BakePlan:
    """Where the legs of the targets that can be placed now would go; `waiting` are the targets
    built from other targets' results (placed once those are built), with the targets they wait for."""

    placements: tuple[Placement, ...]
    waiting: tuple[tuple[str, tuple[str, ...]], ...] = ()


def bake_builder(name: str | None, env: Mapping[str, str]) -> Builder:
    """The builder a bake runs on: `name`, BUILDWRIGHT_BUILDER, `builder use`'s, else the engine
    `build` would use as one node (BUILDKIT_HOST, else DOCKER_HOST's dockerd, else its socket)."""
    found = chosen_builder(name, env)
    if found is not None:
        return found[0]
    return Builder(DEFAULT_BUILDER, (Node(DEFAULT_BUILDER, _default_endpoint(env)),))


def _default_endpoint(env: Mapping[str, str]) -> str:
    buildkit = env.get("BUILDKIT_HOST", "").strip()
    if buildkit:
        return buildkit
    docker = env.get("DOCKER_HOST", "").strip()
    scheme, sep, rest = docker.partition("://")
    if sep and scheme == "unix":
        return f"docker://{rest}"
    if sep and scheme == "tcp":
        return f"docker+tcp://{rest}"
    if docker:
        raise BuildConfigError(f"bake: DOCKER_HOST={docker} is not a unix:// or tcp:// address")
    return "docker://"


class _Definition:
    """The targets of one run, mapped to farm builds once each."""

    def __init__(self, definition: ResolvedBake, cwd: Path) -> None:
        self._raw = definition.targets
        self._cwd = cwd
        self.targets = closure(definition.requested, self._lookup)
        self.waves = waves(tuple(self.targets), self.targets)
        self.linked = linked_targets(tuple(self.targets), self.targets)

    def _lookup(self, name: str) -> BakeTarget | None:
        # SOURCE_DATE_EPOCH from the environment is already every target's argument (the reader's, as buildx).
        raw = self._raw.get(name)
        return None if raw is None else target_options(name, raw, self._cwd)

    def build(self, name: str, scratch: Path, metadata: Path | None) -> NamedBuild:
        """Target `name` as a farm build: its links as the layouts their waves wrote, its own
        result also into a layout when another target uses it."""
        target = self.targets[name]
        options = dict(target.options)
        if target.links:
            contexts = dict(options.get("build_contexts") or {})
            contexts.update({ctx: f"oci-layout://{_layout(scratch, t)}" for ctx, t in target.links.items()})
            options["build_contexts"] = contexts
        if name in self.linked:
            own = [o for o in options.get("outputs") or () if not _cache_only(o)]
            options["outputs"] = (*own, OutputSpec("oci", str(_layout(scratch, name)), {"tar": "false"}))
        if metadata is not None:
            options["metadata_file"] = str(metadata / f"{name}.json")
        return NamedBuild(name, options)


def _layout(scratch: Path, name: str) -> Path:
    return scratch / "layouts" / name


def _cache_only(output: object) -> bool:
    if isinstance(output, OutputSpec):
        return output.type == "cacheonly"
    return str(output).replace(" ", "") in ("type=cacheonly",)


def run_bake(
    definition: ResolvedBake,
    builder: str | Builder | None,
    *,
    cwd: Path,
    env: Mapping[str, str],
    on_event: EventCallback | None = None,
    on_placement: PlacementCallback | None = None,
    metadata_file: str | Path | None = None,
) -> FarmResult:
    """Build the definition's requested targets (and the targets they link to) on `builder`.

    Raises:
        BuildConfigError: a target the farm cannot build as given (see `target_options`).
        BuildFailed: a step of some target failed (the message names the target).
        EngineError: no node answered, or a node stopped answering with no other one to take its legs.
    """
    started = time.monotonic()
    plan = _Definition(definition, cwd)
    found = builder if isinstance(builder, Builder) else bake_builder(builder, env)
    results: dict[str, TargetResult] = {}
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="buildwright-bake-") as tmp, Farm.open(found, env=env) as farm:
        scratch = Path(tmp)
        metadata = scratch / "metadata" if metadata_file is not None else None
        if metadata is not None:
            metadata.mkdir()
        for wave in plan.waves:
            builds = [plan.build(name, scratch, metadata) for name in wave]
            done = farm.run(builds, on_event=on_event, on_placement=on_placement)
            results.update((t.name, t) for t in done.targets)
            warnings.extend(w for w in done.warnings if w not in warnings)
        if metadata is not None and metadata_file is not None:
            _write_metadata(metadata_file, metadata, tuple(plan.targets))
    ordered = tuple(results[name] for name in plan.targets)
    return FarmResult(ordered, time.monotonic() - started, tuple(warnings))


def plan_bake(
    definition: ResolvedBake, builder: str | Builder | None, *, cwd: Path, env: Mapping[str, str]
) -> BakePlan:
    """Where the first wave's legs would go and why; the later targets with what they wait for."""
    plan = _Definition(definition, cwd)
    found = builder if isinstance(builder, Builder) else bake_builder(builder, env)
    with tempfile.TemporaryDirectory(prefix="buildwright-bake-") as tmp, Farm.open(found, env=env) as farm:
        first = [plan.build(name, Path(tmp), None) for name in plan.waves[0]] if plan.waves else []
        placements = farm.plan(first)
    waiting = tuple(
        (name, tuple(dict.fromkeys(plan.targets[name].links.values()))) for wave in plan.waves[1:] for name in wave
    )
    return BakePlan(placements, waiting)


def render_plan(plan: BakePlan) -> str:
    """`bake --placement`: the farm's placement table, then the targets that wait for others."""
    text = render_placement(plan.placements)
    for name, links in plan.waiting:
        text += f"{name}: placed once {', '.join(links)} {'is' if len(links) == 1 else 'are'} built (target: context)\n"
    return text


def _write_metadata(path: str | Path, folder: Path, names: Sequence[str]) -> None:
    """buildx bake's metadata file: each target's build metadata (as `build --metadata-file`) by name."""
    document: dict[str, Any] = {}
    for name in names:
        written = folder / f"{name}.json"
        try:
            document[name] = json.loads(written.read_text())
        except FileNotFoundError:
            document[name] = {}
        except (OSError, ValueError) as exc:
            raise OutputError(f"bake: the metadata of target {name} could not be read: {exc}") from exc
    write_file_atomic(os.fspath(path), json.dumps(document, indent=2).encode())
