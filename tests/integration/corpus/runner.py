"""Running corpus cases: buildx first, then buildwright, on the same engine and with the same inputs;
then the checks (same image, or both reject it with a located error) and the shared-cache figure.

One run per case serves both the comparison and the cache measurement: buildx builds the case first,
so every step buildwright then reports as CACHED is a step whose cache key (its LLB) is the reference
frontend's. Runs are memoised per session, so the figure reuses the per-case builds.
"""

from __future__ import annotations

import re
import string
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import buildwright
from buildwright.client.events import (
    BuildEvent,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexQueued,
    VertexStarted,
)
from buildwright.errors import BuildFailed, BuildwrightError, DockerfileError
from tests.integration.corpus.cases import Case
from tests.integration.corpus.fresh import fresh_copy
from tests.integration.reference import (
    EngineInfo,
    ImageSnapshot,
    assert_same_image,
    buildx_build,
    snapshot_image,
)

CACHE_THRESHOLD_PERCENT: Final = 90.0

# Vertices that are not Dockerfile steps: the engine's own work, the export, base image metadata.
_NOT_STEPS: Final = ("[internal]", "[auth]", "exporting", "naming to", "unpacking", "writing image", "load metadata")
# A named context that is not an image or a stage is a source vertex too; the pattern keeps its report readable.
_CONTEXT_SOURCE: Final = re.compile(r"^\[context [^\]]+\] ")
_CLI_TIMEOUT_S: Final = 600
_LOG_TAIL: Final = 40


@dataclass(frozen=True, slots=True)
class ReferenceBuild:
    """What buildx did: exit status and its `--progress=plain` output."""

    ok: bool
    output: str
    seconds: float


@dataclass(frozen=True, slots=True)
class OurBuild:
    """What buildwright did through the API: the exception it raised (if any) and every event it reported."""

    error: BaseException | None
    error_traceback: str
    events: tuple[BuildEvent, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class CaseRun:
    """One case built by both builders. `not_run` says why buildwright was not asked at all."""

    case: Case
    reference: ReferenceBuild | None
    ours: OurBuild | None
    reference_image: ImageSnapshot | None
    our_image: ImageSnapshot | None
    cli: subprocess.CompletedProcess[str] | None
    not_run: str | None = None
    snapshot_error: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """A Dockerfile step as buildwright's progress reported it; `started` is None for a cached step."""

    name: str
    cached: bool
    started: datetime | None = None


class CorpusRunner:
    """Builds cases on the engine, once each per session; image tags carry the session's token so
    concurrent runs by other engineers never overwrite each other's images."""

    def __init__(self, engine: EngineInfo, token: str, *, fresh_dir: Path | None = None) -> None:
        """With `fresh_dir`, success cases are built from fresh copies made there (see fresh.py)."""
        self._engine = engine
        self._token = token
        self._fresh_dir = fresh_dir
        self._runs: dict[str, CaseRun] = {}

    def run(self, case: Case, server_args: Mapping[str, str]) -> CaseRun:
        """Builds `case` (once per session); `server_args` are the HTTP_BASE/GIT_BASE/... it asked for."""
        if case.name not in self._runs:
            self._runs[case.name] = self._build(case, server_args)
        return self._runs[case.name]

    def _build(self, case: Case, server_args: Mapping[str, str]) -> CaseRun:
        if case.problem is not None:
            raise AssertionError(f"invalid case {case.name}: {case.problem}")
        build_args = {**server_args, **_substituted(case.build_args, server_args)}
        contexts = {name: _context_value(case, value, server_args) for name, value in case.build_contexts.items()}
        built = case
        if self._fresh_dir is not None and case.counts_for_cache:
            built = fresh_copy(case, self._fresh_dir, self._token)
        reference_tag = f"bw-corpus/{case.name}:{self._token}-buildx"
        our_tag = f"bw-corpus/{case.name}:{self._token}-buildwright"

        reference = self._buildx(built, reference_tag, build_args, contexts)
        ours = self._buildwright(built, our_tag, build_args, contexts)
        reference_image = our_image = None
        snapshot_error = None
        cli = None
        try:
            if reference.ok and ours.ok and not case.expect.fails:
                reference_image = snapshot_image(self._engine, reference_tag)
                our_image = snapshot_image(self._engine, our_tag)
        except Exception as exc:
            # Kept with the run (runs are memoised): the case fails with it, the cache figure still counts.
            snapshot_error = "".join(traceback.format_exception(exc))
        finally:
            for tag in (reference_tag, our_tag):
                self._engine.docker("image", "rm", "--force", tag, check=False)
        if case.expect.fails and not contexts and not case.labels and not case.platform:
            cli = self._cli(case, build_args)
        return CaseRun(case, reference, ours, reference_image, our_image, cli, snapshot_error=snapshot_error)

    def _buildx(
        self, case: Case, tag: str, build_args: Mapping[str, str], contexts: Mapping[str, str]
    ) -> ReferenceBuild:
        extra: list[str] = []
        for name, value in sorted(contexts.items()):
            extra += ["--build-context", f"{name}={value}"]
        for key, value in sorted(case.labels.items()):
            extra += ["--label", f"{key}={value}"]
        if case.platform:
            extra += ["--platform", case.platform]
        started = time.monotonic()
        done = buildx_build(
            self._engine,
            case.folder,
            tag=tag,
            dockerfile=case.dockerfile_path if case.dockerfile else None,
            target=case.target,
            build_args=build_args,
            extra_args=extra,
            check=False,
        )
        return ReferenceBuild(ok=done.returncode == 0, output=done.stderr, seconds=time.monotonic() - started)

    def _buildwright(
        self, case: Case, tag: str, build_args: Mapping[str, str], contexts: Mapping[str, str]
    ) -> OurBuild:
        events: list[BuildEvent] = []
        options: dict[str, Any] = {}
        if contexts:
            options["build_contexts"] = contexts
        if case.labels:
            options["labels"] = case.labels
        if case.platform:
            options["platform"] = case.platform
        started = time.monotonic()
        error: BaseException | None = None
        error_traceback = ""
        try:
            buildwright.build(
                case.folder,
                dockerfile=case.dockerfile_path if case.dockerfile else None,
                tags=[tag],
                target=case.target,
                build_args=build_args,
                engine=buildwright.EngineOptions(env=self._engine.env),
                on_event=events.append,
                **options,
            )
        except Exception as exc:
            error = exc
            error_traceback = "".join(traceback.format_exception(exc))
        return OurBuild(error, error_traceback, tuple(events), time.monotonic() - started)

    def _cli(self, case: Case, build_args: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "buildwright", "build", "--progress", "quiet"]
        if case.dockerfile:
            command += ["--file", str(case.dockerfile_path)]
        if case.target:
            command += ["--target", case.target]
        for key, value in sorted(build_args.items()):
            command += ["--build-arg", f"{key}={value}"]
        command.append(str(case.folder))
        return subprocess.run(
            command, env=dict(self._engine.env), capture_output=True, text=True, timeout=_CLI_TIMEOUT_S, check=False
        )


def _substituted(values: Mapping[str, str], server_args: Mapping[str, str]) -> dict[str, str]:
    # Only cases that ask for servers get $HTTP_BASE / $GIT_BASE / $GIT_COMMIT replaced in their values.
    if not server_args:
        return dict(values)
    return {key: string.Template(value).safe_substitute(server_args) for key, value in values.items()}


def _context_value(case: Case, value: str, server_args: Mapping[str, str]) -> str:
    value = _substituted({"v": value}, server_args)["v"]
    # A value without a scheme is a directory, relative to the case folder (buildx reads it from its cwd).
    if "://" in value or value.startswith(("target:", "git@")):
        return value
    return str((case.folder / value).resolve())


# --- checks -------------------------------------------------------------------------------------------


def check_success(run: CaseRun) -> None:
    """Both built it, and the images are the same."""
    case, reference, ours = run.case, run.reference, run.ours
    assert reference is not None and ours is not None
    if not reference.ok:
        raise AssertionError(
            f"{_title(case)}\nthe reference builder rejected a case expected to build "
            f"(fix the case, or set [expect] fails):\n{_tail(reference.output)}"
        )
    if not ours.ok:
        raise AssertionError(f"{_title(case)}\nbuildx built it, buildwright failed:\n{describe_error(ours)}")
    if run.snapshot_error is not None:
        raise AssertionError(f"{_title(case)}\nboth built it; reading the images failed:\n{run.snapshot_error}")
    assert run.reference_image is not None and run.our_image is not None
    try:
        assert_same_image(run.reference_image, run.our_image)
    except AssertionError as exc:
        raise AssertionError(f"{_title(case)}\n{exc}") from None


def check_failure(run: CaseRun) -> None:
    """Both rejected it; buildwright's error is a BuildwrightError with the expected text and line."""
    case, reference, ours = run.case, run.reference, run.ours
    assert reference is not None and ours is not None
    expect = case.expect
    problems: list[str] = []
    if reference.ok:
        problems.append("the reference builder accepted it (the case expects a failure)")
    else:
        named = reference_lines(reference.output, case.dockerfile_path.name)
        if named and expect.line not in named:
            wanted = f"line {expect.line}" if expect.line else "no line"
            problems.append(f"the reference error names line(s) {sorted(named)}, the case expects {wanted}")
    if ours.ok:
        problems.append("buildwright built it")
    elif not isinstance(ours.error, BuildwrightError):
        problems.append(f"buildwright raised {type(ours.error).__name__}, not a BuildwrightError (a traceback)")
    else:
        text = str(ours.error)
        if expect.error not in text:
            problems.append(f"buildwright's error does not contain {expect.error!r}")
        named_line = error_line(ours.error, case.dockerfile_path.name)
        if named_line != (expect.line or None):
            problems.append(f"buildwright's error names line {named_line}, expected {expect.line or None}")
    if run.cli is not None:
        problems.extend(_cli_problems(run.cli))
    if problems:
        raise AssertionError(
            "\n".join(
                [
                    _title(case),
                    *("- " + problem for problem in problems),
                    "buildwright:",
                    describe_error(ours),
                    "buildx:",
                    _tail(reference.output, 15),
                ]
            )
        )


def error_line(error: BaseException, filename: str) -> int | None:
    """The Dockerfile line an error points at: its location, else `Dockerfile:N` in its message."""
    location = getattr(error, "location", None) if isinstance(error, DockerfileError | BuildFailed) else None
    if location is not None:
        start: int = location.start_line
        return start
    found = re.search(rf"(?<![\w/.-]){re.escape(filename)}:(\d+)", str(error))
    return int(found.group(1)) if found else None


def reference_lines(output: str, filename: str) -> set[int]:
    """Lines buildx's error snippet names (`Dockerfile:N` alone on a line, or `Dockerfile:N-M`)."""
    named: set[int] = set()
    for match in re.finditer(rf"^{re.escape(filename)}:(\d+)(?:-(\d+))?\s*$", output, flags=re.MULTILINE):
        named.add(int(match.group(1)))
    return named


def describe_error(ours: OurBuild | None) -> str:
    if ours is None or ours.error is None:
        return "  (no error)"
    error = ours.error
    if not isinstance(error, BuildwrightError):
        return ours.error_traceback
    lines = [f"  {type(error).__name__}: {error}"]
    if isinstance(error, BuildFailed):
        lines += [f"  step: {error.vertex}", f"  location: {error.location}"]
        lines += ["  | " + line for line in error.log_tail[-_LOG_TAIL:]]
    return "\n".join(lines)


def _cli_problems(cli: subprocess.CompletedProcess[str]) -> list[str]:
    problems = []
    if cli.returncode != 1:
        problems.append(f"the CLI exited with {cli.returncode}, expected 1")
    if "Traceback" in cli.stderr:
        problems.append("the CLI printed a traceback:\n" + _tail(cli.stderr, 20))
    first = next((line for line in cli.stderr.splitlines() if line.strip()), "")
    if not first.startswith("ERROR: "):
        problems.append(f"the CLI's first stderr line is not 'ERROR: ...': {first!r}")
    return problems


def _title(case: Case) -> str:
    return f"case {case.name} ({case.folder}): {case.summary}"


def _tail(text: str, lines: int = _LOG_TAIL) -> str:
    return "\n".join("  | " + line for line in text.splitlines()[-lines:])


# --- the shared-cache figure ------------------------------------------------------------------------------


def steps(events: Sequence[BuildEvent]) -> tuple[Step, ...]:
    """Dockerfile steps in the order the engine first reported them, each cached or not.

    Source vertices (no inputs: the base image, the build context, a URL or git checkout) are left
    out: the engine resolves them on every build, and the steps reading them are keyed by their
    content, so those steps say whether the cache was shared.
    """
    order: list[str] = []
    names: dict[str, str] = {}
    inputs: dict[str, tuple[str, ...]] = {}
    cached: set[str] = set()
    started: dict[str, datetime] = {}
    for event in events:
        if isinstance(event, VertexQueued):
            order.append(event.digest)
            names[event.digest] = event.name
            inputs[event.digest] = event.inputs
        elif isinstance(event, VertexCached):
            cached.add(event.digest)
        elif isinstance(event, VertexStarted | VertexCompleted) and event.started is not None:
            started.setdefault(event.digest, event.started)
        elif isinstance(event, VertexFailed):
            cached.discard(event.digest)
    return tuple(
        Step(names[digest], digest in cached, None if digest in cached else started.get(digest))
        for digest in order
        if inputs[digest] and names[digest] and not _is_engine_vertex(names[digest])
    )


def first_uncached(found: Sequence[Step]) -> Step | None:
    """The step that ran first (the others may only have missed the cache because of it)."""
    missed = [step for step in found if not step.cached]
    if not missed:
        return None
    return min(missed, key=lambda step: (step.started is None, step.started or datetime.min))


def _is_engine_vertex(name: str) -> bool:
    return name.startswith(_NOT_STEPS) or bool(_CONTEXT_SOURCE.match(name))


@dataclass(frozen=True, slots=True)
class CacheFigure:
    """How many measured cases buildwright found entirely in the cache buildx had just filled."""

    shared: tuple[str, ...]
    differing: tuple[tuple[str, str], ...]  # case, first step not cached
    unmeasured: tuple[tuple[str, str], ...]  # case, why nothing could be measured
    excluded: tuple[tuple[str, str], ...]  # case, the case's own reason (cache = false)
    buildx_seconds: float = 0.0
    buildwright_seconds: float = 0.0

    @property
    def measured(self) -> int:
        return len(self.shared) + len(self.differing)

    @property
    def percent(self) -> float:
        return 100.0 * len(self.shared) / self.measured if self.measured else 0.0

    def render(self) -> str:
        lines = [
            f"shared cache: {len(self.shared)}/{self.measured} cases = {self.percent:.1f}% "
            f"(every step CACHED for buildwright after buildx built the case; threshold {CACHE_THRESHOLD_PERCENT}%)",
            f"build time over these cases: buildx {self.buildx_seconds:.1f} s, "
            f"buildwright {self.buildwright_seconds:.1f} s (from cache)",
        ]
        if self.differing:
            lines.append("cases with a step buildwright did not find in cache (first such step):")
            lines += [f"  {case}: {step}" for case, step in self.differing]
        if self.unmeasured:
            lines.append("not measured:")
            lines += [f"  {case}: {why}" for case, why in self.unmeasured]
        if self.excluded:
            lines.append("excluded (cache = false):")
            lines += [f"  {case}: {why}" for case, why in self.excluded]
        return "\n".join(lines)


def cache_figure(cases: Sequence[Case], run_of: Callable[[Case], CaseRun]) -> CacheFigure:
    """The figure over the success cases; `run_of` is only called for the cases it counts."""
    shared: list[str] = []
    differing: list[tuple[str, str]] = []
    unmeasured: list[tuple[str, str]] = []
    excluded: list[tuple[str, str]] = []
    seconds = [0.0, 0.0]
    for case in cases:
        if case.expect.fails or case.problem is not None:
            continue
        if not case.expect.cache:
            excluded.append((case.name, case.expect.why))
            continue
        run = run_of(case)
        if run.reference is not None:
            seconds[0] += run.reference.seconds
        if run.ours is not None:
            seconds[1] += run.ours.seconds
        if run.not_run is not None:
            unmeasured.append((case.name, run.not_run))
        elif run.reference is None or not run.reference.ok:
            unmeasured.append((case.name, "buildx did not build it"))
        elif run.ours is None or run.ours.error is not None:
            why = type(run.ours.error).__name__ if run.ours else "not run"
            unmeasured.append((case.name, f"buildwright did not build it ({why})"))
        else:
            first = first_uncached(steps(run.ours.events))
            if first is None:
                shared.append(case.name)
            else:
                differing.append((case.name, first.name))
    return CacheFigure(tuple(shared), tuple(differing), tuple(unmeasured), tuple(excluded), seconds[0], seconds[1])
