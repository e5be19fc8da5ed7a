"""Merge and diff ops: layer-wise union of states, and the changes between two states.

Both are platform independent (no `Op.platform`), as in BuildKit's `client/llb/merge.go`/`diff.go`.
"""

from __future__ import annotations

from buildwright._pb import ops_pb2 as pb
from buildwright._values import valueclass
from buildwright.errors import LLBError
from buildwright.llb.constraints import Constraints
from buildwright.llb.vertex import MarshalContext, Marshaled, Output, Vertex, finish, marshal_constraints

EMPTY_INPUT = -1


@valueclass(eq=False)
class MergeOp(Vertex):
    """Stack `sources` (at least two) in order."""

    sources: tuple[Output, ...]
    constraints: Constraints

    def output(self) -> Output:
        """The merged filesystem."""
        return Output(self, 0)

    def inputs(self) -> tuple[Output, ...]:
        return self.sources

    def marshal(self, ctx: MarshalContext) -> Marshaled:
        if len(self.sources) < 2:
            raise LLBError("merge must have at least 2 inputs")
        op, metadata = marshal_constraints(ctx, self.constraints)
        op.ClearField("platform")
        merge = op.merge
        merge.SetInParent()
        # Every source is its own input, even a repeated one (no de-duplication upstream).
        for source in self.sources:
            merge.inputs.append(pb.MergeInput(input=len(op.inputs)))
            op.inputs.append(ctx.to_input(source))
        return finish(op, metadata, self.constraints.locations)


@valueclass(eq=False)
class DiffOp(Vertex):
    """What changed from `lower` to `upper` (None: empty)."""

    lower: Output | None
    upper: Output | None
    constraints: Constraints

    def output(self) -> Output:
        """The difference as a filesystem."""
        return Output(self, 0)

    def inputs(self) -> tuple[Output, ...]:
        return tuple(o for o in (self.lower, self.upper) if o is not None)

    def marshal(self, ctx: MarshalContext) -> Marshaled:
        op, metadata = marshal_constraints(ctx, self.constraints)
        op.ClearField("platform")
        diff = op.diff
        if self.lower is None:
            diff.lower.input = EMPTY_INPUT
        else:
            diff.lower.input = len(op.inputs)
            op.inputs.append(ctx.to_input(self.lower))
        if self.upper is None:
            diff.upper.input = EMPTY_INPUT
        else:
            diff.upper.input = len(op.inputs)
            op.inputs.append(ctx.to_input(self.upper))
        return finish(op, metadata, self.constraints.locations)
