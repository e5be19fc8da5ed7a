"""Every example under examples/ builds with the reference builder and prints its expected output."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.integration.reference import REPO_ROOT, EngineInfo, buildx_build, run_image

EXAMPLES_DIR = REPO_ROOT / "examples"


def _examples() -> list[dict[str, Any]]:
    with (EXAMPLES_DIR / "examples.toml").open("rb") as manifest:
        entries: list[dict[str, Any]] = tomllib.load(manifest)["example"]
    return entries


def _id(example: dict[str, Any]) -> str:
    suffix = example.get("tag_suffix")
    return f"{example['name']}-{suffix}" if suffix else str(example["name"])


@pytest.mark.parametrize("example", _examples(), ids=_id)
def test_example_builds_and_prints_expected_output(engine: EngineInfo, example: dict[str, Any]) -> None:
    folder: Path = EXAMPLES_DIR / example["name"]
    tag = f"bw-example/{_id(example)}:reference"

    buildx_build(engine, folder, tag=tag, target=example.get("target"), build_args=example.get("build_args", {}))

    expected = (folder / example.get("expected_output", "expected-output.txt")).read_text()
    assert run_image(engine, tag) == expected


def test_every_example_folder_is_listed() -> None:
    listed = {entry["name"] for entry in _examples()}
    folders = {path.name for path in EXAMPLES_DIR.iterdir() if (path / "Dockerfile").is_file()}
    assert listed == folders
