"""Source maps: which lines of which source file (a Dockerfile) produced an op.

They travel in `Definition.Source` and never change op digests; the engine uses them to point
errors back at Dockerfile lines (BuildKit `client/llb/sourcemap.go`).
"""

from __future__ import annotations

from collections.abc import Sequence

from buildwright._values import valueclass
from buildwright.location import SourceRange


@valueclass
class SourceMap:
    """One source file: its name, language (e.g. "Dockerfile") and contents.

    `definition` optionally carries the serialized `pb.Definition` of the graph that loaded the
    file (the reference frontend attaches the local source that read the Dockerfile). `data`
    None marks a placeholder made from a bare `SourceRange`: marshal swaps in the map of the
    same filename given to it (or sends the name alone).
    """

    filename: str
    data: bytes | None
    language: str = "Dockerfile"
    definition: bytes | None = None

    def location(self, *ranges: SourceRange | Sequence[SourceRange]) -> SourceLocation:
        """Point at `ranges` of this file; pass the result as an op's `location`."""
        flat: list[SourceRange] = []
        for item in ranges:
            if isinstance(item, SourceRange):
                flat.append(item)
            else:
                flat.extend(item)
        return SourceLocation(self, tuple(flat))


@valueclass
class SourceLocation:
    """Ranges of one `SourceMap` an op came from."""

    source_map: SourceMap
    ranges: tuple[SourceRange, ...]


def as_locations(
    location: SourceLocation | SourceRange | Sequence[SourceLocation | SourceRange] | None,
) -> tuple[SourceLocation, ...]:
    """Normalise an op's `location` argument; bare ranges get a placeholder map by filename."""
    if location is None:
        return ()
    items = [location] if isinstance(location, (SourceLocation, SourceRange)) else list(location)
    out: list[SourceLocation] = []
    for item in items:
        if isinstance(item, SourceRange):
            out.append(SourceLocation(SourceMap(item.filename, None), (item,)))
        else:
            out.append(item)
    return tuple(out)
