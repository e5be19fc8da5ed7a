"""Targets built from other targets' results (`contexts = { base = "target:base" }`): which
targets a bake builds, and in which order.

A target's links are built before it: the targets fall into waves, each wave's targets needing
only targets of earlier waves. A link to a missing target, to itself, or in a loop is an error
before anything is built (buildx's messages: `target X cannot link to itself`, `infinite loop
from X to Y`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from buildwright.bakerun.targets import BakeTarget
from buildwright.errors import BuildConfigError


def closure(requested: Sequence[str], lookup: Callable[[str], BakeTarget | None]) -> dict[str, BakeTarget]:
    """The requested targets, then every target they link to (depth first), each once.

    Raises:
        BuildConfigError: a requested or linked target is not defined.
    """
    found: dict[str, BakeTarget] = {}
    pending: list[tuple[str, str | None]] = [(name, None) for name in reversed(requested)]
    while pending:
        name, user = pending.pop()
        if name in found:
            continue
        target = lookup(name)
        if target is None:
            if user is None:
                raise BuildConfigError(f"bake: no target named {name!r}")
            raise BuildConfigError(f"bake target {user!r}: contexts: target:{name} names no target")
        found[name] = target
        pending.extend((linked, name) for linked in reversed(list(target.links.values())))
    return found


def waves(names: Sequence[str], targets: Mapping[str, BakeTarget]) -> tuple[tuple[str, ...], ...]:
    """`names` in build order: each wave needs only targets of the waves before it.

    Raises:
        BuildConfigError: a loop of links.
    """
    level: dict[str, int] = {}
    for start in names:
        # An explicit stack (path, next link index), so a long chain needs no recursion.
        path: list[str] = [start]
        index = [0]
        while path:
            name = path[-1]
            if name in level:
                path.pop()
                index.pop()
                continue
            links = list(targets[name].links.values())
            if index[-1] < len(links):
                linked = links[index[-1]]
                index[-1] += 1
                if linked in path:
                    raise BuildConfigError(f"bake: infinite loop from {name} to {linked}")
                if linked not in level:
                    path.append(linked)
                    index.append(0)
                continue
            level[name] = 1 + max((level[t] for t in links), default=-1)
            path.pop()
            index.pop()
    depth = max(level.values(), default=-1) + 1
    return tuple(tuple(n for n in names if level[n] == d) for d in range(depth))


def linked_targets(names: Sequence[str], targets: Mapping[str, BakeTarget]) -> frozenset[str]:
    """The targets among `names` whose result another one uses as a context."""
    return frozenset(t for n in names for t in targets[n].links.values())
