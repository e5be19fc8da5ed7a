"""Cache misses explained, on the shared engine: `build --explain` names why each step ran, and
`buildwright explain` predicted it before the build (and exits 1 when something will run).

Every test has its own record folder (XDG_STATE_HOME) and a nonce in each RUN, so other builds
on the shared engine share no cache with these; cache records are pruned only by a filter on that
nonce. RUN steps write a fresh stamp, so a step that runs again makes a new output and what copies
it runs too (the engine would otherwise find it by content, which only a build can tell).
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import buildwright
from buildwright.cachemiss.causes import UNLESS_SAME_CONTENT
from tests.integration.cli import run_cli
from tests.integration.reference import EngineInfo


@dataclass
class Project:
    """A context directory with its record folder and the engine's environment."""

    root: Path
    env: Mapping[str, str]
    nonce: str

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def dockerfile(self, text: str) -> None:
        self.write("Dockerfile", text.replace("NONCE", self.nonce))

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.env, *args)

    def explain(self, *flags: str) -> tuple[int, dict[str, Any]]:
        done = self.cli("explain", "--format", "json", *flags, str(self.root))
        assert done.returncode in (0, 1), done.stderr
        document = json.loads(done.stdout)
        assert document["predicted"] is True
        return done.returncode, document

    def build(self, *flags: str) -> dict[str, Any]:
        done = self.cli("build", "--explain", "--format", "json", "--progress", "quiet", *flags, str(self.root))
        assert done.returncode == 0, done.stderr
        document = json.loads(done.stdout)
        assert document["predicted"] is False
        assert document["image_id"].startswith("sha256:")
        return document

    def predict_then_build(self, *flags: str) -> dict[str, tuple[str, str]]:
        """Predict, build, and check the build ran exactly what was predicted, for the same causes;
        returns the rebuilt steps (label -> (kind, text))."""
        code, predicted = self.explain(*flags)
        built = self.build(*flags)
        want, got = rebuilt(predicted), rebuilt(built)
        # A predicted COPY --from of a step that runs says the engine may find it by content
        # (these tests' RUNs write fresh stamps, so it never does): the rest of the text is the build's.
        hedged = {label for label, (_, text) in want.items() if text.endswith(UNLESS_SAME_CONTENT)}
        want = {label: (kind, text.removesuffix(UNLESS_SAME_CONTENT)) for label, (kind, text) in want.items()}
        assert want == got, f"predicted {want}\nbuilt {got}"
        assert all(" COPY --from=" in _names(built)[label] for label in hedged)
        assert code == (1 if got else 0)
        assert predicted["rebuilt"] == built["rebuilt"] == len(got)
        assert len(predicted["steps"]) == len(built["steps"]) == predicted["rebuilt"] + predicted["cached"]
        return got

    def prune_nonce(self) -> None:
        """Remove the engine's cache records of this project's own steps (and only those)."""
        done = self.cli("prune", "--force", "--all", "--filter", f"description~={self.nonce}")
        assert done.returncode == 0, done.stderr


def _names(document: Mapping[str, Any]) -> dict[str, str]:
    return {step["name"][1:].split("]", 1)[0]: step["name"] for step in document["steps"]}


def rebuilt(document: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The rebuilt steps of an explanation: the bracketed label -> (cause kind, cause text)."""
    out = {}
    for step in document["steps"]:
        assert step["status"] in ("rebuilt", "cached")
        if step["status"] == "rebuilt":
            label = step["name"][1:].split("]", 1)[0]
            out[label] = (step["cause"]["kind"], step["cause"]["text"])
    return out


@pytest.fixture
def project(engine: EngineInfo, tmp_path: Path) -> Iterator[Project]:
    root = tmp_path / "ctx"
    root.mkdir()
    env = {**engine.env, "XDG_STATE_HOME": str(tmp_path / "state")}
    made = Project(root, env, f"bwx{uuid.uuid4().hex[:12]}")
    # What a COPY reads is found by its content, across every build on the engine: the nonce in
    # the copied directories keeps this test's contents its own.
    made.write("src/.nonce", made.nonce)
    made.write("conf/.nonce", made.nonce)
    yield made


MULTISTAGE = """\
FROM busybox:latest AS build
ARG VERSION=1.2
COPY src/ /src/
RUN echo NONCE-build $VERSION && find /src -type f -exec cat {} + > /out.txt && date +%s%N > /stamp
FROM busybox:latest
ENV MODE=fast
COPY --from=build /out.txt /stamp /
RUN echo NONCE-final $MODE && date +%s%N > /final
"""


def _seed(project: Project) -> None:
    project.dockerfile(MULTISTAGE)
    project.write("src/main.c", "x" * 120)
    project.write("README", "not read by any step\n")
    project.build()


def test_a_build_with_no_change_is_cached_and_explain_exits_0(project: Project) -> None:
    project.dockerfile(MULTISTAGE)
    project.write("src/main.c", "x" * 120)
    code, first = project.explain()
    assert code == 1 and first["record"] is False
    assert {kind for kind, _ in rebuilt(first).values()} == {"no-record"}
    project.build()
    code, again = project.explain()
    assert code == 0 and again["rebuilt"] == 0
    assert again["cached"] == len(again["steps"]) == 5
    assert all(step["status"] == "cached" for step in again["steps"])
    text = project.cli("explain", str(project.root))
    assert text.returncode == 0, text.stderr
    assert text.stdout.endswith("all 5 steps are cached\n")
    assert text.stdout.count("\ncached    [") == 4 and text.stdout.startswith("cached    [build 1/3] FROM ")
    assert project.predict_then_build() == {}


def test_a_changed_file_under_a_copy_source(project: Project) -> None:
    _seed(project)
    project.write("src/main.c", "y" * 131)
    assert project.predict_then_build() == {
        "build 2/3": ("files", "src/main.c changed (size 120 -> 131)"),
        "build 3/3": ("parent", "after [build 2/3]"),
        "stage-1 2/3": ("parent", "after [build 3/3]"),
        "stage-1 3/3": ("parent", "after [stage-1 2/3]"),
    }
    # Same size, new content.
    project.write("src/main.c", "z" * 131)
    assert project.predict_then_build()["build 2/3"] == ("files", "src/main.c changed (content)")
    # Touched only: the engine checks content, so nothing runs.
    (project.root / "src" / "main.c").touch()
    assert project.predict_then_build() == {}


def test_files_added_under_a_copied_directory(project: Project) -> None:
    _seed(project)
    project.write("src/lib/a.c", "a")
    project.write("src/lib/b.c", "b")
    project.write("src/util.h", "h")
    assert project.predict_then_build()["build 2/3"] == ("files", "3 files added under src/")
    (project.root / "src" / "util.h").unlink()
    assert project.predict_then_build()["build 2/3"] == ("files", "src/util.h removed")


def test_files_no_step_reads_change_nothing(project: Project) -> None:
    _seed(project)
    project.write("README", "edited\n")
    assert project.predict_then_build() == {}
    # An ignored file under a copied directory is never sent: no rebuild either.
    project.write(".dockerignore", "src/*.tmp\n")
    project.write("src/scratch.tmp", "ignored")
    assert project.predict_then_build() == {}
    project.write("src/scratch.tmp", "ignored and edited")
    assert project.predict_then_build() == {}


def test_a_base_image_that_moved(project: Project, engine: EngineInfo) -> None:
    base = f"bw-explain-base-{project.nonce}:1"
    engine.docker("tag", "busybox:latest", base)
    try:
        project.dockerfile(f"FROM {base}\nRUN echo NONCE-on-base && date +%s%N > /stamp\n")
        project.build()
        old = engine.docker("image", "inspect", "--format", "{{.Id}}", base).stdout.decode().strip()
        other = project.root.parent / "other"
        other.mkdir()
        (other / "Dockerfile").write_text(f"FROM busybox:latest\nRUN echo {project.nonce}-other > /other\n")
        retag = project.cli("build", "-q", "-t", base, str(other))
        assert retag.returncode == 0, retag.stderr
        new = engine.docker("image", "inspect", "--format", "{{.Id}}", base).stdout.decode().strip()
        assert new != old
        causes = project.predict_then_build()
        assert causes["1/2"] == ("base-image", f"{base} now {new} was {old}")
        assert causes["2/2"] == ("parent", "after [1/2]")
        assert project.predict_then_build() == {}
    finally:
        engine.docker("rmi", base, check=False)


def test_a_changed_build_arg_and_env(project: Project) -> None:
    _seed(project)
    assert project.predict_then_build("--build-arg", "VERSION=1.3") == {
        "build 3/3": ("build-arg", "ARG VERSION=1.2 -> 1.3"),
        "stage-1 2/3": ("parent", "after [build 3/3]"),
        "stage-1 3/3": ("parent", "after [stage-1 2/3]"),
    }
    assert project.predict_then_build("--build-arg", "VERSION=1.3") == {}
    project.dockerfile(MULTISTAGE.replace("MODE=fast", "MODE=slow"))
    assert project.predict_then_build("--build-arg", "VERSION=1.3") == {
        "stage-1 3/3": ("env", "ENV MODE=fast -> slow"),
    }


def test_an_edited_instruction_and_an_inserted_step(project: Project) -> None:
    _seed(project)
    project.dockerfile(MULTISTAGE.replace("NONCE-final $MODE", "NONCE-final edited $MODE"))
    old = f"RUN echo {project.nonce}-final $MODE && date +%s%N > /final"
    new = f"RUN echo {project.nonce}-final edited $MODE && date +%s%N > /final"
    assert project.predict_then_build() == {
        "stage-1 3/3": ("instruction", f"instruction edited: {old!r} -> {new!r}"),
    }
    inserted = MULTISTAGE.replace("ENV MODE=fast\n", "ENV MODE=fast\nRUN echo NONCE-inserted > /ins\n")
    project.dockerfile(inserted)
    assert project.predict_then_build() == {
        "stage-1 2/4": ("new-step", "new step"),
        "stage-1 3/4": ("parent", "after [stage-1 2/4]"),
        "stage-1 4/4": ("parent", "after [stage-1 3/4]"),
    }


def test_a_parent_step_that_rebuilt(project: Project) -> None:
    project.dockerfile(
        "FROM busybox:latest AS deps\nRUN echo NONCE-deps-1 && date +%s%N > /deps\n"
        "RUN echo NONCE-deps-2 && date +%s%N > /deps2\n"
        "FROM busybox:latest\nCOPY --from=deps /deps /deps2 /\nRUN echo NONCE-use && date +%s%N > /use\n"
    )
    project.build()
    text = project.cli("build", "--explain", "--progress", "quiet", str(project.root))
    assert text.returncode == 0 and text.stdout.endswith("all 5 steps came from the cache\n"), text.stdout
    project.dockerfile(
        "FROM busybox:latest AS deps\nRUN echo NONCE-deps-1b && date +%s%N > /deps\n"
        "RUN echo NONCE-deps-2 && date +%s%N > /deps2\n"
        "FROM busybox:latest\nCOPY --from=deps /deps /deps2 /\nRUN echo NONCE-use && date +%s%N > /use\n"
    )
    causes = project.predict_then_build()
    assert causes["deps 2/3"][0] == "instruction"
    assert causes["deps 3/3"] == ("parent", "after [deps 2/3]")
    assert causes["stage-1 2/3"] == ("parent", "after [deps 3/3]")
    assert causes["stage-1 3/3"] == ("parent", "after [stage-1 2/3]")


def test_no_cache_and_the_no_cache_filter(project: Project) -> None:
    _seed(project)
    everything = project.predict_then_build("--no-cache")
    assert set(everything) == {"build 2/3", "build 3/3", "stage-1 2/3", "stage-1 3/3"}
    assert set(everything.values()) == {("no-cache", "--no-cache")}
    assert project.predict_then_build() == {}
    assert project.predict_then_build("--no-cache-filter", "build") == {
        "build 2/3": ("no-cache", "--no-cache-filter"),
        "build 3/3": ("no-cache", "--no-cache-filter"),
        "stage-1 2/3": ("parent", "after [build 3/3]"),
        "stage-1 3/3": ("parent", "after [stage-1 2/3]"),
    }


def test_a_cache_the_engine_no_longer_holds(project: Project) -> None:
    _seed(project)
    assert project.explain()[0] == 0
    project.prune_nonce()
    causes = project.predict_then_build()
    gone = "same step as last build, but the engine no longer holds its cache (pruned or evicted)"
    # Both RUNs' records are gone (their text has the nonce); the engine runs every step above
    # the final one again, from the first step after the sources.
    assert causes == {
        "build 2/3": ("cache-gone", gone),
        "build 3/3": ("parent", "after [build 2/3]"),
        "stage-1 2/3": ("parent", "after [build 3/3]"),
        "stage-1 3/3": ("parent", "after [stage-1 2/3]"),
    }
    assert project.predict_then_build() == {}


def test_live_causes_in_the_plain_progress(project: Project) -> None:
    _seed(project)
    project.write("src/main.c", "w" * 7)
    done = project.cli("build", "--explain", "--progress", "plain", str(project.root))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    starts = {line.split(" ", 1)[0]: line for line in lines if " [build 2/3] COPY src/" in line}
    assert starts, done.stderr
    number = next(iter(starts))
    assert f"{number} RUNS BECAUSE src/main.c changed (size 120 -> 7)" in lines, done.stderr
    # After the build, the text explanation on stdout.
    assert "rebuilt   [build 2/3] COPY src/ /src/ (Dockerfile:3): src/main.c changed (size 120 -> 7)" in done.stdout


def test_a_multi_platform_build_keeps_a_record_per_platform(project: Project) -> None:
    # COPY steps only: no RUN needs an emulator for the second platform. Each platform's steps
    # are named after it and compared with that platform's record.
    project.dockerfile("FROM busybox:latest\nCOPY src/ /src/\nCOPY conf/ /conf/\n")
    project.write("conf/app.conf", "a=1\n")
    flags = ("--platform", "linux/amd64,linux/arm64")

    def build() -> dict[str, Any]:
        done = project.cli(
            "build", "--explain", "--format", "json", "--progress", "quiet", "--output", "type=cacheonly",
            *flags, str(project.root),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    first = build()
    assert first["record"] is False
    folder = Path(project.env["XDG_STATE_HOME"]) / "buildwright" / "builds"
    assert len([p for p in folder.glob("*.json") if not p.name.endswith(".files.json")]) == 2
    code, same = project.explain(*flags)
    assert code == 0 and same["cached"] == len(same["steps"]) == 6
    project.write("conf/app.conf", "a=22\n")
    code, predicted = project.explain(*flags)
    built = build()
    want = {
        f"{platform} 3/3": ("files", "conf/app.conf changed (size 4 -> 5)")
        for platform in ("linux/amd64", "linux/arm64")
    }
    assert code == 1 and rebuilt(predicted) == rebuilt(built) == want
    assert project.explain(*flags)[0] == 0


def test_no_secret_value_in_a_record(project: Project, tmp_path: Path) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(canary)
    env_canary = f"envcanary-{uuid.uuid4().hex}"
    project.dockerfile(
        "FROM busybox:latest\n"
        "RUN --mount=type=secret,id=tok,required echo NONCE-file && sha256sum /run/secrets/tok > /sum\n"
        "RUN --mount=type=secret,id=envtok,env=TOKEN,required echo NONCE-env && echo ${#TOKEN} > /len\n"
    )
    flags = ("--secret", f"id=tok,src={secret_file}", "--secret", "id=envtok,env=BW_EXPLAIN_CANARY")
    project.env = {**project.env, "BW_EXPLAIN_CANARY": env_canary}
    project.build(*flags)
    secret_file.write_text(canary + "-changed")
    # Secrets are not part of the cache key: nothing runs again, and nothing names them.
    code, predicted = project.explain(*flags)
    built = project.build(*flags)
    assert code == 0 and rebuilt(built) == {}
    folder = Path(project.env["XDG_STATE_HOME"]) / "buildwright" / "builds"
    records = list(folder.glob("*.json"))
    # One record, and the context entries beside it.
    assert len(records) == 2 and len(list(folder.glob("*.files.json"))) == 1
    for path in records:
        text = path.read_text()
        assert canary not in text and env_canary not in text
    main = next(path for path in records if not path.name.endswith(".files.json"))
    assert "tok" in main.read_text()  # the record holds the step, mount id and all
    assert canary not in json.dumps(predicted) and canary not in json.dumps(built)


def test_the_python_api_returns_typed_explanations(
    project: Project, engine: EngineInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", project.env["XDG_STATE_HOME"])
    options = buildwright.EngineOptions(env=engine.env)
    project.dockerfile(MULTISTAGE)
    project.write("src/main.c", "x" * 120)
    first = buildwright.build(project.root, engine=options, explain=True)
    assert isinstance(first.explanation, buildwright.Explanation)
    assert first.explanation.has_record is False
    prediction = buildwright.explain(project.root, engine=options, build_args={"VERSION": "2"})
    assert isinstance(prediction, buildwright.Explanation)
    assert all(isinstance(step, buildwright.StepExplanation) for step in prediction.steps)
    assert prediction.predicted and prediction.exit_code == 1
    cause = prediction.cause_of("[build 3/3]")
    assert isinstance(cause, buildwright.Cause)
    assert cause.kind is buildwright.CauseKind.BUILD_ARG
    assert cause.text == "ARG VERSION=1.2 -> 2"
    result = buildwright.build(project.root, engine=options, build_args={"VERSION": "2"}, explain=True)
    assert result.explanation is not None and not result.explanation.predicted

    # The same steps for the same causes (digests differ: each build has its own session); the
    # predicted COPY --from says the engine may find it by content.
    def causes(explained: buildwright.Explanation) -> list[tuple[str, str, str]]:
        return [
            (s.name, s.cause.kind.value, s.cause.text.removesuffix(UNLESS_SAME_CONTENT))
            for s in explained.rebuilt
            if s.cause is not None
        ]

    hedged = prediction.cause_of("[stage-1 2/3]")
    assert hedged is not None and hedged.text == "after [build 3/3]" + UNLESS_SAME_CONTENT

    assert causes(result.explanation) == causes(prediction)
    assert len(causes(prediction)) == len(prediction.rebuilt) == 3
    # Without explain=True the record is still kept, and no explanation is made.
    quiet = buildwright.build(project.root, engine=options, build_args={"VERSION": "2"})
    assert quiet.explanation is None
    assert buildwright.explain(project.root, engine=options, build_args={"VERSION": "2"}).exit_code == 0


SCENARIO = """\
FROM BASE AS a
COPY src/ /src/
RUN --mount=type=bind,source=conf,target=/conf echo NONCE-a && cat /conf/* > /a && date +%s%N >> /a
FROM busybox:latest AS b
ARG LEVEL=1
RUN echo NONCE-b $LEVEL && date +%s%N > /b
FROM busybox:latest
ENV MODE=fast
COPY --from=a /a /a
COPY --from=b /b /b
RUN echo NONCE-final $MODE && date +%s%N > /final
"""


def test_predictions_match_the_builds_over_scripted_changes(project: Project, engine: EngineInfo) -> None:
    """Twenty changes in a row: each is predicted, then built, and the build ran what was
    predicted, for the same causes (Project.predict_then_build)."""
    base = f"bw-explain-scenario-{project.nonce}:1"
    engine.docker("tag", "busybox:latest", base)
    text = SCENARIO.replace("BASE", base)
    try:
        project.dockerfile(text)
        project.write("src/main.c", "main")
        project.write("conf/app.conf", "level=1")
        project.write("notes.txt", "unread")
        seen: dict[str, dict[str, tuple[str, str]]] = {}

        def step(name: str, *flags: str) -> dict[str, tuple[str, str]]:
            seen[name] = project.predict_then_build(*flags)
            return seen[name]

        # With no record, whether the engine has a base image is unknown (the build tells); the
        # rest runs for want of a record.
        code, first = project.explain()
        assert code == 1 and {kind for kind, _ in rebuilt(first).values()} == {"no-record"}
        built = project.build()
        # (A step without the nonce, like the COPY, may come from another build's cache.)
        froms = {s["name"][1:].split("]")[0] for s in built["steps"] if s["instruction"].startswith("FROM")}
        assert set(rebuilt(built)) <= set(rebuilt(first)) | froms
        assert {"a 3/3", "b 2/2", "stage-2 4/4"} <= set(rebuilt(built))
        assert step("no change") == {}
        project.write("src/main.c", "main, longer")
        assert step("file edited")["a 2/3"] == ("files", "src/main.c changed (size 4 -> 12)")
        project.write("src/main.c", "main, LONGER")
        assert step("same size, new content")["a 2/3"] == ("files", "src/main.c changed (content)")
        (project.root / "src" / "main.c").touch()
        assert step("touched") == {}
        project.write("src/extra/one.c", "1")
        project.write("src/extra/two.c", "2")
        assert step("files added")["a 2/3"] == ("files", "2 files added under src/")
        (project.root / "src" / "extra" / "two.c").unlink()
        assert step("file removed")["a 2/3"] == ("files", "src/extra/two.c removed")
        project.write("notes.txt", "still unread, edited")
        assert step("unread file edited") == {}
        project.write(".dockerignore", "src/*.tmp\n")
        assert step("dockerignore added") == {}
        project.write("src/cache.tmp", "ignored")
        assert step("ignored file added") == {}
        project.write("src/cache.tmp", "ignored, edited")
        assert step("ignored file edited") == {}
        project.write("conf/app.conf", "level=2")
        assert step("bind-mounted file edited")["a 3/3"] == ("files", "conf/app.conf changed (content)")
        assert step("build arg", "--build-arg", "LEVEL=2")["b 2/2"] == ("build-arg", "ARG LEVEL=1 -> 2")
        text = text.replace("MODE=fast", "MODE=slow")
        project.dockerfile(text)
        assert step("env", "--build-arg", "LEVEL=2") == {"stage-2 4/4": ("env", "ENV MODE=fast -> slow")}
        text = text.replace("NONCE-final $MODE", "NONCE-final edited $MODE")
        project.dockerfile(text)
        assert step("instruction edited", "--build-arg", "LEVEL=2")["stage-2 4/4"][0] == "instruction"
        text = text.replace("ARG LEVEL=1\n", "ARG LEVEL=1\nRUN echo NONCE-b-setup > /setup\n")
        project.dockerfile(text)
        added = step("step inserted", "--build-arg", "LEVEL=2")
        assert added["b 2/3"] == ("new-step", "new step") and added["b 3/3"] == ("parent", "after [b 2/3]")
        head, stage_b = (
            text.split("FROM busybox:latest AS b\n")[0],
            "FROM busybox:latest AS b\n"
            + text.split("FROM busybox:latest AS b\n")[1].split("FROM busybox:latest\n")[0],
        )
        final = "FROM busybox:latest\n" + text.split("FROM busybox:latest\n", 2)[-1]
        project.dockerfile(stage_b + head + final)
        assert step("stages reordered", "--build-arg", "LEVEL=2") == {}
        filtered = step("no-cache-filter", "--build-arg", "LEVEL=2", "--no-cache-filter", "b")
        assert filtered["b 2/3"] == ("no-cache", "--no-cache-filter") and "a 2/3" not in filtered
        everything = step("no-cache", "--build-arg", "LEVEL=2", "--no-cache")
        assert {kind for kind, _ in everything.values()} == {"no-cache"}
        # The final RUN's records (its command has the nonce and "final"): the last step is a leaf.
        done = project.cli("prune", "--force", "--all", "--filter", f"description~={project.nonce}-final")
        assert done.returncode == 0, done.stderr
        pruned = step("cache pruned", "--build-arg", "LEVEL=2")
        assert "cache-gone" in {kind for kind, _ in pruned.values()}, pruned
        retag = project.root.parent / "retag"
        retag.mkdir()
        (retag / "Dockerfile").write_text(f"FROM busybox:latest\nRUN echo {project.nonce}-moved > /moved\n")
        assert project.cli("build", "-q", "-t", base, str(retag)).returncode == 0
        moved = step("base image moved", "--build-arg", "LEVEL=2")
        assert moved["a 1/3"][0] == "base-image" and moved["a 2/3"] == ("parent", "after [a 1/3]")
        assert "b 2/3" not in moved
        assert step("no change at the end", "--build-arg", "LEVEL=2") == {}
        assert len(seen) >= 20
    finally:
        engine.docker("rmi", base, check=False)
