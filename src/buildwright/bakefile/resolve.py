"""From the targets and groups of the bake files to the targets asked for: group expansion,
`inherits`, `--set` overrides, linked `target:` contexts and the `default` group, in buildx's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from buildwright._golang import BadPatternError, filepath_match, quote
from buildwright._values import valueclass
from buildwright.bakefile.decode import GroupSpec
from buildwright.bakefile.entries import EntryError, ExportEntry
from buildwright.bakefile.errors import BakeFileError
from buildwright.bakefile.target import LIST_OVERRIDE_KEYS, Override, TargetSpec

# Target names a bake file may define (matrix names included).
TARGET_NAME_CHARS = "[a-zA-Z0-9_-]+"


@dataclass
class Config:
    """The groups and targets of all bake files, merged by name, in the order they were defined."""

    groups: list[GroupSpec] = field(default_factory=list)
    targets: list[TargetSpec] = field(default_factory=list)

    def group(self, name: str) -> GroupSpec | None:
        return next((g for g in self.groups if g.name == name), None)

    def target(self, name: str) -> TargetSpec | None:
        return next((t for t in self.targets if t.name == name), None)

    def add_target(self, spec: TargetSpec) -> None:
        """A target block: merged into an earlier one of the same name, or appended."""
        existing = self.target(spec.name)
        if existing is None:
            self.targets.append(spec)
        else:
            existing.merge(spec)

    def add_group(self, group: GroupSpec) -> None:
        """A group block: replaces an earlier one of the same name (groups do not merge)."""
        for i, existing in enumerate(self.groups):
            if existing.name == group.name:
                self.groups[i] = group
                return
        self.groups.append(group)


@valueclass
class Resolved:
    """The targets to print or build, the groups `--print` shows, and the build order."""

    targets: Mapping[str, TargetSpec]
    groups: Mapping[str, tuple[str, tuple[str, ...] | None]]
    order: tuple[str, ...]


def resolve(config: Config, requested: Sequence[str], overrides: Sequence[str], env: Mapping[str, str]) -> Resolved:
    names = _dedup([m for name in requested for m in _match_names(config, name.replace(".", "_"))])
    sets = _parse_overrides(config, overrides, env)
    targets: dict[str, TargetSpec] = {}
    groups: dict[str, GroupSpec] = {}
    order: list[str] = []
    for name in names:
        member_targets, member_groups = _expand_group(config, name)
        for tname in member_targets:
            if tname not in targets:
                order.append(tname)
            targets[tname] = _resolve_target(config, tname, sets)
        for gname in member_groups:
            found = config.group(gname)
            if found is not None:
                groups[gname] = found
    group_targets = {g: list(spec.targets) if spec.targets is not None else None for g, spec in groups.items()}
    for name in names:
        if "default" in group_targets and name == "default":
            continue
        group_targets["default"] = [*(group_targets.get("default") or []), name]
    default = group_targets.get("default")
    if default is not None:
        group_targets["default"] = sorted(_dedup(default))
    for name in list(targets):
        _load_links(config, name, targets[name], targets, sets, [], order)
    shown = {
        g: (groups[g].description if g in groups else "", None if ts is None else tuple(ts))
        for g, ts in group_targets.items()
    }
    return Resolved(targets, shown, tuple(order))


def _dedup(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _match(pattern: str, name: str) -> bool:
    try:
        return filepath_match(pattern, name)
    except BadPatternError:
        return False


def _match_names(config: Config, pattern: str) -> list[str]:
    if not any(c in pattern for c in "*?[]"):
        return [pattern]
    names = [g.name for g in config.groups if _match(pattern, g.name)]
    names += [t.name for t in config.targets if _match(pattern, t.name)]
    if not names:
        raise BakeFileError(f"could not find any target matching {quote(pattern)}")
    return names


def _expand_targets(config: Config, pattern: str) -> list[str]:
    if config.target(pattern) is not None:
        return [pattern]
    names = []
    for spec in config.targets:
        try:
            matched = filepath_match(pattern, spec.name)
        except BadPatternError:
            raise BakeFileError(f"could not match targets with '{pattern}': syntax error in pattern") from None
        if matched:
            names.append(spec.name)
    if not names:
        raise BakeFileError(f"could not find any target matching '{pattern}'")
    return names


def _parse_overrides(config: Config, values: Sequence[str], env: Mapping[str, str]) -> dict[str, dict[str, Override]]:
    out: dict[str, dict[str, Override]] = {}
    for text in values:
        key, has_value, value = text.partition("=")
        append = key.endswith("+")
        skey = key.removesuffix("+")
        keys = skey.split(".", 2)
        if len(keys) < 2:
            raise BakeFileError(f"invalid override key {skey}, expected target.name")
        if not has_value and keys[1] != "args":
            raise BakeFileError(f"invalid override {text}, expected target.name=value")
        okey = ".".join(keys[1:])
        for name in _expand_targets(config, keys[0]):
            per_target = out.setdefault(name, {})
            override = per_target.get(okey) or Override()
            if keys[1] in LIST_OVERRIDE_KEYS:
                if has_value:
                    override.append = append
                    override.values = [*override.values, value]
            else:
                if keys[1] in ("args", "contexts") and len(keys) != 3:
                    raise BakeFileError(f"invalid key {key}, {keys[1]} requires name")
                if keys[1] == "args" and not has_value:
                    if keys[2] not in env:
                        continue
                    override.value = env[keys[2]]
                if has_value:
                    override.value = value
            per_target[okey] = override
    return out


def _expand_group(config: Config, name: str) -> tuple[list[str], list[str]]:
    targets, groups = _group(config, name, {})
    return _dedup(targets), _dedup(groups)


def _group(config: Config, name: str, visited: dict[str, tuple[list[str], list[str]]]) -> tuple[list[str], list[str]]:
    if name in visited:
        return visited[name]
    group = config.group(name)
    if group is None:
        return [name], []
    # A group met again while it is being expanded contributes nothing (a cycle is not an error).
    visited[name] = ([], [])
    targets: list[str] = []
    groups = [name]
    for member in group.targets or ():
        member_targets, member_groups = _group(config, member, visited)
        targets.extend(member_targets or [member])
        groups.extend(member_groups)
    visited[name] = (targets, groups)
    return targets, groups


def _resolve_target(config: Config, name: str, sets: Mapping[str, Mapping[str, Override]]) -> TargetSpec:
    spec = _target(config, name, {}, sets)
    assert spec is not None
    spec.inherits = []
    if spec.context is None:
        spec.context = "."
    if not spec.dockerfile:
        spec.dockerfile = "Dockerfile"
    return spec


def _target(
    config: Config,
    name: str,
    visited: dict[str, TargetSpec | None],
    sets: Mapping[str, Mapping[str, Override]],
) -> TargetSpec | None:
    if name in visited:
        # Reached again through `inherits` while being resolved: buildx skips it (no error).
        return visited[name]
    visited[name] = None
    raw = config.target(name)
    if raw is None:
        raise BakeFileError(f"failed to find target {name}")
    inherited = TargetSpec(name)
    for parent in raw.inherits:
        resolved = _target(config, parent, visited, sets)
        if resolved is not None:
            inherited.merge(resolved)
    merged = TargetSpec(name)
    merged.merge(inherited)
    merged.merge(raw.copy())
    try:
        merged.add_overrides(sets.get(name, {}))
    except EntryError as exc:
        raise BakeFileError(str(exc)) from None
    merged.normalize()
    visited[name] = merged
    return merged


def _load_links(
    config: Config,
    name: str,
    spec: TargetSpec,
    targets: dict[str, TargetSpec],
    sets: Mapping[str, Mapping[str, Override]],
    visited: list[str],
    order: list[str],
) -> None:
    visited = [*visited, name]
    for ctx in (spec.contexts or {}).values():
        if not ctx.startswith("target:"):
            continue
        linked = ctx.removeprefix("target:")
        if linked == name:
            raise BakeFileError(f"target {linked} cannot link to itself")
        if linked in visited:
            raise BakeFileError(f"infinite loop from {name} to {linked}")
        other = targets.get(linked)
        if other is None:
            other = _resolve_target(config, linked, sets)
            other.output = [ExportEntry("cacheonly")]
            other.linked = True
            targets[linked] = other
            order.append(linked)
        _load_links(config, linked, other, targets, sets, visited, order)
        for ent in other.entitlements or []:
            if ent not in (spec.entitlements or []):
                spec.entitlements = [*(spec.entitlements or []), ent]
        mine, theirs = spec.platforms or [], other.platforms or []
        if len(mine) > 1 and len(theirs) > 1 and not all(p in theirs for p in mine):
            raise BakeFileError(
                f"target {linked} can't be used by {name} because its platforms "
                f"[{' '.join(mine)}] are not a subset of [{' '.join(theirs)}]"
            )
