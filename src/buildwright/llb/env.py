"""The environment of a state: an ordered, immutable list of KEY=value pairs.

Order is a wire fact (it is in `Meta.env`, so in the op digest): BuildKit's `EnvList` lists each
key at the position of its latest assignment, so re-setting a key moves it to the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import field

from buildwright._values import valueclass


@valueclass
class EnvList(Mapping[str, str]):
    """Environment variables in BuildKit's order; a read-only mapping iterating in that order."""

    pairs: tuple[tuple[str, str], ...] = ()
    # A lookup table beside the ordered pairs: a Dockerfile with thousands of ENV/ARG lines reads
    # the environment at every instruction, which a scan of the pairs made cubic overall.
    _index: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # The first pair of a key wins, as a scan in order would find it.
        object.__setattr__(self, "_index", dict(reversed(self.pairs)))

    def add_or_replace(self, key: str, value: str) -> EnvList:
        """Set `key`, moving it to the end."""
        if key not in self._index:
            return EnvList((*self.pairs, (key, value)))
        return EnvList((*((k, v) for k, v in self.pairs if k != key), (key, value)))

    def set_default(self, key: str, value: str) -> EnvList:
        """Set `key` only when it is not set yet."""
        if key in self._index:
            return self
        return self.add_or_replace(key, value)

    def delete(self, key: str) -> EnvList:
        """Unset `key`."""
        if key not in self._index:
            return self
        return EnvList(tuple((k, v) for k, v in self.pairs if k != key))

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The value of `key`, or `default`."""
        return self._index.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self._index[key]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def as_dict(self) -> dict[str, str]:
        """The variables as a new dict, in order (one pass, not one lookup per key)."""
        if len(self._index) == len(self.pairs):
            return dict(self.pairs)
        return {k: self._index[k] for k, _ in self.pairs}

    def to_list(self) -> list[str]:
        """`KEY=value` strings, as they go into `Meta.env`."""
        return [f"{k}={v}" for k, v in self.pairs]
