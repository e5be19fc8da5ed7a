"""Builder flags (`--name=value` words before an instruction's arguments), validated per instruction.

Each instruction declares its flags (bool, string, or repeatable strings); `parse_flags` then
checks the words with the reference's rules and messages: unknown flag (with suggestion),
duplicate, missing value, boolean values, and a bare `--` ending the flags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum

from buildwright import _golang
from buildwright._values import valueclass


class FlagKind(Enum):
    """How a flag takes values."""

    BOOL = "bool"
    STRING = "string"
    STRINGS = "strings"


class FlagError(ValueError):
    """Invalid builder flags; the message is the reference's."""


@valueclass
class FlagValues:
    """Parsed flag values: `values[name]` for bool/string flags, `lists[name]` for repeatable ones."""

    values: Mapping[str, str]
    lists: Mapping[str, tuple[str, ...]]
    used: frozenset[str]

    def string(self, name: str) -> str:
        """A string flag's value (its default when unused)."""
        return self.values[name]

    def boolean(self, name: str) -> bool:
        """A bool flag's value."""
        return self.values[name] == "true"

    def optional_bool(self, name: str) -> bool | None:
        """A bool flag's value, or None when the flag was not given."""
        return self.boolean(name) if name in self.used else None

    def strings(self, name: str) -> tuple[str, ...]:
        """All values of a repeatable flag, in order."""
        return self.lists.get(name, ())


def parse_flags(words: Sequence[str], spec: Mapping[str, tuple[FlagKind, str]]) -> FlagValues:
    """Check `words` against `spec` (name -> (kind, default)); raises FlagError."""
    values = {name: default for name, (kind, default) in spec.items() if kind is not FlagKind.STRINGS}
    lists: dict[str, list[str]] = {}
    used: set[str] = set()
    for word in words:
        if word == "--":
            break
        if not word.startswith("--"):
            raise FlagError(f"arg should start with -- : {word}")
        flag_name, has_value, value = word.partition("=")
        name = flag_name[2:]
        if name not in spec:
            raise FlagError(
                _golang.with_suggestion(f"unknown flag: {flag_name}", name, spec.keys(), case_sensitive=True)
            )
        kind = spec[name][0]
        if name in used and kind is not FlagKind.STRINGS:
            raise FlagError(f"duplicate flag specified: {flag_name}")
        used.add(name)
        if kind is FlagKind.BOOL:
            if has_value and value == "":
                raise FlagError(f"missing a value on flag: {flag_name}")
            lowered = value.lower()
            if lowered in ("true", ""):
                values[name] = "true"
            elif lowered == "false":
                values[name] = "false"
            else:
                raise FlagError(f"expecting boolean value for flag {flag_name}, not: {value}")
        elif not has_value:
            raise FlagError(f"missing a value on flag: {flag_name}")
        elif kind is FlagKind.STRING:
            values[name] = value
        else:
            lists.setdefault(name, []).append(value)
    return FlagValues(values, {k: tuple(v) for k, v in lists.items()}, frozenset(used))
