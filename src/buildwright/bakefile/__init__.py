"""Bake files read as `docker buildx bake` (v0.29.1) reads them, without an engine.

`read_bake(files, targets, overrides=..., cwd=..., env=...)` finds the files (buildx's default names
when none are given), reads HCL, JSON and compose files, evaluates variables, functions, matrices and
inheritance, applies `--set` overrides, and returns a `BakeDefinition`: the groups and targets
`docker buildx bake --print` shows (`print_json()` is that output, byte for byte) and the targets to
build. `list_targets` and `list_variables` are the text of `--list targets` / `--list variables`.
Every problem in a file is a `BakeFileError` naming the file, line and column.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from buildwright._golang import go_json
from buildwright.bakefile.errors import BakeFileError
from buildwright.bakefile.files import BakeFile, find_files, load_files
from buildwright.bakefile.listing import format_targets, format_variables
from buildwright.bakefile.program import VariableInfo
from buildwright.bakefile.resolve import Config, resolve
from buildwright.bakefile.target import TargetSpec


@dataclass(frozen=True)
class BakeDefinition:
    """The resolved bake definition: what `--print` shows and what to build."""

    # Group name -> its targets, as --print shows them (`None` where buildx prints null).
    groups: Mapping[str, tuple[str, ...]]
    # Target name -> the target object exactly as `buildx bake --print` prints it.
    targets: Mapping[str, Mapping[str, Any]]
    # The target names to build, groups expanded, in buildx's order (linked `target:` contexts last).
    requested: tuple[str, ...]
    # Group name -> its description ("" when none), for --print.
    group_descriptions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Groups whose target list is unset (buildx prints `"targets": null` for them).
    null_groups: frozenset[str] = frozenset()

    def print_json(self) -> str:
        """Byte-identical to `docker buildx bake --print` stdout (trailing newline included)."""
        groups: dict[str, Any] = {}
        for name in sorted(self.groups):
            entry: dict[str, Any] = {}
            if self.group_descriptions.get(name):
                entry["description"] = self.group_descriptions[name]
            entry["targets"] = None if name in self.null_groups else list(self.groups[name])
            groups[name] = entry
        data: dict[str, Any] = {}
        if groups:
            data["group"] = groups
        data["target"] = {name: _plain(self.targets[name]) for name in sorted(self.targets)}
        return go_json(data, indent=2) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def local_platform() -> str:
    """`BAKE_LOCAL_PLATFORM`: this machine's platform as containerd formats it."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if arch is None and machine.startswith("armv7"):
        return "linux/arm/v7"
    if arch is None and machine.startswith("armv6"):
        return "linux/arm/v6"
    return f"linux/{arch or machine}"


def _builtins() -> dict[str, str]:
    return {"BAKE_CMD_CONTEXT": "cwd://", "BAKE_LOCAL_PLATFORM": local_platform()}


def _config(
    files: Sequence[str], cwd: Path, env: Mapping[str, str], stdin: bytes | None = None
) -> tuple[Config, tuple[VariableInfo, ...]]:
    found: list[BakeFile] = find_files(files, cwd, env, stdin)
    try:
        return load_files(found, env=env, builtins=_builtins(), cwd=cwd)
    except RecursionError:
        # Parsing and evaluation recurse with the nesting of the file's expressions; Go's growing
        # stacks read any depth, Python's do not.
        names = ", ".join(f.name for f in found)
        raise BakeFileError(f"{names}: expressions are nested too deeply to evaluate") from None


def read_bake(
    files: Sequence[str],
    targets: Sequence[str],
    *,
    overrides: Sequence[str] = (),
    cwd: Path,
    env: Mapping[str, str],
    stdin: bytes | None = None,
) -> BakeDefinition:
    """Read the bake files and resolve the targets asked for (`[]` is the `default` group); a file
    named `-` is read from `stdin` (the bytes of standard input, which the caller reads)."""
    config, _ = _config(files, cwd, env, stdin)
    resolved = resolve(config, list(targets) or ["default"], overrides, env)
    epoch = env.get("SOURCE_DATE_EPOCH", "")
    out: dict[str, Mapping[str, Any]] = {}
    for name, spec in resolved.targets.items():
        _finish(spec, epoch, cwd)
        out[name] = _frozen(spec.to_json())
    groups = {name: members or () for name, (_, members) in resolved.groups.items()}
    descriptions = {name: description for name, (description, _) in resolved.groups.items()}
    nulls = frozenset(name for name, (_, members) in resolved.groups.items() if members is None)
    return BakeDefinition(
        MappingProxyType(groups), MappingProxyType(out), resolved.order, MappingProxyType(descriptions), nulls
    )


def _finish(spec: TargetSpec, epoch: str, cwd: Path) -> None:
    # What `buildx bake` does after resolving: SOURCE_DATE_EPOCH from the environment becomes a build
    # argument of every target that does not set it, the context path is cleaned, and a secret read
    # from a file needs that file.
    if epoch and "SOURCE_DATE_EPOCH" not in (spec.args or {}):
        spec.args = {**(spec.args or {}), "SOURCE_DATE_EPOCH": epoch}
    if spec.context == "-":
        raise BakeFileError("context from stdin not allowed in bake")
    if spec.dockerfile == "-":
        raise BakeFileError("dockerfile from stdin not allowed in bake")
    spec.finish_for_print()
    for secret in spec.secret or []:
        if secret.src and not (cwd / secret.src).exists():
            raise BakeFileError(f"failed to stat {secret.src}: stat {secret.src}: no such file or directory")


def list_targets(
    files: Sequence[str], *, cwd: Path, env: Mapping[str, str], format: str = "table", stdin: bytes | None = None
) -> str:
    """What `docker buildx bake --list targets` (or `type=targets,format=json`) prints."""
    config, _ = _config(files, cwd, env, stdin)
    return format_targets(config, format)


def list_variables(
    files: Sequence[str], *, cwd: Path, env: Mapping[str, str], format: str = "table", stdin: bytes | None = None
) -> str:
    """What `docker buildx bake --list variables` (or `type=variables,format=json`) prints."""
    _, variables = _config(files, cwd, env, stdin)
    return format_variables(variables, format)


__all__ = ["BakeDefinition", "BakeFileError", "list_targets", "list_variables", "local_platform", "read_bake"]
