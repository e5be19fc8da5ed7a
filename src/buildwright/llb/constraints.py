"""Per-op constraints: target platform, worker filters and the op's metadata.

Metadata (`OpMetadata`: ignore-cache, description, export-cache, caps, progress group) never
enters an op's bytes, so it can differ between two builds that share cache. The merge rules
follow BuildKit's `client/llb/state.go` (`mergeMetadata`, `MarshalConstraints`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from types import MappingProxyType
from typing import Any, TypeAlias, TypedDict

from buildwright._frozen import replace
from buildwright._pb import ops_pb2 as pb
from buildwright._values import valueclass
from buildwright.llb.platform import Platform
from buildwright.llb.sourcemap import SourceLocation, as_locations
from buildwright.location import SourceRange

CUSTOM_NAME_KEY = "llb.customname"

_EMPTY: Mapping[str, str] = MappingProxyType({})


@valueclass
class ProgressGroup:
    """Groups vertexes under one progress line (`weak` groups may be split by the UI)."""

    id: str
    name: str
    weak: bool = False


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_utf8(text: str) -> str:
    # A step's text may hold bytes that are not UTF-8 (as surrogate escapes). The reference sends
    # them as they are in descriptions, which protobuf here cannot; U+FFFD, as they are shown,
    # keeps the digests (descriptions are not part of them) and the display the same.
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


@valueclass
class OpMetadata:
    """Metadata of one op, keyed by its digest in a `Definition`.

    `export_cache` is tri-state as on the wire: None (build default), True or False.
    """

    ignore_cache: bool = False
    description: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    export_cache: bool | None = None
    caps: frozenset[str] = frozenset()
    progress_group: ProgressGroup | None = None

    def merged(self, other: OpMetadata, caps: Iterable[str] = ()) -> OpMetadata:
        """`self` overlaid with whatever `other` sets (later descriptions win key by key), also
        recording `caps`."""
        description = self.description
        if other.description:
            description = MappingProxyType({**self.description, **other.description})
        return OpMetadata(
            ignore_cache=self.ignore_cache or other.ignore_cache,
            description=description,
            export_cache=other.export_cache if other.export_cache is not None else self.export_cache,
            caps=self.caps.union(other.caps, caps),
            progress_group=other.progress_group if other.progress_group is not None else self.progress_group,
        )

    def with_caps(self, *caps: str) -> OpMetadata:
        """A copy that also records `caps`."""
        return replace(self, caps=self.caps | frozenset(caps))

    def to_pb(self) -> Any:
        """The `pb.OpMetadata` message."""
        msg = pb.OpMetadata(ignore_cache=self.ignore_cache)
        for key in sorted(self.description):
            msg.description[_valid_utf8(key)] = _valid_utf8(self.description[key])
        if self.export_cache is not None:
            msg.export_cache.Value = self.export_cache
        for cap in sorted(self.caps):
            msg.caps[cap] = True
        if self.progress_group is not None:
            group = self.progress_group
            msg.progress_group.CopyFrom(pb.ProgressGroup(id=group.id, name=group.name, weak=group.weak))
        return msg


@valueclass
class Constraints:
    """What one op (or a whole marshal call) is constrained by.

    `platform` None means "the platform given to marshal". `locations` are source-map entries.
    """

    platform: Platform | None = None
    worker_constraints: tuple[str, ...] = ()
    metadata: OpMetadata = OpMetadata()
    locations: tuple[SourceLocation, ...] = ()

    def with_caps(self, *caps: str) -> Constraints:
        """A copy whose metadata also records `caps`."""
        return replace(self, metadata=self.metadata.with_caps(*caps))

    def with_platform_default(self, platform: Platform | None) -> Constraints:
        """A copy with `platform` filled in when none is set yet."""
        if self.platform is not None or platform is None:
            return self
        return replace(self, platform=platform)


Location: TypeAlias = SourceLocation | SourceRange | Sequence[SourceLocation | SourceRange] | None


class OpOptions(TypedDict, total=False):
    """The keyword options every op constructor of the State API takes (`**options`).

    custom_name: the step's name in progress; description: more `llb.*` display keys;
    ignore_cache: always run it; progress_group: the progress line it is shown under;
    location: the source lines it comes from (the definition's source map).
    """

    custom_name: str | None
    description: Mapping[str, str] | None
    ignore_cache: bool
    progress_group: ProgressGroup | None
    location: Location


def make_constraints(
    *,
    custom_name: str | None = None,
    description: Mapping[str, str] | None = None,
    ignore_cache: bool = False,
    export_cache: bool | None = None,
    progress_group: ProgressGroup | None = None,
    location: SourceLocation | SourceRange | Sequence[SourceLocation | SourceRange] | None = None,
    platform: Platform | None = None,
    worker_constraints: Iterable[str] = (),
    caps: Iterable[str] = (),
) -> Constraints:
    """Build `Constraints` from the keyword options every op constructor accepts."""
    desc: dict[str, str] = dict(description or {})
    if custom_name is not None:
        desc[CUSTOM_NAME_KEY] = custom_name
    locations = as_locations(location)
    metadata = OpMetadata(
        ignore_cache=ignore_cache,
        description=MappingProxyType(desc) if desc else _EMPTY,
        export_cache=export_cache,
        caps=frozenset(caps),
        progress_group=progress_group,
    )
    return Constraints(
        platform=platform.normalized() if platform is not None else None,
        worker_constraints=tuple(worker_constraints),
        metadata=metadata,
        locations=locations,
    )
