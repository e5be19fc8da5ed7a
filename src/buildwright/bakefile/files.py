"""Which bake files are read, and in which order, and how each is read.

With no `-f`, buildx reads every file of its default list that exists in the working directory, in
that order: the compose names, then `docker-bake.json`, `docker-bake.hcl` and their `.override`
twins; `BUILDX_BAKE_FILE` (paths separated by `BUILDX_BAKE_PATH_SEPARATOR`, default `:`) stands in for
`-f`. A file is compose when it ends in `.yml`/`.yaml`, HCL when `.hcl`, JSON when `.json`; any other
name is tried as compose, then HCL, then JSON. Compose files are merged first, then the HCL and JSON
files are evaluated together, their targets merged into the compose ones by name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from buildwright._values import valueclass
from buildwright.bakefile.compose import ComposeError, is_compose, read_compose
from buildwright.bakefile.decode import GroupSpec
from buildwright.bakefile.errors import BakeFileError
from buildwright.bakefile.functions import stdlib
from buildwright.bakefile.hclsyntax import parse_file, parse_template
from buildwright.bakefile.jsonsyntax import parse_json_file
from buildwright.bakefile.program import VariableInfo, read_program
from buildwright.bakefile.resolve import Config
from buildwright.bakefile.syntax import Body

DEFAULT_FILENAMES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
    "docker-bake.json",
    "docker-bake.hcl",
    "docker-bake.override.json",
    "docker-bake.override.hcl",
)


@valueclass
class BakeFile:
    """One file to read: its name as given (errors name it so) and its text."""

    name: str
    text: str


def find_files(names: Sequence[str], cwd: Path, env: Mapping[str, str], stdin: bytes | None = None) -> list[BakeFile]:
    """The files `-f NAME...` (or the default discovery in `cwd`) name, read; `-` is `stdin`."""
    explicit = list(names)
    if not explicit and "BUILDX_BAKE_FILE" in env:
        separator = env.get("BUILDX_BAKE_PATH_SEPARATOR") or os.pathsep
        explicit = [p.strip() for p in env["BUILDX_BAKE_FILE"].split(separator) if p.strip()]
        for name in explicit:
            if not (cwd / name).exists():
                raise BakeFileError(f"stat {name}: no such file or directory")
    found: list[BakeFile] = []
    for name in explicit or DEFAULT_FILENAMES:
        name = name.removeprefix("cwd://")
        path = cwd / name
        if name == "-":
            if stdin is None:
                raise BakeFileError("-f -: no standard input was given to read the bake file from")
            found.append(BakeFile(name, stdin.decode("utf-8", "replace")))
            continue
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            if explicit:
                raise BakeFileError(f"open {name}: no such file or directory") from None
            continue
        except OSError as exc:
            raise BakeFileError(f"open {name}: {exc.strerror or exc}") from None
        found.append(BakeFile(name, data.decode("utf-8", "replace")))
    if not found:
        raise BakeFileError("couldn't find a bake definition")
    return found


def load_files(
    files: Sequence[BakeFile], *, env: Mapping[str, str], builtins: Mapping[str, str], cwd: Path | None = None
) -> tuple[Config, tuple[VariableInfo, ...]]:
    """Read the files into one Config (and the variables the HCL/JSON files declare)."""
    compose: list[BakeFile] = []
    bodies: list[Body] = []
    for bake_file in files:
        lower = bake_file.name.lower()
        if lower.endswith((".yml", ".yaml")):
            compose.append(bake_file)
        elif lower.endswith(".json"):
            bodies.append(parse_json_file(bake_file.text, bake_file.name, parse_template))
        elif lower.endswith(".hcl"):
            bodies.append(parse_file(bake_file.text, bake_file.name))
        elif is_compose(bake_file.text, env):
            compose.append(bake_file)
        else:
            bodies.append(_hcl_or_json(bake_file))
    config = Config()
    if compose:
        try:
            read_compose([(f.name, f.text) for f in compose], env, config, cwd=cwd)
        except ComposeError as exc:
            raise BakeFileError(f"failed to parse compose file: {exc}") from None
    variables: tuple[VariableInfo, ...] = ()
    if bodies:
        program = read_program(bodies, config, env=env, builtins=builtins, stdlib=stdlib())
        for kind in ("group", "target"):
            for old, new in program.renamed.get(kind, {}).items():
                unique = tuple(dict.fromkeys(new))
                if len(unique) == 1 and unique[0] == old:
                    continue
                config.groups.append(GroupSpec(old, "", unique))
        variables = program.variables
    # A group lists each member once (the first time it is named).
    config.groups = [
        GroupSpec(g.name, g.description, None if g.targets is None else tuple(dict.fromkeys(g.targets)))
        for g in config.groups
    ]
    return config, variables


def _hcl_or_json(bake_file: BakeFile) -> Body:
    try:
        return parse_file(bake_file.text, bake_file.name + ".hcl")
    except BakeFileError as hcl_error:
        try:
            return parse_json_file(bake_file.text, bake_file.name + ".json", parse_template)
        except BakeFileError:
            raise hcl_error from None
