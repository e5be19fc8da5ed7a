"""Check results as `docker buildx build --call=check,format=json` prints them.

The JSON is the reference's lint subrequest result: the warnings in the order the checks made
them, the Dockerfile as its one source (with the LLB definition of the local source the
reference reads the file through), and the error a build would end with. Go's encoding/json
writes it: fields in declaration order, maps by key, bytes in base64, empty fields left out.
"""

from __future__ import annotations

import base64
import posixpath
from typing import Any

from buildwright import llb
from buildwright._golang import go_json
from buildwright._pb import ops_pb2 as pb
from buildwright.frontend.lint.findings import LintResult
from buildwright.llb.vertex import digest_of
from buildwright.location import SourceRange

_DOCKERFILE_LOCAL = "dockerfile"
_DEFAULT_NAME = "Dockerfile"


def findings_json(result: LintResult, session_id: str) -> str:
    """The lint result's JSON (MarshalIndent, two spaces)."""
    warnings: list[dict[str, Any]] | None = None
    for finding in result.findings:
        item: dict[str, Any] = {"ruleName": finding.rule.name}
        if finding.rule.description:
            item["description"] = finding.rule.description
        if finding.rule.url:
            item["url"] = finding.rule.url
        if finding.message:
            item["detail"] = finding.message
        item["location"] = _node_location(finding.location)
        warnings = [*(warnings or []), item]
    source: dict[str, Any] = {"filename": result.filename}
    if result.data:
        source["data"] = base64.b64encode(result.data).decode()
    source["definition"] = _definition_json(result.filename, session_id)
    source["language"] = "Dockerfile"
    out: dict[str, Any] = {"warnings": warnings, "sources": [source]}
    if result.error is not None:
        location = getattr(result.error, "location", None)
        message = getattr(result.error, "message", str(result.error))
        # Merged ranges of the error's locations: those of one instruction, one per line.
        located = location if isinstance(location, SourceRange) else None
        out["buildError"] = {"message": message, "location": _node_location(located)}
    return go_json(out, indent=2)


def _range(start_line: int, end_line: int, start_column: int, end_column: int) -> dict[str, Any]:
    start: dict[str, int] = {"line": start_line}
    end: dict[str, int] = {"line": end_line}
    if start_column:
        start["character"] = start_column
    if end_column:
        end["character"] = end_column
    return {"start": start, "end": end}


def _node_location(location: SourceRange | None) -> dict[str, Any]:
    # A rule reports the instruction's node: one range per physical line, unless it names columns.
    if location is None or location.start_line <= 0:
        return {}
    if location.start_column or location.end_column:
        ranges = [_range(location.start_line, location.end_line, location.start_column, location.end_column)]
    else:
        lines = range(location.start_line, max(location.start_line, location.end_line) + 1)
        ranges = [_range(n, n, 0, 0) for n in lines]
    return {"ranges": ranges}


def _definition_json(filename: str, session_id: str) -> dict[str, Any]:
    """The definition of the local source the reference loads the Dockerfile from."""
    follow = [filename, filename + ".dockerignore"]
    if posixpath.basename(filename) == _DEFAULT_NAME:
        follow.append(posixpath.join(posixpath.dirname(filename), _DEFAULT_NAME.lower()))
    state = llb.local(
        _DOCKERFILE_LOCAL,
        session_id=session_id or None,
        follow_paths=follow,
        shared_key_hint=_DOCKERFILE_LOCAL,
        differ=llb.DiffType.NONE,
        custom_name=f"[internal] load build definition from {filename}",
    )
    definition = state.marshal()
    # The engine's frontend writes an op's oneof (here its source) after the other fields.
    renamed: dict[str, str] = {}
    ops: list[bytes] = []
    for data in definition.ops:
        op = pb.Op.FromString(data)
        kind = op.WhichOneof("op")
        if kind is not None:
            only = pb.Op()
            getattr(only, kind).CopyFrom(getattr(op, kind))
            op.ClearField(kind)
            rest = op.SerializeToString(deterministic=True)
            new = rest + only.SerializeToString(deterministic=True)
        else:
            for edge in op.inputs:
                edge.digest = renamed.get(edge.digest, edge.digest)
            new = op.SerializeToString(deterministic=True)
        renamed[digest_of(data)] = digest_of(new)
        ops.append(new)
    metadata: dict[str, Any] = {}
    for old, meta in definition.metadata.items():
        entry: dict[str, Any] = {}
        if meta.ignore_cache:
            entry["ignore_cache"] = True
        if meta.description:
            entry["description"] = dict(sorted(meta.description.items()))
        if meta.caps:
            entry["caps"] = dict.fromkeys(sorted(meta.caps), True)
        metadata[renamed.get(old, old)] = entry
    out: dict[str, Any] = {
        "def": [base64.b64encode(op).decode() for op in ops],
        "metadata": dict(sorted(metadata.items())),
    }
    if definition.has_source:
        out["Source"] = {"locations": {renamed.get(d, d): {} for d in sorted(definition.locations)}}
    return out
