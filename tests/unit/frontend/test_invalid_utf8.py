"""Dockerfiles, patterns and file names holding bytes that are not UTF-8 (issue 10).

Where the reference builds, values that pass through variable expansion or Go's JSON encoder carry
U+FFFD for the byte; where it cannot (a protobuf string field of an op), a located error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from buildwright import llb
from buildwright._pb import ops_pb2
from buildwright.client.session.fswalk import walk
from buildwright.client.session.patterns import default_matcher_factory
from buildwright.dockerfile import read_ignore_patterns
from buildwright.dockerfile.ignore import PatternMatcher
from buildwright.errors import BuildConfigError, DockerfileError
from tests.unit.frontend.test_convert import compile_text, ops

LATIN1 = b"caf\xe9".decode("utf-8", "surrogateescape")


def test_run_with_invalid_utf8_is_a_located_error() -> None:
    with pytest.raises(DockerfileError, match="string field contains invalid UTF-8") as caught:
        compile_text(f"FROM busybox\nLABEL a=b\nRUN echo {LATIN1}\n")
    assert str(caught.value).startswith("Dockerfile:3: failed to marshal LLB definition:")


def test_values_that_are_expanded_carry_the_replacement_character() -> None:
    text = f"FROM busybox\n# {LATIN1}\nLABEL l={LATIN1}\nENV E={LATIN1}\nWORKDIR /{LATIN1}\nRUN pwd\n"
    compiled, _ = compile_text(text)
    config = json.loads(compiled.image_config)["config"]
    assert config["Labels"] == {"l": "caf\ufffd"}
    assert "E=caf\ufffd" in config["Env"] and config["WorkingDir"] == "/caf\ufffd"
    # The descriptions (the step names) hold the raw text; on the wire they carry U+FFFD.
    compiled.definition.to_bytes()
    # The source map keeps the file's own bytes.
    assert b"# caf\xe9\n" in compiled.definition.to_pb().Source.infos[0].data
    assert ops(compiled)


def test_local_source_patterns_are_coerced_as_go_json_does() -> None:
    state = llb.local("context", session_id="s", exclude_patterns=[f"{LATIN1}*"], follow_paths=[LATIN1])
    [op] = [entry for entry in json.loads(state.marshal().to_json())["ops"] if "source" in entry["op"]]
    attrs = op["op"]["source"]["attrs"]
    assert attrs["local.excludepatterns"] == '["caf\ufffd*"]'
    assert attrs["local.followpaths"] == '["caf\ufffd"]'


def test_ignore_pattern_with_invalid_byte_matches_invalid_bytes_only() -> None:
    # Go's regexp reads an invalid byte as U+FFFD on both sides.
    [pattern] = read_ignore_patterns(b"caf\xe9*\n")
    for matcher in (PatternMatcher([pattern]), PatternMatcher(["caf\ufffd*"])):
        assert matcher.matches_or_parent_matches(LATIN1 + "-x")
        assert matcher.matches_or_parent_matches(b"caf\xff".decode("utf-8", "surrogateescape"))
        assert not matcher.matches_or_parent_matches("café-y")


def test_context_file_name_not_utf8_is_refused_by_name(tmp_path: Path) -> None:
    with open(os.fsencode(tmp_path) + b"/caf\xe9", "wb"):
        pass
    with pytest.raises(BuildConfigError, match=r'file name is not valid UTF-8.*"caf\\xe9"'):
        list(walk(tmp_path, matcher_factory=default_matcher_factory))


def test_copy_heredoc_with_an_invalid_byte_writes_the_bytes_as_they_are() -> None:
    # Found by the long fuzz run (a UnicodeEncodeError): a file's content is a bytes field in the
    # LLB, so the reference writes the heredoc's bytes unchanged; only string fields must be UTF-8.
    compiled, _ = compile_text(f"FROM busybox\nCOPY <<'EOT' /x\n{LATIN1}\nEOT\n")
    data = []
    for raw in getattr(compiled.definition.to_pb(), "def"):
        op = ops_pb2.Op()
        op.ParseFromString(raw)
        if op.HasField("file"):
            data.extend(action.mkfile.data for action in op.file.actions if action.HasField("mkfile"))
    assert data == [b"caf\xe9\n"]
