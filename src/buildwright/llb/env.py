"""The environment of a state: an ordered, immutable list of KEY=value pairs.

Order is a wire fact (it is in `Meta.env`, so in the op digest): BuildKit's `EnvList` lists each
key at the position of its latest assignment, so re-setting a key moves it to the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EnvList(Mapping[str, str]):
    """Environment variables in BuildKit's order; a read-only mapping iterating in that order."""

    pairs: tuple[tuple[str, str], ...] = ()

    def add_or_replace(self, key: str, value: str) -> EnvList:
        """Set `key`, moving it to the end."""
        return EnvList((*((k, v) for k, v in self.pairs if k != key), (key, value)))

    def set_default(self, key: str, value: str) -> EnvList:
        """Set `key` only when it is not set yet."""
        if self.get(key) is not None:
            return self
        return self.add_or_replace(key, value)

    def delete(self, key: str) -> EnvList:
        """Unset `key`."""
        return EnvList(tuple((k, v) for k, v in self.pairs if k != key))

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The value of `key`, or `default`."""
        for k, v in self.pairs:
            if k == key:
                return v
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def to_list(self) -> list[str]:
        """`KEY=value` strings, as they go into `Meta.env`."""
        return [f"{k}={v}" for k, v in self.pairs]
