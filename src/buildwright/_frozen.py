"""`replace` for the frozen dataclass values, without `dataclasses.replace`'s per-call overhead.

Compiling copies stage values, image configs, states and constraints at every instruction (tens
of thousands of copies on a large Dockerfile), and `dataclasses.replace` looks the fields up and
runs the generated `__init__` (one `object.__setattr__` call per field of a frozen class) on each.
For a dataclass whose `__init__` only stores its arguments (no `__post_init__`, no `init=False` or
init-only fields) the copy is made slot by slot instead, which gives the same value: by the copy
method `_values.valueclass` made for the class (unrolled, about twice as fast), or for any other
such dataclass by a loop over its fields. Any other class, and any call `dataclasses.replace`
would refuse, goes to `dataclasses.replace` itself.

Type checkers see `dataclasses.replace`, so every call is checked against the class's fields.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from buildwright._values import copier

__all__ = ["replace"]


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The field names of `cls` when copying them is all its `__init__` does, else None."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    # An __init__ the class wrote may do more than store its arguments; dataclasses compiles the
    # ones it writes from text, so their code has no file.
    if getattr(getattr(cls.__init__, "__code__", None), "co_filename", None) != "<string>":
        return None
    names = tuple(f.name for f in dataclasses.fields(cls))
    # Its __init__ must take exactly the fields: none left out (init=False), none extra (InitVar).
    parameters = list(inspect.signature(cls.__init__).parameters)[1:]
    if sorted(parameters) != sorted(names):
        return None
    return names, frozenset(names)


_copier: Callable[[type], Callable[..., Any] | None] = functools.cache(copier)


def _replace(obj: Any, /, **changes: Any) -> Any:
    cls: type = type(obj)
    copy = _copier(cls)
    if copy is not None:
        try:
            return copy(obj, **changes)
        except TypeError:
            pass  # a name that is no field (the copy runs nothing else): replace raises its own error
    known = _fields(cls)
    if known is None or not known[1].issuperset(changes):
        return dataclasses.replace(obj, **changes)
    names, _ = known
    new: Any = object.__new__(cls)
    store = object.__setattr__  # frozen classes refuse plain assignment, as their __init__ does too
    for name in names:
        store(new, name, changes[name] if name in changes else getattr(obj, name))
    return new


if TYPE_CHECKING:
    from dataclasses import replace
else:
    replace = _replace
