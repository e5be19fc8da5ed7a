"""`--call=check,format=json`: the reference's lint result (integration tests compare with buildx)."""

from __future__ import annotations

import base64
import json

from buildwright._pb import ops_pb2 as pb
from buildwright.errors import DockerfileError
from buildwright.frontend.lint.findings import Finding, LintResult
from buildwright.frontend.lint.report_json import findings_json
from buildwright.frontend.lint.rules import MAINTAINER_DEPRECATED
from buildwright.llb.vertex import digest_of
from buildwright.location import SourceRange

_DATA = b"FROM busybox\nMAINTAINER me \\\n  you\n"


def test_no_findings_is_null_and_the_source_is_the_file() -> None:
    doc = json.loads(findings_json(LintResult((), data=_DATA), "sess"))
    assert doc["warnings"] is None and "buildError" not in doc
    source = doc["sources"][0]
    assert (source["filename"], source["language"]) == ("Dockerfile", "Dockerfile")
    assert base64.b64decode(source["data"]) == _DATA


def test_warning_has_one_range_per_line() -> None:
    finding = Finding(MAINTAINER_DEPRECATED, "Maintainer instruction is deprecated", SourceRange("Dockerfile", 2, 3))
    doc = json.loads(findings_json(LintResult((finding,), data=_DATA), "sess"))
    warning = doc["warnings"][0]
    assert warning["ruleName"] == "MaintainerDeprecated" and warning["url"].endswith("/maintainer-deprecated/")
    assert warning["location"] == {
        "ranges": [{"start": {"line": 2}, "end": {"line": 2}}, {"start": {"line": 3}, "end": {"line": 3}}]
    }


def test_build_error_without_a_location_has_an_empty_one() -> None:
    doc = json.loads(findings_json(LintResult((), error=DockerfileError("boom"), data=_DATA), "sess"))
    assert doc["buildError"] == {"message": "boom", "location": {}}


def test_definition_is_the_dockerfile_local_source_with_the_oneof_last() -> None:
    definition = json.loads(findings_json(LintResult((), data=_DATA), "sess-1"))["sources"][0]["definition"]
    first, last = (base64.b64decode(op) for op in definition["def"])
    assert first.startswith(b"Z\x00\x1a")  # constraints (field 11), then the source (field 3)
    op = pb.Op.FromString(first)
    assert op.source.identifier == "local://dockerfile"
    assert dict(op.source.attrs) == {
        "local.differ": "none",
        "local.followpaths": '["Dockerfile","Dockerfile.dockerignore","dockerfile"]',
        "local.session": "sess-1",
        "local.sharedkeyhint": "dockerfile",
    }
    assert pb.Op.FromString(last).inputs[0].digest == digest_of(first)
    meta = definition["metadata"][digest_of(first)]
    assert meta["description"] == {"llb.customname": "[internal] load build definition from Dockerfile"}
    assert definition["metadata"][digest_of(last)]["caps"] == {
        "constraints": True,
        "meta.description": True,
        "platform": True,
    }
    assert definition["Source"] == {"locations": {digest_of(first): {}}}
