"""SOURCE_DATE_EPOCH: the image buildwright makes is the very image buildx makes (same config digest)."""

from __future__ import annotations

import uuid
from pathlib import Path

import buildwright
from tests.integration.reference import EngineInfo, buildx_build, snapshot_image


def test_epoch_build_has_the_reference_config_digest(engine: EngineInfo, tmp_path: Path) -> None:
    # A fresh value in the RUN so neither builder can take the step from cache.
    (tmp_path / "Dockerfile").write_text(f'FROM busybox:latest\nRUN echo {uuid.uuid4().hex} > /x\nCMD ["cat", "/x"]\n')
    args = {"SOURCE_DATE_EPOCH": "1700000000"}
    buildx_build(engine, tmp_path, tag="bw-epoch/app:buildx", build_args=args)
    buildwright.build(
        tmp_path, tags=["bw-epoch/app:buildwright"], build_args=args, engine=buildwright.EngineOptions(env=engine.env)
    )
    reference = snapshot_image(engine, "bw-epoch/app:buildx")
    ours = snapshot_image(engine, "bw-epoch/app:buildwright")
    # The config blob's digest covers history times too: the base image's history must stay untouched.
    assert ours.image_id == reference.image_id
