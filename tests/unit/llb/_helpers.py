"""Shared helpers for llb tests: decode a Definition the way upstream's Go tests do (parseDef/last)."""

from __future__ import annotations

from typing import Any

from buildwright._pb import ops_pb2 as pb
from buildwright.llb import Definition, Platform, digest_of

AMD64 = Platform("linux", "amd64")


def parse_def(definition: Definition) -> tuple[dict[str, Any], list[Any]]:
    """Ops by digest, and the ops in order."""
    ops = [pb.Op.FromString(data) for data in definition.ops]
    by_digest = {digest_of(data): op for data, op in zip(definition.ops, ops, strict=True)}
    return by_digest, ops


def last(ops: list[Any]) -> tuple[str, int]:
    """Digest and output index the final (typeless) op points at."""
    final = ops[-1]
    assert final.WhichOneof("op") is None
    assert len(final.inputs) == 1
    return final.inputs[0].digest, final.inputs[0].index
