"""Reading corpus cases: a folder with a Dockerfile, its context files and a `case.toml` describing how to
build it and what to expect. Loading never raises for one bad case, so a typo in one folder shows up as
that case's failure instead of breaking the collection of the whole corpus."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

CORPUS_DIR: Final = Path(__file__).resolve().parent
CASES_DIR: Final = CORPUS_DIR / "cases"
CASE_FILE: Final = "case.toml"

SERVER_KINDS: Final = frozenset({"http", "git"})

_TOP_KEYS: Final = frozenset(
    {
        "summary",
        "target",
        "dockerfile",
        "build_args",
        "build_contexts",
        "labels",
        "platform",
        "servers",
        "xfail",
        "expect",
    }
)
_EXPECT_KEYS: Final = frozenset({"fails", "error", "line", "cache", "why"})
# Lower-case words joined by dashes: the folder name becomes part of an image tag.
_NAME: Final = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Expectation:
    """What a case expects: a successful build (the default) or a failure naming a Dockerfile line."""

    fails: bool = False
    error: str = ""
    line: int = 0  # 0: an error about no line (bad options); then buildx must name none either
    cache: bool = True
    why: str = ""


@dataclass(frozen=True, slots=True)
class Case:
    """One corpus case. `problem` is set (and nothing else is trusted) when case.toml is invalid."""

    name: str
    folder: Path
    summary: str = ""
    target: str | None = None
    dockerfile: str | None = None
    build_args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    build_contexts: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    platform: str | None = None
    servers: tuple[str, ...] = ()
    xfail: str | None = None
    expect: Expectation = Expectation()
    problem: str | None = None

    @property
    def dockerfile_path(self) -> Path:
        return self.folder / (self.dockerfile or "Dockerfile")

    @property
    def counts_for_cache(self) -> bool:
        """Whether the shared-cache figure includes this case."""
        return not self.expect.fails and self.expect.cache


def load_cases(cases_dir: Path = CASES_DIR) -> list[Case]:
    """Every case folder, sorted by name; folders holding nothing at all (being created) are left out."""
    if not cases_dir.is_dir():
        return []
    folders = sorted(path for path in cases_dir.iterdir() if path.is_dir() and any(path.iterdir()))
    return [load_case(folder) for folder in folders]


def load_case(folder: Path) -> Case:
    """Reads `folder/case.toml`; any problem is reported in `Case.problem` rather than raised."""
    name = folder.name
    if not _NAME.match(name):
        return Case(name, folder, problem=f"folder name {name!r} must be lower-case words joined by '-'")
    toml_path = folder / CASE_FILE
    try:
        with toml_path.open("rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError:
        return Case(name, folder, problem=f"{toml_path} is missing")
    except tomllib.TOMLDecodeError as exc:
        return Case(name, folder, problem=f"{toml_path}: {exc}")
    try:
        return _case(name, folder, data)
    except _InvalidCase as exc:
        return Case(name, folder, problem=f"{toml_path}: {exc}")


class _InvalidCase(Exception):
    pass


def _case(name: str, folder: Path, data: Mapping[str, Any]) -> Case:
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _InvalidCase(f"unknown keys {unknown} (known: {sorted(_TOP_KEYS)})")
    summary = _text(data, "summary", required=True)
    expect = _expectation(data.get("expect", {}))
    dockerfile = _text(data, "dockerfile") or None
    case = Case(
        name=name,
        folder=folder,
        summary=summary,
        target=_text(data, "target") or None,
        dockerfile=dockerfile,
        build_args=_strings(data, "build_args"),
        build_contexts=_strings(data, "build_contexts"),
        labels=_strings(data, "labels"),
        platform=_text(data, "platform") or None,
        servers=_servers(data),
        xfail=_text(data, "xfail") or None,
        expect=expect,
    )
    if not case.dockerfile_path.is_file():
        raise _InvalidCase(f"the Dockerfile {case.dockerfile_path.name} is missing")
    return case


def _expectation(raw: Any) -> Expectation:
    if not isinstance(raw, Mapping):
        raise _InvalidCase("[expect] must be a table")
    unknown = sorted(set(raw) - _EXPECT_KEYS)
    if unknown:
        raise _InvalidCase(f"unknown [expect] keys {unknown} (known: {sorted(_EXPECT_KEYS)})")
    fails = raw.get("fails", False)
    cache = raw.get("cache", True)
    line = raw.get("line", 0)
    if not isinstance(fails, bool) or not isinstance(cache, bool):
        raise _InvalidCase("[expect] fails and cache must be booleans")
    if not isinstance(line, int) or isinstance(line, bool) or line < 0:
        raise _InvalidCase("[expect] line must be a positive integer")
    error = _text(raw, "error")
    why = _text(raw, "why")
    if fails and not error:
        raise _InvalidCase("a failing case needs [expect] error (a substring of buildwright's error)")
    if not fails and (error or line):
        raise _InvalidCase("[expect] error and line only make sense with fails = true")
    if not cache and not why:
        raise _InvalidCase("cache = false needs a why")
    return Expectation(fails=fails, error=error, line=line, cache=cache, why=why)


def _text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise _InvalidCase(f"{key} must be a string")
    if required and not value.strip():
        raise _InvalidCase(f"{key} is required")
    return value


def _strings(data: Mapping[str, Any], key: str) -> Mapping[str, str]:
    value = data.get(key, {})
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise _InvalidCase(f"{key} must be a table of strings")
    return MappingProxyType(dict(value))


def _servers(data: Mapping[str, Any]) -> tuple[str, ...]:
    value = data.get("servers", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _InvalidCase("servers must be a list of strings")
    unknown = sorted(set(value) - SERVER_KINDS)
    if unknown:
        raise _InvalidCase(f"unknown servers {unknown} (known: {sorted(SERVER_KINDS)})")
    return tuple(sorted(set(value)))
