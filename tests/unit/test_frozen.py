"""`_frozen.replace` gives what `dataclasses.replace` gives, and defers to it where copying would differ."""

from __future__ import annotations

import dataclasses
from dataclasses import InitVar, dataclass, field

import pytest

from buildwright._frozen import replace
from buildwright.llb.env import EnvList


@dataclass(frozen=True, slots=True)
class _Plain:
    x: int
    y: tuple[str, ...] = ()
    z: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _WithInitVar:
    x: int
    scale: InitVar[int] = 1

    def __post_init__(self, scale: int) -> None:
        object.__setattr__(self, "x", self.x * scale)


@dataclass(frozen=True, slots=True)
class _Derived:
    x: int
    double: int = field(init=False, default=0)


def test_a_plain_value_is_copied_with_the_changes() -> None:
    shared = [1]
    value = _Plain(1, ("a",), shared)
    copied = replace(value, x=2)
    assert copied == dataclasses.replace(value, x=2) == _Plain(2, ("a",), shared)
    assert copied.z is shared  # fields are the same objects, as replace passes them on
    assert value == _Plain(1, ("a",), shared)
    with pytest.raises(dataclasses.FrozenInstanceError):
        copied.x = 3  # type: ignore[misc]


def test_unknown_fields_are_refused_as_replace_refuses_them() -> None:
    with pytest.raises(TypeError):
        replace(_Plain(1), w=1)  # type: ignore[call-arg]


def test_classes_whose_init_does_more_go_to_dataclasses_replace() -> None:
    # __post_init__ recomputes derived state (EnvList's lookup table must follow its pairs).
    env = replace(EnvList((("A", "1"),)), pairs=(("B", "2"),))
    assert env.get("B") == "2" and env.get("A") is None
    assert replace(_WithInitVar(2, 3), scale=5).x == dataclasses.replace(_WithInitVar(2, 3), scale=5).x == 30
    assert replace(_Derived(1), x=4) == _Derived(4)
    with pytest.raises(TypeError):
        replace(object(), x=1)  # type: ignore[type-var]


@dataclass(frozen=True, slots=True)
class _OwnInit:
    x: int

    def __init__(self, x: int) -> None:
        object.__setattr__(self, "x", abs(x))


def test_a_dataclass_writing_its_own_init_is_copied_through_it() -> None:
    # Its parameters are its fields, but its __init__ does more than store them.
    assert replace(_OwnInit(1), x=-5).x == dataclasses.replace(_OwnInit(1), x=-5).x == 5
