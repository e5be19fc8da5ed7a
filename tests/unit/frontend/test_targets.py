"""--call=targets from a parsed Dockerfile (no engine)."""

from __future__ import annotations

import json

from buildwright.dockerfile import parse_dockerfile
from buildwright.frontend.targets import list_targets, targets_json, targets_text

_SOURCE = b"# base does the work\nFROM busybox AS base\nFROM --platform=$X \\\n  base\n"


def test_stages_default_and_locations() -> None:
    targets = list_targets(parse_dockerfile(_SOURCE))
    assert [(t.name, t.default, t.description, t.base, t.platform) for t in targets] == [
        ("base", False, "does the work", "busybox", ""),
        ("", True, "", "base", "$X"),
    ]
    listing = json.loads(targets_json(targets, _SOURCE))
    assert listing["targets"][1]["location"]["ranges"] == [
        {"start": {"line": 3}, "end": {"line": 3}},
        {"start": {"line": 4}, "end": {"line": 4}},
    ]
    assert "name" not in listing["targets"][1] and listing["targets"][1]["default"] is True
    assert targets_text(targets) == "TARGET    DESCRIPTION\nbase      does the work\n(default) \n"
