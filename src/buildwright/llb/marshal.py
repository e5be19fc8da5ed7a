"""The marshal pass: walk a state's graph once, post-order, and build a `Definition`.

Mirrors BuildKit's `State.Marshal` (`client/llb/state.go`): inputs before users, each op
emitted once by digest (metadata of equal ops merged), a final typeless op pointing at the
result, and the final op's metadata listing the meta caps the graph uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from types import MappingProxyType
from typing import Any

from buildwright._pb import ops_pb2 as pb
from buildwright._values import valueclass
from buildwright.errors import LLBError
from buildwright.llb import caps as capids
from buildwright.llb.constraints import Constraints, OpMetadata
from buildwright.llb.definition import Definition
from buildwright.llb.platform import Platform, default_platform
from buildwright.llb.sourcemap import SourceLocation, SourceMap
from buildwright.llb.vertex import Marshaled, Output, Vertex, digest_of, resolve_output, serialize
from buildwright.location import SourceRange


@valueclass(frozen=False)
class _SourceMapCollector:
    known: dict[str, SourceMap] = field(default_factory=dict)
    maps: list[SourceMap] = field(default_factory=list)
    locations: dict[str, list[tuple[int, tuple[SourceRange, ...]]]] = field(default_factory=dict)

    def resolve(self, sm: SourceMap) -> SourceMap:
        if sm.data is not None:
            return sm
        return self.known.get(sm.filename) or SourceMap(sm.filename, b"")

    def add(self, dgst: str, locations: tuple[SourceLocation, ...]) -> None:
        entries = self.locations.setdefault(dgst, [])
        for loc in locations:
            sm = self.resolve(loc.source_map)
            try:
                index = self.maps.index(sm)
            except ValueError:
                index = len(self.maps)
                self.maps.append(sm)
            entries.append((index, loc.ranges))


_INVALID_UTF8 = "string field contains invalid UTF-8"


def _first_range(v: Vertex) -> SourceRange | None:
    # Ops built by the frontend carry the Dockerfile range they came from in their constraints.
    constraints = getattr(v, "constraints", None)
    if isinstance(constraints, Constraints):
        return _first_of(constraints.locations)
    return None


def _first_of(locations: Sequence[SourceLocation]) -> SourceRange | None:
    for location in locations:
        if location.ranges:
            return location.ranges[0]
    return None


@valueclass(frozen=False)
class _Pass:
    """State of one marshal call (implements `MarshalContext`)."""

    constraints: Constraints
    caps: frozenset[str] | None
    local_unique_id: str | None
    done: dict[int, Marshaled] = field(default_factory=dict)
    # Keep every marshalled vertex alive so `id()` keys stay unique for the whole pass.
    alive: list[Vertex] = field(default_factory=list)

    def vertex(self, v: Vertex) -> Marshaled:
        known = self.done.get(id(v))
        if known is None:
            try:
                known = v.marshal_cached(self, (self.constraints, self.caps, self.local_unique_id))
            except UnicodeEncodeError:
                # A string field holding bytes that are not UTF-8 (surrogate escapes), which
                # protobuf refuses, as Go's marshaller does with the same words.
                raise LLBError(_INVALID_UTF8, _first_range(v)) from None
            self.done[id(v)] = known
            self.alive.append(v)
        return known

    def to_input(self, output: Output) -> Any:
        if output.error is not None:
            raise LLBError(output.error)
        output = resolve_output(output)
        return pb.Input(digest=self.vertex(output.vertex).digest, index=output.index)


def marshal(
    output: Output | None,
    *,
    platform: Platform | None = None,
    caps: frozenset[str] | None = None,
    local_unique_id: str | None = None,
    constraints: Constraints | None = None,
    source_maps: Sequence[SourceMap] = (),
) -> Definition:
    """Marshal the graph ending at `output` (None: the empty graph of `scratch()`)."""
    if output is None:
        return Definition()
    base = constraints or Constraints()
    base = Constraints(
        platform=(platform or base.platform or default_platform()).normalized(),
        worker_constraints=base.worker_constraints,
        metadata=base.metadata,
        locations=base.locations,
    )
    state = _Pass(base, caps, local_unique_id)
    ops: list[bytes] = []
    emitted: set[str] = set()
    metadata: dict[str, OpMetadata] = {}
    smc = _SourceMapCollector({sm.filename: sm for sm in source_maps})
    visited: set[int] = set()

    # Iterative post-order walk (deep Dockerfiles would hit Python's recursion limit).
    stack: list[tuple[Vertex, bool]] = [(resolve_output(output).vertex, False)]
    while stack:
        v, expanded = stack.pop()
        if id(v) in visited:
            continue
        if not expanded:
            stack.append((v, True))
            for inp in reversed(v.inputs()):
                vertex = resolve_output(inp).vertex
                if id(vertex) not in visited:
                    stack.append((vertex, False))
            continue
        visited.add(id(v))
        m = state.vertex(v)
        metadata[m.digest] = metadata.get(m.digest, OpMetadata()).merged(m.metadata)
        smc.add(m.digest, m.locations)
        if m.digest not in emitted:
            emitted.add(m.digest)
            ops.append(m.data)

    final = serialize(pb.Op(inputs=[state.to_input(output)]))
    ops.append(final)
    final_digest = digest_of(final)
    graph_caps = {capids.CONSTRAINTS, capids.PLATFORM}
    for meta in metadata.values():
        if meta.ignore_cache:
            graph_caps.add(capids.META_IGNORE_CACHE)
        if meta.description:
            graph_caps.add(capids.META_DESCRIPTION)
        if meta.export_cache is not None:
            graph_caps.add(capids.META_EXPORT_CACHE)
    final_meta = metadata.get(final_digest, OpMetadata())
    metadata[final_digest] = OpMetadata(
        ignore_cache=final_meta.ignore_cache,
        description=final_meta.description,
        export_cache=final_meta.export_cache,
        caps=frozenset(graph_caps),
        progress_group=final_meta.progress_group,
    )
    return Definition(
        ops=tuple(ops),
        metadata=MappingProxyType(metadata),
        source_maps=tuple(smc.maps),
        # Every op gets an entry, even without locations, as in the Go collector.
        locations=MappingProxyType({k: tuple(v) for k, v in smc.locations.items()}),
        has_source=True,
    )
