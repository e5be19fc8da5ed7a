"""Integration tests: every test here is marked `integration` and can ask for the `engine` fixture,
which starts the private test engine (scripts/engine.sh up) once per session, and for `buildkitd`,
`buildkitd_two` and `stopped_buildkitd`: real standalone buildkitds (scripts/engine.sh buildkitd up),
with unix and mutual-TLS TCP listeners. Where no buildkitd could be compiled, those tests skip with
the script's reason."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildwright.client.attestations import NO_DEFAULT_ENV
from tests.integration.buildkitd import Buildkitd, BuildkitdUnavailable, buildkitd_down, buildkitd_up
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


# Fixed TCP ports for the test daemons: a running daemon is reused only on the same port.
_BUILDKITD_PORTS = {"bw-test-a": 7391, "bw-test-b": 7392, "bw-test-off": 7393}


def _daemon(name: str) -> Buildkitd:
    try:
        return buildkitd_up(name, _BUILDKITD_PORTS[name])
    except BuildkitdUnavailable as exc:
        pytest.skip(f"no standalone buildkitd on this machine: {exc}")
    except RuntimeError as exc:
        pytest.fail(f"buildkitd {name} did not start: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def buildkitd(engine: EngineInfo) -> Buildkitd:
    """A real buildkitd on a unix socket and a mutual-TLS port (base images from the engine)."""
    return _daemon("bw-test-a")


@pytest.fixture(scope="session")
def buildkitd_two(buildkitd: Buildkitd) -> Buildkitd:
    """A second, independent buildkitd."""
    return _daemon("bw-test-b")


@pytest.fixture(scope="session")
def stopped_buildkitd(buildkitd: Buildkitd) -> Buildkitd:
    """A buildkitd that ran and was stopped: its addresses answer no more."""
    daemon = _daemon("bw-test-off")
    buildkitd_down(daemon.name)
    return daemon
