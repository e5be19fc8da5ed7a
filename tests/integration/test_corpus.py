"""The Dockerfile corpus (tests/integration/corpus/cases/*): every case is built by buildx, then by
buildwright, on the test engine. Success cases must give the same image; failure cases must be
rejected by both, buildwright naming the expected line. The last test prints the shared-cache figure:
the share of cases whose every step buildwright found in the cache buildx had just filled."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from buildwright.client.events import BuildEvent, VertexCached, VertexCompleted, VertexQueued, VertexStarted
from buildwright.errors import BuildFailed, DockerfileError
from buildwright.location import SourceRange
from tests.integration.buildkitd import TRANSPORTS, Buildkitd, Prefetch, remote_builder, start_early
from tests.integration.corpus.cases import Case, load_case, load_cases
from tests.integration.corpus.fresh import fresh_copy
from tests.integration.corpus.on_buildkitd import BuildkitdCaseRuns, BuildkitdCorpusRunner
from tests.integration.corpus.runner import (
    CACHE_THRESHOLD_PERCENT,
    CorpusRunner,
    cache_figure,
    check_failure,
    check_success,
    error_line,
    first_uncached,
    reference_lines,
    steps,
)
from tests.integration.corpus.servers import GitServer, git_server, http_server
from tests.integration.reference import EngineInfo

CASES = load_cases()


def _param(case: Case, transport: str | None = None) -> object:
    marks: list[pytest.MarkDecorator] = []
    if case.xfail:
        # Strict: once buildwright is fixed the case passes, and the xfail key must go.
        marks.append(pytest.mark.xfail(reason=case.xfail, strict=True))
    if transport is not None:
        return pytest.param(case, transport, id=f"{case.name}-{transport}", marks=marks)
    return pytest.param(case, id=case.name, marks=marks)


@pytest.fixture(scope="session")
def corpus_http() -> Iterator[str]:
    """Base URL of the HTTP server over tests/integration/corpus/www/."""
    with http_server() as url:
        yield url


@pytest.fixture(scope="session")
def corpus_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    """The git daemon serving a repository committed from tests/integration/corpus/gitrepo/."""
    with git_server(tmp_path_factory.mktemp("corpus-git")) as server:
        yield server


@pytest.fixture(scope="session")
def corpus(
    engine: EngineInfo, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> CorpusRunner:
    # The buildkitd's share of the corpus builds in the background while the dockerd cases run.
    start_early(request, "test_case_on_buildkitd", "corpus_on_buildkitd")
    # BW_CORPUS_FRESH=1: measure the shared cache on an engine that built the corpus before (see fresh.py).
    fresh = os.environ.get("BW_CORPUS_FRESH", "") not in ("", "0")
    fresh_dir = tmp_path_factory.mktemp("corpus-fresh") if fresh else None
    return CorpusRunner(engine, token=uuid.uuid4().hex[:12], fresh_dir=fresh_dir)


def _server_args(request: pytest.FixtureRequest, kinds: Sequence[str]) -> Mapping[str, str]:
    # Servers start on first use, so a session that builds no such case starts none.
    args: dict[str, str] = {}
    if "http" in kinds:
        args["HTTP_BASE"] = request.getfixturevalue("corpus_http")
    if "git" in kinds:
        git: GitServer = request.getfixturevalue("corpus_git")
        args["GIT_BASE"] = git.url
        args["GIT_COMMIT"] = git.commit
    return args


def test_every_case_is_well_formed() -> None:
    assert CASES, "no corpus cases found"
    problems = [f"{case.name}: {case.problem}" for case in CASES if case.problem is not None]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_case(case: Case, corpus: CorpusRunner, request: pytest.FixtureRequest) -> None:
    run = corpus.run(case, _server_args(request, case.servers))
    if case.expect.fails:
        check_failure(run)
    else:
        check_success(run)


@pytest.fixture(scope="session")
def corpus_on_buildkitd(
    engine: EngineInfo, buildkitd: Buildkitd, request: pytest.FixtureRequest
) -> Iterator[Prefetch[str, BuildkitdCaseRuns]]:
    """Every case on the buildkitd (buildx remote driver, then buildwright over unix and TCP+mTLS),
    a few at a time from the first request on."""
    kinds = {kind for case in CASES for kind in case.servers}
    runner = BuildkitdCorpusRunner(
        engine, buildkitd, remote_builder(engine, buildkitd, tcp=False), _server_args(request, sorted(kinds))
    )
    cases = {case.name: case for case in CASES if case.problem is None}
    prefetch: Prefetch[str, BuildkitdCaseRuns] = Prefetch(list(cases), lambda name: runner.run(cases[name]))
    yield prefetch
    prefetch.close()


@pytest.mark.parametrize(("case", "transport"), [_param(case, t) for case in CASES for t in TRANSPORTS])
def test_case_on_buildkitd(case: Case, transport: str, corpus_on_buildkitd: Prefetch[str, BuildkitdCaseRuns]) -> None:
    run = corpus_on_buildkitd.get(case.name).of(transport)
    if case.expect.fails:
        check_failure(run)
    else:
        check_success(run)


def test_shared_cache_figure(
    corpus: CorpusRunner, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    figure = cache_figure(CASES, lambda case: corpus.run(case, _server_args(request, case.servers)))
    with capsys.disabled():
        print("\n" + figure.render())
    assert figure.measured > 0, figure.render()
    assert figure.percent >= CACHE_THRESHOLD_PERCENT, figure.render()


def test_servers_serve_the_fixtures(corpus_http: str, corpus_git: GitServer, tmp_path: Path) -> None:
    """The servers themselves, so a broken fixture is not mistaken for a builder difference."""
    import subprocess
    import urllib.request

    with urllib.request.urlopen(f"{corpus_http}/hello.txt", timeout=10) as response:
        assert response.read() == (Path(__file__).parent / "corpus" / "www" / "hello.txt").read_bytes()
    listed = subprocess.run(
        ["git", "ls-remote", corpus_git.url], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert f"{corpus_git.commit}\trefs/heads/main" in listed
    assert f"{corpus_git.commit}\trefs/tags/v1" in listed


# --- the harness itself (no engine): it must be able to fail --------------------------------------


def test_invalid_case_files_are_reported(tmp_path: Path) -> None:
    def problem(toml: str, dockerfile: str | None = "FROM busybox:latest\n") -> str | None:
        folder = tmp_path / f"case-{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        if dockerfile is not None:
            (folder / "Dockerfile").write_text(dockerfile)
        (folder / "case.toml").write_text(toml)
        return load_case(folder).problem

    assert problem('summary = "ok"\n') is None
    assert "summary is required" in (problem("target = 'x'\n") or "")
    assert "unknown keys ['colour']" in (problem('summary = "s"\ncolour = "red"\n') or "")
    assert "needs [expect] error" in (problem('summary = "s"\n[expect]\nfails = true\nline = 2\n') or "")
    assert "needs a why" in (problem('summary = "s"\n[expect]\ncache = false\n') or "")
    assert "unknown servers" in (problem('summary = "s"\nservers = ["ftp"]\n') or "")
    assert "Dockerfile Dockerfile is missing" in (problem('summary = "s"\n', dockerfile=None) or "")


def test_steps_leave_out_sources_and_engine_vertices() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events: list[BuildEvent] = [
        VertexQueued("sha256:meta", "[internal] load metadata for docker.io/library/busybox:latest"),
        VertexQueued("sha256:ctx", "[internal] load build context"),
        VertexQueued("sha256:from", "[1/3] FROM docker.io/library/busybox:latest"),
        VertexQueued("sha256:run", "[2/3] RUN true", ("sha256:from",)),
        VertexQueued("sha256:copy", "[3/3] COPY a /a", ("sha256:run", "sha256:ctx")),
        VertexQueued("sha256:export", "exporting to image", ("sha256:copy",)),
        VertexCompleted("sha256:from", "[1/3] FROM docker.io/library/busybox:latest", at, at),
        VertexCached("sha256:run", "[2/3] RUN true"),
        VertexStarted("sha256:copy", "[3/3] COPY a /a", at),
        VertexCompleted("sha256:copy", "[3/3] COPY a /a", at, at),
    ]
    found = steps(events)
    assert [(step.name, step.cached) for step in found] == [("[2/3] RUN true", True), ("[3/3] COPY a /a", False)]
    missed = first_uncached(found)
    assert missed is not None and missed.name == "[3/3] COPY a /a"
    assert first_uncached(found[:1]) is None


def test_error_lines_are_read_from_both_builders() -> None:
    located = DockerfileError("bad", SourceRange("Dockerfile", 4, 5))
    assert error_line(located, "Dockerfile") == 4
    assert error_line(BuildFailed("Dockerfile:7: failed"), "Dockerfile") == 7
    assert error_line(BuildFailed("failed"), "Dockerfile") is None
    output = "#1 DONE\nDockerfile:3\n---\n   3 | >>> FOO\nERROR: failed to solve\nnot Dockerfile:9 here\n"
    assert reference_lines(output, "Dockerfile") == {3}


def test_fresh_copies_start_every_image_stage_with_a_new_step(tmp_path: Path) -> None:
    folder = tmp_path / "basic-x"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM busybox AS a\nRUN true\nfrom --platform=$BUILDPLATFORM a\nFROM scratch\n")
    (folder / "case.toml").write_text('summary = "s"\n')
    copied = fresh_copy(load_case(folder), tmp_path / "fresh", "tok")
    assert copied.dockerfile_path.read_text() == (
        "FROM busybox AS a\nRUN echo tok > /dev/null\nRUN true\n"
        "from --platform=$BUILDPLATFORM a\nRUN echo tok > /dev/null\nFROM scratch\n"
    )
    assert (folder / "Dockerfile").read_text().count("tok") == 0
