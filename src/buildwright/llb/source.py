"""Source ops: images, local directories (the build context), HTTP files.

Attribute names and values, and which caps each option records, follow BuildKit's
`client/llb/source.go` and `solver/pb/attr.go`; they are part of the op bytes.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from buildwright._values import valueclass
from buildwright.errors import LLBError
from buildwright.llb import caps
from buildwright.llb.constraints import Constraints
from buildwright.llb.reference import normalize_image_ref
from buildwright.llb.vertex import MarshalContext, Marshaled, Output, Vertex, finish, marshal_constraints

ATTR_IMAGE_RESOLVE_MODE = "image.resolvemode"
ATTR_IMAGE_RECORD_TYPE = "image.recordtype"
ATTR_IMAGE_LAYER_LIMIT = "image.layerlimit"
ATTR_IMAGE_CHECKSUM = "image.checksum"
# solver/pb/attr.go: AttrOCILayoutSessionID, AttrOCILayoutStoreID.
ATTR_OCI_SESSION_ID = "oci.session"
ATTR_OCI_STORE_ID = "oci.store"
ATTR_LOCAL_SESSION_ID = "local.session"
ATTR_LOCAL_UNIQUE_ID = "local.unique"
ATTR_LOCAL_INCLUDE_PATTERNS = "local.includepattern"
ATTR_LOCAL_FOLLOW_PATHS = "local.followpaths"
ATTR_LOCAL_EXCLUDE_PATTERNS = "local.excludepatterns"
ATTR_LOCAL_SHARED_KEY_HINT = "local.sharedkeyhint"
ATTR_LOCAL_DIFFER = "local.differ"
ATTR_LOCAL_METADATA_TRANSFER = "local.metadatatransfer"
ATTR_LOCAL_METADATA_TRANSFER_EXCLUDE = "local.metadatatransferexclude"
ATTR_HTTP_CHECKSUM = "http.checksum"
ATTR_HTTP_FILENAME = "http.filename"
ATTR_HTTP_PERM = "http.perm"
ATTR_HTTP_UID = "http.uid"
ATTR_HTTP_GID = "http.gid"
ATTR_HTTP_AUTH_HEADER_SECRET = "http.authheadersecret"
ATTR_HTTP_HEADER_PREFIX = "http.header."


class ResolveMode(enum.Enum):
    """How an image source resolves its reference; DEFAULT records no attribute at all."""

    DEFAULT = "default"
    FORCE_PULL = "pull"
    PREFER_LOCAL = "local"


class DiffType(enum.Enum):
    """How a local source decides which files to resend."""

    NONE = "none"
    METADATA = "metadata"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_list(values: Sequence[str]) -> str:
    # Go's encoding/json: compact, non-ASCII kept, and <, >, & (plus U+2028/9) escaped.
    text = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False)
    # Go coerces strings to valid UTF-8: each byte that is not (a surrogate escape here) -> U+FFFD.
    text = _SURROGATE.sub("\ufffd", text)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _platform_specific(identifier: str) -> bool:
    return identifier.startswith(("docker-image://", "oci-layout://"))


@valueclass(eq=False)
class SourceOp(Vertex):
    """A source identified by a URL-like string plus attributes."""

    identifier: str
    attrs: Mapping[str, str]
    constraints: Constraints
    local_unique_id: str | None = None

    def output(self) -> Output:
        """The op's only output, carrying the platform it was asked for."""
        return Output(self, 0, self.constraints.platform)

    def inputs(self) -> tuple[Output, ...]:
        return ()

    def marshal(self, ctx: MarshalContext) -> Marshaled:
        if not self.identifier:
            raise LLBError("source identifier can't be empty")
        attrs = dict(self.attrs)
        own = self.constraints
        if self.identifier.startswith("local://") and ATTR_LOCAL_SESSION_ID not in attrs:
            unique = self.local_unique_id or ctx.local_unique_id
            if not unique:
                raise LLBError(
                    f"local source {self.identifier!r} has no session id; give it a local_unique_id "
                    "(or pass one to marshal) so its cache identity is explicit"
                )
            attrs[ATTR_LOCAL_UNIQUE_ID] = unique
            own = own.with_caps(caps.SOURCE_LOCAL_UNIQUE)
        op, metadata = marshal_constraints(ctx, own)
        source = op.source
        source.identifier = self.identifier
        for key in sorted(attrs):
            source.attrs[key] = attrs[key]
        if not _platform_specific(self.identifier):
            op.ClearField("platform")
        return finish(op, metadata, own.locations)


def image_source(
    ref: str,
    constraints: Constraints,
    *,
    resolve_mode: ResolveMode | None = None,
    record_type: str | None = None,
    layer_limit: int | None = None,
    checksum: str | None = None,
) -> SourceOp:
    """A `docker-image://` source for `ref`, normalised (`busybox` -> `docker.io/library/busybox:latest`)."""
    normalized = normalize_image_ref(ref)
    c = constraints.with_caps(caps.SOURCE_IMAGE)
    attrs: dict[str, str] = {}
    if resolve_mode is not None and resolve_mode is not ResolveMode.DEFAULT:
        attrs[ATTR_IMAGE_RESOLVE_MODE] = resolve_mode.value
        if resolve_mode is ResolveMode.FORCE_PULL:
            c = c.with_caps(caps.SOURCE_IMAGE_RESOLVE_MODE)
    if record_type:
        attrs[ATTR_IMAGE_RECORD_TYPE] = record_type
    if layer_limit is not None:
        attrs[ATTR_IMAGE_LAYER_LIMIT] = str(layer_limit)
        c = c.with_caps(caps.SOURCE_IMAGE_LAYER_LIMIT)
    if checksum:
        attrs[ATTR_IMAGE_CHECKSUM] = checksum
        c = c.with_caps(caps.SOURCE_IMAGE_CHECKSUM)
    return SourceOp("docker-image://" + normalized, MappingProxyType(attrs), c)


def oci_layout_source(ref: str, constraints: Constraints, *, session_id: str, store_id: str) -> SourceOp:
    """An `oci-layout://` source: image `ref` (`name@digest`) read from the content store
    `store_id` the client serves in session `session_id` (the engine asks for store `oci:<id>`)."""
    attrs = {ATTR_OCI_SESSION_ID: session_id, ATTR_OCI_STORE_ID: store_id}
    return SourceOp("oci-layout://" + ref, MappingProxyType(attrs), constraints.with_caps(caps.SOURCE_OCI_LAYOUT))


def local_source(
    name: str,
    constraints: Constraints,
    *,
    session_id: str | None = None,
    shared_key_hint: str | None = None,
    include_patterns: Sequence[str] = (),
    exclude_patterns: Sequence[str] = (),
    follow_paths: Sequence[str] = (),
    differ: DiffType | None = None,
    differ_required: bool = False,
    metadata_only: bool = False,
    metadata_only_exceptions: Sequence[str] = (),
    local_unique_id: str | None = None,
) -> SourceOp:
    """A `local://name` source: a directory the client sends through the session."""
    c = constraints
    attrs: dict[str, str] = {}
    if session_id:
        attrs[ATTR_LOCAL_SESSION_ID] = session_id
        c = c.with_caps(caps.SOURCE_LOCAL_SESSION_ID)
    if include_patterns:
        attrs[ATTR_LOCAL_INCLUDE_PATTERNS] = _json_list(include_patterns)
        c = c.with_caps(caps.SOURCE_LOCAL_INCLUDE_PATTERNS)
    if follow_paths:
        attrs[ATTR_LOCAL_FOLLOW_PATHS] = _json_list(follow_paths)
        c = c.with_caps(caps.SOURCE_LOCAL_FOLLOW_PATHS)
    if exclude_patterns:
        attrs[ATTR_LOCAL_EXCLUDE_PATTERNS] = _json_list(exclude_patterns)
        c = c.with_caps(caps.SOURCE_LOCAL_EXCLUDE_PATTERNS)
    if shared_key_hint:
        attrs[ATTR_LOCAL_SHARED_KEY_HINT] = shared_key_hint
        c = c.with_caps(caps.SOURCE_LOCAL_SHARED_KEY_HINT)
    if differ is not None:
        attrs[ATTR_LOCAL_DIFFER] = differ.value
        if differ_required:
            c = c.with_caps(caps.SOURCE_LOCAL_DIFFER)
    if metadata_only:
        attrs[ATTR_LOCAL_METADATA_TRANSFER] = "true"
        if metadata_only_exceptions:
            attrs[ATTR_LOCAL_METADATA_TRANSFER_EXCLUDE] = _json_list(metadata_only_exceptions)
        c = c.with_caps(caps.SOURCE_LOCAL_METADATA_TRANSFER)
    c = c.with_caps(caps.SOURCE_LOCAL)
    return SourceOp("local://" + name, MappingProxyType(attrs), c, local_unique_id)


def http_source(
    url: str,
    constraints: Constraints,
    *,
    checksum: str | None = None,
    filename: str | None = None,
    perm: int = 0,
    uid: int = 0,
    gid: int = 0,
    auth_header_secret: str | None = None,
    accept: str | None = None,
    user_agent: str | None = None,
) -> SourceOp:
    """An `http(s)://` source: one downloaded file."""
    c = constraints
    attrs: dict[str, str] = {}
    if checksum:
        attrs[ATTR_HTTP_CHECKSUM] = checksum
        c = c.with_caps(caps.SOURCE_HTTP_CHECKSUM)
    if filename:
        attrs[ATTR_HTTP_FILENAME] = filename
    perm &= 0o777
    if perm:
        attrs[ATTR_HTTP_PERM] = "0" + format(perm, "o")
        c = c.with_caps(caps.SOURCE_HTTP_PERM)
    if uid:
        attrs[ATTR_HTTP_UID] = str(uid)
        c = c.with_caps(caps.SOURCE_HTTP_UIDGID)
    if gid:
        attrs[ATTR_HTTP_GID] = str(gid)
        c = c.with_caps(caps.SOURCE_HTTP_UIDGID)
    if auth_header_secret:
        attrs[ATTR_HTTP_AUTH_HEADER_SECRET] = auth_header_secret
        c = c.with_caps(caps.SOURCE_HTTP_AUTH)
    if accept is not None or user_agent is not None:
        if accept:
            attrs[ATTR_HTTP_HEADER_PREFIX + "accept"] = accept
        if user_agent:
            attrs[ATTR_HTTP_HEADER_PREFIX + "user-agent"] = user_agent
        c = c.with_caps(caps.SOURCE_HTTP_HEADER)
    c = c.with_caps(caps.SOURCE_HTTP)
    return SourceOp(url, MappingProxyType(attrs), c)
