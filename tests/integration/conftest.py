"""Integration tests: every test here is marked `integration` and can ask for the `engine` fixture,
which starts the private test engine (scripts/engine.sh up) once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildwright.client.attestations import NO_DEFAULT_ENV
from tests.integration.reference import EngineInfo, engine_up

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items, so only this folder's are marked.
    for item in items:
        if item.path.resolve().is_relative_to(_HERE):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def _no_default_attestations() -> Iterator[None]:
    """Comparisons with buildx are of images without the default provenance (both builders honour
    this variable); tests/integration/test_attestations.py removes it to compare the defaults."""
    saved = os.environ.get(NO_DEFAULT_ENV)
    os.environ[NO_DEFAULT_ENV] = "1"
    yield
    if saved is None:
        os.environ.pop(NO_DEFAULT_ENV, None)
    else:
        os.environ[NO_DEFAULT_ENV] = saved


@pytest.fixture(scope="session")
def engine() -> EngineInfo:
    """The running test engine (dockerd with BuildKit, buildx as the reference builder)."""
    try:
        return engine_up()
    except RuntimeError as exc:
        pytest.fail(f"the test engine did not start: {exc}", pytrace=False)
