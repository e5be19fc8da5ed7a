"""The marshalled graph: serialized ops, per-op metadata and the source map.

This is what goes to the engine as `pb.Definition`; `to_json` is a readable dump of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType
from typing import Any

from buildwright._pb import ops_pb2 as pb
from buildwright._values import valueclass
from buildwright.llb.constraints import OpMetadata
from buildwright.llb.pbjson import IndentedJson
from buildwright.llb.sourcemap import SourceMap
from buildwright.llb.vertex import digest_of
from buildwright.location import SourceRange

_EMPTY_META: Mapping[str, OpMetadata] = MappingProxyType({})
_EMPTY_LOCS: Mapping[str, tuple[tuple[int, tuple[SourceRange, ...]], ...]] = MappingProxyType({})


def _range_to_pb(r: SourceRange) -> Any:
    return pb.Range(
        start=pb.Position(line=r.start_line, character=r.start_column),
        end=pb.Position(line=r.end_line, character=r.end_column),
    )


@valueclass
class Definition:
    """An LLB graph ready to solve.

    Attributes:
        ops: serialized `pb.Op`s, inputs before the ops that use them; the last one has no
            type and points at the result.
        metadata: op metadata by op digest.
        source_maps: the source files locations refer to.
        locations: per op digest, (index into `source_maps`, ranges) entries.
        has_source: whether a source map section is sent (the Go client always sends one
            once the graph has an op).
    """

    ops: tuple[bytes, ...] = ()
    metadata: Mapping[str, OpMetadata] = field(default_factory=lambda: _EMPTY_META)
    source_maps: tuple[SourceMap, ...] = ()
    locations: Mapping[str, tuple[tuple[int, tuple[SourceRange, ...]], ...]] = field(
        default_factory=lambda: _EMPTY_LOCS
    )
    has_source: bool = False

    @property
    def digests(self) -> tuple[str, ...]:
        """`sha256:` digest of each op, in `ops` order."""
        return tuple(digest_of(op) for op in self.ops)

    @property
    def head(self) -> str | None:
        """Digest of the result op (what the final, typeless op points at), or None when empty."""
        if not self.ops:
            return None
        last = pb.Op.FromString(self.ops[-1])
        if not last.inputs:
            return None
        digest: str = last.inputs[0].digest
        return digest

    def source_to_pb(self) -> Any:
        """The `pb.Source` section."""
        src = pb.Source()
        for sm in self.source_maps:
            info = pb.SourceInfo(filename=sm.filename, data=sm.data or b"", language=sm.language)
            if sm.definition is not None:
                info.definition.ParseFromString(sm.definition)
            src.infos.append(info)
        for dgst, entries in self.locations.items():
            locs = src.locations[dgst]
            for index, ranges in entries:
                locs.locations.append(pb.Location(sourceIndex=index, ranges=[_range_to_pb(r) for r in ranges]))
        return src

    def to_pb(self) -> Any:
        """The `pb.Definition` message to send to the engine."""
        msg = pb.Definition()
        getattr(msg, "def").extend(self.ops)  # `def` is a Python keyword
        for dgst in sorted(self.metadata):
            msg.metadata[dgst].CopyFrom(self.metadata[dgst].to_pb())
        if self.has_source:
            msg.Source.CopyFrom(self.source_to_pb())
        return msg

    def to_bytes(self) -> bytes:
        """Deterministic bytes of `to_pb()`."""
        data: bytes = self.to_pb().SerializeToString(deterministic=True)
        return data

    def to_json(self) -> str:
        """A readable dump: every op decoded with its digest and metadata, and the result digest."""
        # The messages are written as `MessageToDict` gives them, without making the dicts.
        ops: list[dict[str, Any]] = []
        for data in self.ops:
            dgst = digest_of(data)
            entry: dict[str, Any] = {"digest": dgst, "op": pb.Op.FromString(data)}
            meta = self.metadata.get(dgst)
            if meta is not None:
                entry["metadata"] = meta.to_pb()
            ops.append(entry)
        doc: dict[str, Any] = {"result": self.head, "ops": ops}
        if self.has_source:
            doc["source"] = self.source_to_pb()
        return IndentedJson().dumps(doc)
