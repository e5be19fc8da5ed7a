"""Every example under examples/ builds with the reference builder and prints its expected output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.examples_manifest import EXAMPLES_DIR, example_id, load_examples
from tests.integration.reference import EngineInfo, buildx_build, run_image


@pytest.mark.parametrize("example", load_examples(), ids=example_id)
def test_example_builds_and_prints_expected_output(engine: EngineInfo, example: dict[str, Any]) -> None:
    folder: Path = EXAMPLES_DIR / example["name"]
    tag = f"bw-example/{example_id(example)}:reference"

    buildx_build(engine, folder, tag=tag, target=example.get("target"), build_args=example.get("build_args", {}))

    expected = (folder / example.get("expected_output", "expected-output.txt")).read_text()
    assert run_image(engine, tag) == expected


def test_every_example_folder_is_listed() -> None:
    listed = {entry["name"] for entry in load_examples()}
    folders = {path.name for path in EXAMPLES_DIR.iterdir() if (path / "Dockerfile").is_file()}
    assert listed == folders
