"""`replace` for the frozen dataclass values, without `dataclasses.replace`'s per-call overhead.

Compiling copies stage values, image configs, states and constraints at every instruction (tens
of thousands of copies on a large Dockerfile), and `dataclasses.replace` looks the fields up and
runs the generated `__init__` (one `object.__setattr__` call per field of a frozen class) on each.
For a dataclass whose `__init__` only stores its arguments (no `__post_init__`, no `init=False` or
init-only fields) the copy is made slot by slot instead, which gives the same value. Any other
class, and any call `dataclasses.replace` would refuse, goes to `dataclasses.replace` itself.

Type checkers see `dataclasses.replace`, so every call is checked against the class's fields.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import TYPE_CHECKING, Any

__all__ = ["replace"]


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The field names of `cls` when copying them is all its `__init__` does, else None."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    names = tuple(f.name for f in dataclasses.fields(cls))
    # Its __init__ must take exactly the fields: none left out (init=False), none extra (InitVar).
    parameters = list(inspect.signature(cls.__init__).parameters)[1:]
    if sorted(parameters) != sorted(names):
        return None
    return names, frozenset(names)


def _replace(obj: Any, /, **changes: Any) -> Any:
    cls: type = type(obj)
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
