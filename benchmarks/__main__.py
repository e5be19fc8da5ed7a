"""Runs the workloads of benchmarks/workloads.py with buildwright and `docker buildx build` on the same
engine, alternating the two builders run by run, and prints one table row per workload (medians,
spread, client CPU, peak client RSS, ratio) plus a JSON file with every sample.

The engine is the one `scripts/engine.sh env` names (dockerd with its BuildKit). Nothing is pruned:
cold runs are made cold by fresh nonces and fresh context folder names (see workloads.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.compare import compare_images, compare_tars
from benchmarks.hotspots import Profile, profile_of
from benchmarks.measure import CommandFailed, Sample, run_timed
from benchmarks.workloads import WORKLOADS, Output, Workload

REPO = Path(__file__).resolve().parent.parent
BUILDERS = ("buildwright", "buildx")
# Bumped when a generator changes, so stale generated contexts are rebuilt.
GENERATOR_VERSION = "1"


@dataclass(slots=True)
class Tools:
    buildwright: str
    docker: str
    env: Mapping[str, str]
    work: Path


@dataclass(slots=True)
class Outcome:
    workload: Workload
    samples: dict[str, list[Sample]] = field(default_factory=lambda: {b: [] for b in BUILDERS})
    check: str = ""  # "" = same result
    check_note: str = ""
    error: str = ""
    # Where buildwright's time goes (one untimed profiled run), or why there is no profile.
    profile: Profile | str | None = None

    def misses_goal(self) -> bool:
        if self.error:
            return False
        ours, theirs = (statistics.median(s.wall_s for s in self.samples[b]) for b in BUILDERS)
        return ours / theirs > self.workload.goal


def engine_env() -> dict[str, str]:
    printed = subprocess.run(
        ["bash", str(REPO / "scripts" / "engine.sh"), "env"], capture_output=True, text=True, check=True
    ).stdout
    env = dict(os.environ)
    for line in printed.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, _, value = words[1].partition("=")
            env[name] = value
    # Both builders must pick the engine's dockerd, not some other BuildKit named in the environment.
    for name in ("BUILDKIT_HOST", "BUILDX_BUILDER", "BUILDKIT_PROGRESS"):
        env.pop(name, None)
    # A user's Python caches bytecode; without it every buildwright run would compile its sources.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def prepared_context(workload: Workload, tools: Tools, seed: int) -> Path:
    """The workload's generated context, reused when an earlier run generated it from the same seed."""
    folder = tools.work / workload.name
    stamp = folder / "generated"
    wanted = f"{GENERATOR_VERSION}:{seed}"
    contexts = sorted(folder.glob("ctx*")) if folder.exists() else []
    if stamp.exists() and stamp.read_text() == wanted and len(contexts) == 1:
        return contexts[0]
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    context = folder / "ctx"
    context.mkdir(parents=True)
    rng_seed = seed * 1000 + [w.name for w in WORKLOADS].index(workload.name)
    workload.generate(context, random.Random(rng_seed))
    stamp.write_text(wanted)
    return context


def command(
    builder: str, workload: Workload, tools: Tools, context: Path, out: Path, extra: Sequence[str]
) -> list[str]:
    if workload.output is Output.COMPILE:
        if builder == "buildwright":
            return [tools.buildwright, "llb", *extra, str(context)]
        return [tools.docker, "buildx", "build", "--call=outline", "--progress=plain", *extra, str(context)]
    if workload.output is Output.IMAGE:
        outputs = ["-t", image_tag(workload, builder)]
    else:
        outputs = ["-o", f"type=tar,dest={out}"]
    args = [*workload.build_args, *outputs, *extra, str(context)]
    if builder == "buildwright":
        return [tools.buildwright, "build", "--progress=plain", *args]
    # Both with their defaults: each attaches buildx's minimal provenance where the engine stores it.
    return [tools.docker, "buildx", "build", "--progress=plain", *args]


def image_tag(workload: Workload, builder: str, suffix: str = "") -> str:
    return f"buildwright-bench/{workload.name}:{builder}{suffix}"


def cold_inputs(context: Path, nonce: str) -> tuple[Path, list[str]]:
    """A fresh folder name (the engine keeps earlier uploads per name) and nonce, for a cold run."""
    fresh = context.with_name(f"ctx-{nonce}")
    context.rename(fresh)
    (fresh / "nonce.txt").write_text(nonce + "\n")
    return fresh, ["--build-arg", f"NONCE={nonce}"]


def run_workload(
    workload: Workload, tools: Tools, runs: int, seed: int, log: Any, *, profile: bool | None = None
) -> Outcome:
    """Time `runs` runs per builder and compare their results; then, with `profile` (None: when
    the ratio misses the workload's goal), profile one more untimed buildwright run."""
    outcome = Outcome(workload)
    context = prepared_context(workload, tools, seed)
    logs = tools.work / workload.name / "logs"
    logs.mkdir(exist_ok=True)
    outs = tools.work / workload.name / "out"
    subprocess.run(["rm", "-rf", str(outs)], check=True)
    outs.mkdir()
    last: dict[str, tuple[Path, str]] = {}
    try:
        if workload.warm:
            for builder in BUILDERS:
                log(f"  prime {builder}")
                run_timed(
                    command(builder, workload, tools, context, outs / f"prime-{builder}.tar", ()),
                    env=tools.env,
                    cwd=tools.work,
                    log=logs / f"prime-{builder}.log",
                )
        for index in range(runs):
            order = BUILDERS if index % 2 == 0 else BUILDERS[::-1]
            for builder in order:
                extra: list[str] = []
                nonce = "warm"
                if not workload.warm:
                    nonce = secrets.token_hex(6)
                    context, extra = cold_inputs(context, nonce)
                out = outs / f"{builder}-{index}.tar"
                stdout = outs / f"{builder}-{index}.stdout"
                sample = run_timed(
                    command(builder, workload, tools, context, out, extra),
                    env=tools.env,
                    cwd=tools.work,
                    log=logs / f"{builder}-{index}.log",
                    stdout=stdout,
                )
                outcome.samples[builder].append(sample)
                log(
                    f"  run {index + 1}/{runs} {builder:11} {sample.wall_s:6.2f} s  cpu {sample.cpu_s:5.2f} s"
                    f"  rss {sample.max_rss_kib / 1024:6.1f} MiB"
                )
                if builder in last and last[builder][0].suffix == ".tar":
                    last[builder][0].unlink(missing_ok=True)  # big outputs: keep only the last one
                last[builder] = (out, nonce)
        outcome.check, outcome.check_note = check_results(workload, tools, context, last, logs, log)
        if profile or (profile is None and outcome.misses_goal()):
            log("  profiling one untimed buildwright run")
            extra = []
            if not workload.warm:
                # A cold run stays cold: fresh inputs, as for a timed run.
                context = next(iter(sorted((tools.work / workload.name).glob("ctx*"))))
                context, extra = cold_inputs(context, secrets.token_hex(6))
            argv = command("buildwright", workload, tools, context, outs / "profile.tar", extra)
            outcome.profile = profile_of(tools.buildwright, argv, env=tools.env, cwd=tools.work, folder=logs)
    except CommandFailed as exc:
        outcome.error = str(exc)
    finally:
        subprocess.run(["rm", "-rf", str(outs)], check=True)
    return outcome


def check_results(
    workload: Workload, tools: Tools, context: Path, last: Mapping[str, tuple[Path, str]], logs: Path, log: Any
) -> tuple[str, str]:
    if workload.output is Output.TAR:
        (ours, our_nonce), (theirs, their_nonce) = last["buildwright"], last["buildx"]
        return compare_tars(ours, theirs, (our_nonce, their_nonce)), "tar outputs compared file by file"
    if workload.output is Output.COMPILE:
        stdout = last["buildwright"][0].with_suffix(".stdout")
        definition = json.loads(stdout.read_text())
        if not definition:
            return "buildwright llb printed an empty definition", ""
        return "", "not comparable (LLB vs outline); the wide-warm row compares the built images"
    if workload.warm:
        note = "images compared (config, layer diff ids, history)"
        return compare_images(
            tools.docker, tools.env, image_tag(workload, "buildwright"), image_tag(workload, "buildx")
        ), note
    # Cold images differ by their nonce: build both once more from one nonce (buildwright first,
    # cold; buildx reuses its cache only where its graph is the same) and compare those.
    nonce = secrets.token_hex(6)
    context, extra = cold_inputs(context, nonce)
    tags = {}
    for builder in BUILDERS:
        argv = command(builder, workload, tools, context, Path("unused"), extra)
        argv[argv.index(image_tag(workload, builder))] = tags.setdefault(
            builder, image_tag(workload, builder, "-check")
        )
        run_timed(argv, env=tools.env, cwd=tools.work, log=logs / f"check-{builder}.log")
    log("  checked with one more build each from one nonce")
    note = "images from one nonce compared (config, layer diff ids, history)"
    return compare_images(tools.docker, tools.env, tags["buildwright"], tags["buildx"]), note


def warm_up(tools: Tools, log: Any) -> None:
    """One untimed build of a tiny context, so Python's bytecode cache holds every module a build uses."""
    folder = tools.work / "warm-up"
    folder.mkdir(exist_ok=True)
    (folder / "Dockerfile").write_text("FROM scratch\nCOPY Dockerfile /\n")
    log("warm-up: one untimed buildwright build")
    run_timed(
        [tools.buildwright, "build", "--progress=plain", "-o", f"type=tar,dest={folder / 'out.tar'}", str(folder)],
        env=tools.env,
        cwd=tools.work,
        log=folder / "build.log",
    )


def workload_report(outcome: Outcome) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": outcome.workload.name,
        "title": outcome.workload.title,
        "error": outcome.error,
        "same_result": not outcome.check and not outcome.error,
        "check": outcome.check or outcome.check_note,
    }
    if not outcome.error:
        ours, theirs = (summary(outcome.samples[b]) for b in BUILDERS)
        entry["ratio"] = round(ours["median_s"] / theirs["median_s"], 3)
        entry["cpu_ratio"] = round(ours["median_cpu_s"] / max(theirs["median_cpu_s"], 1e-6), 3)
        entry["goal"] = outcome.workload.goal
        entry.update(buildwright=ours, buildx=theirs)
    if isinstance(outcome.profile, Profile):
        entry["profile"] = outcome.profile.to_json()
    elif outcome.profile is not None:
        entry["profile"] = {"error": outcome.profile}
    return entry


def _git_commit() -> str:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip()


def summary(samples: Sequence[Sample]) -> dict[str, Any]:
    walls = [s.wall_s for s in samples]
    return {
        "wall_s": [round(w, 4) for w in walls],
        "cpu_s": [round(s.cpu_s, 4) for s in samples],
        "max_rss_mib": [round(s.max_rss_kib / 1024, 1) for s in samples],
        "median_s": round(statistics.median(walls), 4),
        "min_s": round(min(walls), 4),
        "max_s": round(max(walls), 4),
        "median_cpu_s": round(statistics.median(s.cpu_s for s in samples), 4),
        "peak_rss_mib": round(max(s.max_rss_kib for s in samples) / 1024, 1),
    }


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def engine_versions(tools: Tools) -> dict[str, str]:
    def out(*args: str) -> str:
        result = subprocess.run([tools.docker, *args], env=dict(tools.env), capture_output=True, text=True)
        return result.stdout.strip()

    return {
        "dockerd": out("version", "--format", "{{.Server.Version}}"),
        "buildx": out("buildx", "version"),
    }


def table(outcomes: Sequence[Outcome]) -> str:
    rows = [
        "| workload | buildwright | buildx | ratio | client CPU bw / bx | peak RSS bw / bx | same result |",
        "|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        if outcome.error:
            rows.append(f"| {outcome.workload.title} | failed | | | | | {outcome.error.splitlines()[0][:80]} |")
            continue
        ours, theirs = (summary(outcome.samples[b]) for b in BUILDERS)
        ratio = ours["median_s"] / theirs["median_s"]
        rows.append(
            f"| {outcome.workload.title} | {_spread(ours)} | {_spread(theirs)} | x{ratio:.2f} |"
            f" {ours['median_cpu_s']:.2f} s / {theirs['median_cpu_s']:.2f} s |"
            f" {ours['peak_rss_mib']:.0f} / {theirs['peak_rss_mib']:.0f} MiB |"
            f" {'yes' if not outcome.check else 'NO: ' + outcome.check[:120]} |"
        )
    return "\n".join(rows)


def profiles(outcomes: Sequence[Outcome]) -> str:
    """Where buildwright's time goes, for each profiled workload (those missing their goal)."""
    parts = []
    for outcome in outcomes:
        if outcome.profile is None:
            continue
        why = "misses its goal" if outcome.misses_goal() else "profiled on request"
        header = f"{outcome.workload.name} (goal x{outcome.workload.goal:.1f}, {why}):"
        body = outcome.profile.render() if isinstance(outcome.profile, Profile) else f"  {outcome.profile}"
        parts.append(f"{header}\n{body}")
    return "\n\n".join(parts)


def _spread(stats: Mapping[str, Any]) -> str:
    return f"{stats['median_s']:.2f} s ({stats['min_s']:.2f}-{stats['max_s']:.2f})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="more runs per workload (default: quick mode)")
    parser.add_argument("--runs", type=int, help="timed runs per builder and workload (overrides the mode)")
    parser.add_argument("--only", action="append", choices=[w.name for w in WORKLOADS], help="run only these")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated contexts (default 7)")
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="profile one untimed buildwright run per workload (default: only where the ratio misses its goal)",
    )
    parser.add_argument("--work", type=Path, default=Path("/var/tmp/buildwright-bench"), help="work folder")
    parser.add_argument("--json", type=Path, default=REPO / "bench-results.json", help="where the JSON goes")
    parser.add_argument(
        "--buildwright",
        default=str(Path(sys.executable).parent / "buildwright"),
        help="the buildwright command to measure (default: this venv's; e.g. a wrapper around an older tree)",
    )
    args = parser.parse_args(argv)

    env = engine_env()
    tools = Tools(
        buildwright=args.buildwright,
        docker=env.get("BUILDWRIGHT_DOCKER_CLI", "docker"),
        env=env,
        work=args.work.resolve(),
    )
    tools.work.mkdir(parents=True, exist_ok=True)
    selected = [w for w in WORKLOADS if not args.only or w.name in args.only]
    mode = "full" if args.full else "quick"
    started = time.time()
    load_before = os.getloadavg()

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    warm_up(tools, log)
    outcomes: list[Outcome] = []
    header = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "mode": mode,
        "seed": args.seed,
        "buildwright": args.buildwright,
        "commit": _git_commit(),
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in load_before],
        "engine": engine_versions(tools),
    }
    report: dict[str, Any] = {}
    for workload in selected:
        runs = args.runs or (workload.full_runs if args.full else workload.quick_runs)
        log(f"{workload.name}: {workload.title} ({runs} runs each)")
        outcomes.append(run_workload(workload, tools, runs, args.seed, log, profile=args.profile))
        if outcomes[-1].error:
            log(f"  FAILED: {outcomes[-1].error}")
        # Written after every workload, so an interrupted run keeps what it measured.
        report = {
            **header,
            "complete": len(outcomes) == len(selected),
            "duration_s": round(time.time() - started, 1),
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "workloads": [workload_report(o) for o in outcomes],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{mode} run, {report['date']}, {report['duration_s']} s; JSON in {args.json}\n")
    print(table(outcomes))
    where = profiles(outcomes)
    if where:
        print(f"\nWhere buildwright's time goes (cProfile of one untimed run, main thread):\n\n{where}")
    return 1 if any(o.error or o.check for o in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
