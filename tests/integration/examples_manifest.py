"""The examples manifest (examples/examples.toml): which folder is built how."""

from __future__ import annotations

import tomllib
from typing import Any, Final

from tests.integration.reference import REPO_ROOT

EXAMPLES_DIR: Final = REPO_ROOT / "examples"


def load_examples() -> list[dict[str, Any]]:
    """Every `[[example]]` entry: name, optional target, build_args, tag_suffix, expected_output."""
    with (EXAMPLES_DIR / "examples.toml").open("rb") as manifest:
        entries: list[dict[str, Any]] = tomllib.load(manifest)["example"]
    return entries


def example_id(example: dict[str, Any]) -> str:
    """A unique name for an entry: the folder, plus its tag suffix when one folder is built twice."""
    suffix = example.get("tag_suffix")
    return f"{example['name']}-{suffix}" if suffix else str(example["name"])
