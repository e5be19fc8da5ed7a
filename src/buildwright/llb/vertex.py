"""The graph's building blocks: vertices (ops), their outputs, and what marshalling gives them.

Vertices compare by identity, like the Go client's op pointers: two separately built but
identical ops are still one op on the wire because they marshal to the same bytes (and digest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, Protocol

from buildwright._frozen import replace
from buildwright._pb import ops_pb2 as pb
from buildwright._values import valueclass
from buildwright.errors import LLBError
from buildwright.llb.constraints import Constraints, OpMetadata
from buildwright.llb.platform import Platform
from buildwright.llb.sourcemap import SourceLocation


def digest_of(data: bytes) -> str:
    """The content digest BuildKit uses to name an op: `sha256:<hex>` of its bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def serialize(message: Any) -> bytes:
    """Deterministic protobuf bytes (sorted map keys, fields by number, as Go's deterministic marshal)."""
    data: bytes = message.SerializeToString(deterministic=True)
    return data


@valueclass
class Marshaled:
    """One op marshalled: its bytes and digest, its metadata and source locations."""

    data: bytes
    digest: str
    metadata: OpMetadata
    locations: tuple[SourceLocation, ...]


class MarshalContext(Protocol):
    """What an op needs from the marshal pass it is part of."""

    @property
    def constraints(self) -> Constraints:
        """The marshal call's own constraints; its `platform` is always set."""
        ...

    @property
    def caps(self) -> frozenset[str] | None:
        """LLB caps the engine supports, or None when unknown."""
        ...

    @property
    def local_unique_id(self) -> str | None:
        """Fallback `local.unique` for local sources without a session."""
        ...

    def to_input(self, output: Output) -> Any:
        """The `pb.Input` edge pointing at `output`."""
        ...


class Vertex:
    """An op of the graph. Subclasses are frozen dataclasses with `eq=False` (identity semantics).

    An op is immutable, so its marshalled form under one marshal context (platform, caps, ...)
    never changes: the last one is kept on the op (`marshal_cached`), and marshalling a graph
    again, or a graph sharing ops with one marshalled before, serializes each op once.
    """

    __slots__ = ("_marshaled",)

    def marshal_cached(self, ctx: MarshalContext, key: tuple[object, ...]) -> Marshaled:
        """`marshal(ctx)`, reusing the result of an earlier call with an equal `key`."""
        known: tuple[tuple[object, ...], Marshaled] | None = getattr(self, "_marshaled", None)
        if known is not None and known[0] == key:
            return known[1]
        result = self.marshal(ctx)
        # Frozen subclasses refuse attribute writes; the cache is not part of the op's value.
        object.__setattr__(self, "_marshaled", (key, result))
        return result

    def inputs(self) -> tuple[Output, ...]:
        """Outputs this op reads, in the order the Go client walks them."""
        raise NotImplementedError

    def marshal(self, ctx: MarshalContext) -> Marshaled:
        """Serialize this op (inputs already marshalled through `ctx`)."""
        raise NotImplementedError


@valueclass
class Output:
    """Output `index` of `vertex`. `error` marks an output that cannot be used as an input."""

    vertex: Vertex
    index: int = 0
    platform: Platform | None = None
    error: str | None = None


class LateVertex(Vertex):
    """A stand-in for an output that is decided after the ops reading it are made.

    The build context is one: dispatch learns which of its paths the build reads, so its source
    op can only be made after every stage using it (the reference fills a mutable output in
    the same way). It is bound once; marshalling reads through it to the bound output, so the
    graph marshals exactly as if that output had been used from the start.
    """

    __slots__ = ("_bound",)

    def __init__(self) -> None:
        self._bound: Output | None = None

    def bind(self, output: Output) -> None:
        if self._bound is not None:
            raise LLBError("a late output is bound only once")
        self._bound = output

    def bound(self) -> Output:
        if self._bound is None:
            raise LLBError("marshalling a graph whose late output was never bound")
        return self._bound

    def inputs(self) -> tuple[Output, ...]:
        return self.bound().vertex.inputs()

    def marshal(self, ctx: MarshalContext) -> Marshaled:
        return self.bound().vertex.marshal(ctx)


def resolve_output(output: Output) -> Output:
    """`output`, or what the late vertex it names was bound to."""
    while isinstance(output.vertex, LateVertex):
        output = output.vertex.bound()
    return output


def marshal_constraints(ctx: MarshalContext, own: Constraints, caps: Iterable[str] = ()) -> tuple[Any, OpMetadata]:
    """Start a `pb.Op` with platform and worker constraints, and the op's merged metadata.

    The op's platform wins over the marshal call's; worker filters and metadata are combined
    (BuildKit `MarshalConstraints`). Ops that are not platform specific clear `platform` after.
    `caps` are more the op needs, recorded in the merged metadata (no copy of `own` with them).
    """
    base = ctx.constraints
    platform = own.platform if own.platform is not None else base.platform
    if platform is None:  # pragma: no cover - the marshal pass always sets one
        raise LLBError("marshal needs a platform")
    op = pb.Op()
    op.platform.CopyFrom(
        pb.Platform(
            OS=platform.os,
            Architecture=platform.architecture,
            Variant=platform.variant,
            OSVersion=platform.os_version,
        )
    )
    op.constraints.SetInParent()
    op.constraints.filter.extend([*base.worker_constraints, *own.worker_constraints])
    return op, base.metadata.merged(own.metadata, caps)


def finish(op: Any, metadata: OpMetadata, locations: tuple[SourceLocation, ...]) -> Marshaled:
    """Serialize `op` and wrap it with its digest."""
    data = serialize(op)
    return Marshaled(data, digest_of(data), metadata, locations)


def with_caps(constraints: Constraints, *caps: str) -> Constraints:
    """`constraints` also recording `caps`."""
    return replace(constraints, metadata=constraints.metadata.with_caps(*caps))
