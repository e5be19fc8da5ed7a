"""Stage semantics on the engine that the corpus cannot express, each compared with buildx:
ONBUILD triggers of base IMAGES (the base is built by buildx first; the corpus covers triggers of
stages of the same Dockerfile) and failures that name no Dockerfile line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import buildwright
from buildwright.client.events import BuildEvent, VertexCached, VertexCompleted
from buildwright.errors import BuildConfigError, BuildFailed, DockerfileError
from tests.integration.reference import EngineInfo, assert_same_image, buildx_build, snapshot_image

BASE = """\
FROM busybox:latest
RUN echo base > /base.txt
ONBUILD ARG GREETING=hello
ONBUILD RUN echo "$GREETING from trigger" > /trigger.txt
ONBUILD COPY --from=helper /helper.txt /from-helper.txt
ONBUILD ENV TRIGGERED=yes
ONBUILD COPY <<EOT /heredoc.txt
made by $GREETING
EOT
"""

CHILD = """\
FROM busybox:latest AS helper
RUN echo helper > /helper.txt

FROM {base}
RUN cat /trigger.txt /from-helper.txt /heredoc.txt > /all.txt
ONBUILD RUN echo for-grandchildren
"""

FAILING_BASE = """\
FROM busybox:latest
ONBUILD RUN exit 3
"""

BAD_TRIGGER_BASE = """\
FROM busybox:latest
ONBUILD COPY --from=$STAGE /a /b
"""


def _base(engine: EngineInfo, tmp_path: Path, dockerfile: str) -> str:
    folder = tmp_path / "base"
    folder.mkdir()
    (folder / "Dockerfile").write_text(dockerfile)
    # Named after the Dockerfile, so reruns replace the image instead of piling up new ones.
    tag = f"bw-onbuild/base-{hashlib.sha256(dockerfile.encode()).hexdigest()[:12]}:1"
    buildx_build(engine, folder, tag=tag)
    return tag


def _child(tmp_path: Path, dockerfile: str) -> Path:
    folder = tmp_path / "child"
    folder.mkdir()
    (folder / "Dockerfile").write_text(dockerfile)
    return folder


def test_triggers_of_a_base_image_run_like_the_reference(engine: EngineInfo, tmp_path: Path) -> None:
    base = _base(engine, tmp_path, BASE)
    child = _child(tmp_path, CHILD.format(base=base))
    buildx_build(engine, child, tag="bw-onbuild/child:buildx")
    events: list[BuildEvent] = []
    buildwright.build(
        child,
        tags=["bw-onbuild/child:buildwright"],
        engine=buildwright.EngineOptions(env=engine.env),
        on_event=events.append,
    )

    assert_same_image(
        snapshot_image(engine, "bw-onbuild/child:buildx"), snapshot_image(engine, "bw-onbuild/child:buildwright")
    )
    names = [e.name for e in events if isinstance(e, (VertexCompleted, VertexCached))]
    # The reference's progress names, quirks included: the FROM is named before triggers are counted.
    assert any(name.startswith("[stage-1 1/2] FROM ") for name in names)
    assert '[stage-1 2/7] ONBUILD RUN echo "hello from trigger" > /trigger.txt' in names
    assert "[stage-1 3/7] ONBUILD COPY --from=helper /helper.txt /from-helper.txt" in names
    # buildx built every step first: each one must be a cache hit for buildwright.
    built = [e.name for e in events if isinstance(e, VertexCompleted) and "ONBUILD" in e.name]
    assert not built


def test_a_failing_trigger_names_the_from_line(engine: EngineInfo, tmp_path: Path) -> None:
    base = _base(engine, tmp_path, FAILING_BASE)
    child = _child(tmp_path, f"FROM busybox:latest AS other\n\nFROM {base}\nRUN true\n")
    reference = buildx_build(engine, child, tag="bw-onbuild/failing:buildx", check=False)
    assert reference.returncode != 0 and "Dockerfile:3" in reference.stderr

    with pytest.raises(BuildFailed) as caught:
        buildwright.build(child, engine=buildwright.EngineOptions(env=engine.env))
    assert caught.value.exit_code == 3
    assert caught.value.location is not None and caught.value.location.start_line == 3


def test_an_invalid_trigger_is_a_dockerfile_error_at_the_from_line(engine: EngineInfo, tmp_path: Path) -> None:
    base = _base(engine, tmp_path, BAD_TRIGGER_BASE)
    child = _child(tmp_path, f"FROM {base}\nRUN true\n")
    reference = buildx_build(engine, child, tag="bw-onbuild/invalid:buildx", check=False)
    assert reference.returncode != 0 and "variable expansion is not supported for --from" in reference.stderr

    with pytest.raises(DockerfileError) as caught:
        buildwright.build(child, engine=buildwright.EngineOptions(env=engine.env))
    assert "variable expansion is not supported for --from" in caught.value.message
    assert caught.value.location is not None and caught.value.location.start_line == 1


def test_a_bad_source_date_epoch_fails_like_the_engine_before_building(engine: EngineInfo, tmp_path: Path) -> None:
    child = _child(tmp_path, "FROM busybox:latest\nRUN true\n")
    args = {"SOURCE_DATE_EPOCH": "yesterday"}
    reference = buildx_build(engine, child, tag="bw-onbuild/epoch:buildx", build_args=args, check=False)
    message = 'invalid source-date-epoch: strconv.ParseInt: parsing "yesterday": invalid syntax'
    assert reference.returncode != 0 and message in reference.stderr

    with pytest.raises(BuildConfigError) as caught:
        buildwright.build(child, build_args=args, engine=buildwright.EngineOptions(env=engine.env))
    assert caught.value.message == message


def test_triggers_of_an_image_read_by_copy_from_are_checked_not_run(engine: EngineInfo, tmp_path: Path) -> None:
    base = _base(engine, tmp_path, BAD_TRIGGER_BASE)
    child = _child(tmp_path, f"FROM busybox:latest\n\nCOPY --from={base} /etc/hostname /h\n")
    reference = buildx_build(engine, child, tag="bw-onbuild/copy-from:buildx", check=False)
    assert reference.returncode != 0 and "variable expansion is not supported for --from" in reference.stderr
    assert "Dockerfile:3" in reference.stderr

    with pytest.raises(DockerfileError) as caught:
        buildwright.build(child, engine=buildwright.EngineOptions(env=engine.env))
    assert caught.value.location is not None and caught.value.location.start_line == 3
