"""`--call=outline` computed from buildwright's dispatch (the integration tests compare it with buildx)."""

from __future__ import annotations

import base64
import json

from buildwright.dockerfile import parse_dockerfile
from buildwright.frontend.convert import dispatch_dockerfile
from buildwright.frontend.options import FrontendOptions
from buildwright.frontend.outline import Outline, outline_of
from tests.unit.frontend.test_convert import FakeResolver

_TEXT = """\
# BASE the base image
ARG BASE=busybox
ARG UNUSED=1
# TAG image tag
ARG TAG=latest
ARG REF=${BASE}:${TAG}
FROM ${REF} AS build
# MODE build mode
ARG MODE=fast
ARG P=$PATH
RUN --mount=type=secret,id=token,required=true --mount=type=ssh true
FROM build AS test
ARG TAG
RUN --mount=type=secret,target=/etc/app.conf --mount=type=ssh,id=gh,required=true true
FROM busybox
COPY --from=test /a /b
"""


def _outline(text: str = _TEXT, **options: object) -> Outline:
    dockerfile = parse_dockerfile(text)
    frontend = FrontendOptions(session_id="s1", **options)  # type: ignore[arg-type]
    dispatched = dispatch_dockerfile(dockerfile, frontend, FakeResolver())
    return outline_of(dockerfile, dispatched, frontend, text.encode())


def test_args_are_the_used_ones_with_values_and_descriptions() -> None:
    outline = _outline()
    assert [(a.name, a.value, a.description) for a in outline.args] == [
        ("BASE", "busybox", "the base image"),
        ("TAG", "latest", "image tag"),  # the bare ARG in `test` takes the global declaration
        ("REF", "busybox:latest", ""),
        ("MODE", "fast", "build mode"),
        ("P", "/bin", ""),  # expanded in the stage's environment (the base image's PATH)
    ]
    assert [a.location.start_line for a in outline.args] == [2, 5, 6, 9, 10]


def test_secrets_and_ssh_of_every_stage_reached() -> None:
    outline = _outline()
    assert [(s.name, s.required) for s in outline.secrets] == [("token", True), ("app.conf", False)]
    assert [(s.name, s.required) for s in outline.ssh] == [("default", False), ("gh", True)]


def test_target_and_build_args() -> None:
    outline = _outline(target="build", build_args={"MODE": "slow", "TAG": "1"})
    assert outline.name == "build"
    values = {a.name: a.value for a in outline.args}
    assert values["MODE"] == "slow" and values["REF"] == "busybox:1"
    assert outline.ssh[0].name == "default" and len(outline.secrets) == 1


def test_text_is_the_reference_tables() -> None:
    text = _outline(target="test").text()
    assert text.startswith("TARGET: test\n\nBUILD ARG   VALUE            DESCRIPTION\n")
    assert "BASE        busybox          the base image\n" in text
    assert "SECRET     REQUIRED\ntoken      true\napp.conf   \n\n" in text
    assert text.endswith("SSH       REQUIRED\ndefault   \ngh        true\n\n")


def test_json_leaves_empty_fields_out() -> None:
    doc = json.loads(_outline().json())
    assert "name" not in doc and "description" not in doc  # the last stage is unnamed
    assert doc["args"][2] == {
        "name": "REF",
        "value": "busybox:latest",
        "location": {"ranges": [{"start": {"line": 6}, "end": {"line": 6}}]},
    }
    assert doc["secrets"][1] == {
        "name": "app.conf",
        "location": {"ranges": [{"start": {"line": 14}, "end": {"line": 14}}]},
    }
    assert base64.b64decode(doc["sources"][0]) == _TEXT.encode()
