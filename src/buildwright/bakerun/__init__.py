"""`buildwright bake`: a bake definition's targets built over a builder's nodes (the farm).

    import buildwright

    result = buildwright.bake(files=["docker-bake.hcl"], targets=["default"], builder="ci")
    for target in result.targets:                 # farm TargetResults, requested order
        print(target.name, target.image_id, [(leg.leg.platform, leg.node) for leg in target.legs])

The bake files are read by `buildwright.bakefile` (buildx's rules, `--print`'s shape); each
resolved target becomes one farm build (`targets.target_options`), and targets built from other
targets' results (`target:NAME` contexts) are built after them (`links`, `runner`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from buildwright.bakefile import BakeDefinition, list_targets, list_variables, read_bake
from buildwright.bakerun.runner import (
    DEFAULT_BUILDER,
    BakePlan,
    ResolvedBake,
    bake_builder,
    plan_bake,
    render_plan,
    run_bake,
)
from buildwright.bakerun.targets import BakeTarget, target_options
from buildwright.client.attestations import canonical
from buildwright.errors import UsageError

if TYPE_CHECKING:
    from buildwright.api import EventCallback
    from buildwright.client.builders import Builder
    from buildwright.farm import FarmResult, PlacementCallback

__all__ = [
    "DEFAULT_BUILDER",
    "BakeDefinition",
    "BakePlan",
    "BakeTarget",
    "ResolvedBake",
    "bake",
    "bake_builder",
    "bake_overrides",
    "list_definition",
    "plan",
    "plan_bake",
    "read_bake",
    "render_plan",
    "run_bake",
    "target_options",
]


def bake_overrides(
    overrides: Sequence[str] = (),
    *,
    push: bool = False,
    load: bool = False,
    no_cache: bool | None = None,
    pull: bool | None = None,
    sbom: str = "",
    provenance: str = "",
) -> tuple[str, ...]:
    """`--set` values plus the ones buildx bake adds for its flags, in its order (`--push` is
    `*.push=true`, `--provenance=mode=max` is `*.attest=type=provenance,mode=max`, ...)."""
    out = list(overrides)
    if push:
        out.append("*.push=true")
    if load:
        out.append("*.load=true")
    if no_cache is not None:
        out.append(f"*.no-cache={'true' if no_cache else 'false'}")
    if pull is not None:
        out.append(f"*.pull={'true' if pull else 'false'}")
    for kind, value in (("sbom", sbom), ("provenance", provenance)):
        if value:
            out.append(f"*.attest={canonical(kind, value)}")
    return tuple(out)


def list_definition(files: Sequence[str], spec: str, *, cwd: Path, env: Mapping[str, str]) -> str:
    """`--list targets|variables` (or `type=targets|variables[,format=table|json]`), as buildx prints it.

    Raises:
        UsageError: another kind or format.
    """
    kind, form = spec, "table"
    if "=" in spec:
        fields = dict(item.partition("=")[::2] for item in spec.split(","))
        kind, form = fields.pop("type", ""), fields.pop("format", "table")
        if fields:
            raise UsageError(f"invalid list option: unknown key {sorted(fields)[0]!r}")
    if form not in ("table", "json"):
        raise UsageError(f"invalid list format {form!r}: table or json")
    if kind == "targets":
        return list_targets(files, cwd=cwd, env=env, format=form)
    if kind == "variables":
        return list_variables(files, cwd=cwd, env=env, format=form)
    raise UsageError(f"invalid list type {kind!r}: targets or variables")


def bake(
    files: Sequence[str] = (),
    targets: Sequence[str] = (),
    *,
    overrides: Sequence[str] = (),
    builder: str | Builder | None = None,
    push: bool = False,
    load: bool = False,
    no_cache: bool | None = None,
    pull: bool | None = None,
    provenance: str = "",
    sbom: str = "",
    metadata_file: str | Path | None = None,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    on_event: EventCallback | None = None,
    on_placement: PlacementCallback | None = None,
) -> FarmResult:
    """Build the bake files' `targets` (groups expanded; default `default`) on `builder`'s nodes.

    `files` are bake files (`docker-bake.hcl`, `.json`, `compose.yaml`; none: buildx's default
    names in `cwd`); `overrides` are `--set TARGET.KEY=VALUE` values; `push`, `load`, `no_cache`,
    `pull`, `provenance` and `sbom` are buildx bake's flags of those names. `builder` is a builder name (default:
    BUILDWRIGHT_BUILDER, `builder use`'s, else the engine `build` uses, as one node). Returns the
    farm's result: one `TargetResult` per target built (linked targets included), each leg's
    node, reason and steps. `metadata_file` receives buildx bake's JSON (target -> metadata).

    Raises:
        BuildConfigError: a bake file, target or key that cannot be built; an unknown builder.
        BuildFailed: a step of some target failed (the message names the target).
        EngineError: no node answered, or a lost node's legs had nowhere else to go.
    """
    environ = dict(os.environ if env is None else env)
    folder = Path(cwd) if cwd is not None else Path.cwd()
    sets = bake_overrides(
        overrides, push=push, load=load, no_cache=no_cache, pull=pull, sbom=sbom, provenance=provenance
    )
    definition = read_bake(files, targets, overrides=sets, cwd=folder, env=environ)
    return run_bake(
        definition,
        builder,
        cwd=folder,
        env=environ,
        on_event=on_event,
        on_placement=on_placement,
        metadata_file=metadata_file,
    )


def plan(
    files: Sequence[str] = (),
    targets: Sequence[str] = (),
    *,
    overrides: Sequence[str] = (),
    builder: str | Builder | None = None,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> BakePlan:
    """Where each leg of the bake would be built and why (`bake --placement`), building nothing."""
    environ = dict(os.environ if env is None else env)
    folder = Path(cwd) if cwd is not None else Path.cwd()
    definition = read_bake(files, targets, overrides=overrides, cwd=folder, env=environ)
    return plan_bake(definition, builder, cwd=folder, env=environ)
