"""The benchmark's workloads: seeded generators for each build context, and how each is built.

Every context is generated from a seed, so two machines given the same seed build the same bytes. A
workload is either warm (built once by each builder before timing, then rebuilt unchanged) or cold:
each timed run gets a fresh nonce (a `NONCE` build arg and a `nonce.txt` in the context) and a
fresh context directory name, so neither the engine's build cache nor its copy of an earlier
upload of the directory (kept per directory name) can be used.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class Output(Enum):
    """What a workload's build produces, which decides how the two builders' results are compared."""

    IMAGE = "image"  # -t into the engine's image store; compared by `docker image inspect`
    TAR = "tar"  # -o type=tar; compared member by member
    COMPILE = "compile"  # nothing built: `buildwright llb` against `buildx build --call=outline`


@dataclass(frozen=True, slots=True)
class Workload:
    """One row of the table.

    Attributes:
        name: short id (JSON key, --only value, work folder name).
        title: the table's description.
        generate: writes the context (Dockerfile included) into an empty folder from a seeded RNG.
        output: what a build produces.
        warm: built once by each builder first; timed runs rebuild with nothing changed.
        build_args: extra arguments of both builders' build commands.
        quick_runs, full_runs: timed runs per builder in each mode.
        goal: the wall-time ratio (buildwright / buildx) the workload should reach; missing it
            makes the report show where buildwright's time goes.
    """

    name: str
    title: str
    generate: Callable[[Path, random.Random], None]
    output: Output
    warm: bool
    build_args: tuple[str, ...] = ()
    quick_runs: int = 3
    full_runs: int = 7
    goal: float = 1.0


def _text(rng: random.Random, size: int) -> bytes:
    words = ("build", "layer", "cache", "stage", "image", "context", "engine", "solve", "digest", "mount")
    out: list[str] = []
    length = 0
    while length < size:
        word = words[rng.randrange(len(words))]
        out.append(word)
        length += len(word) + 1
    return (" ".join(out)[:size] + "\n").encode()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _source_tree(root: Path, rng: random.Random, count: int) -> None:
    """`count` source-like files (200 B - 8 KiB) in a package tree of about 40 files per folder."""
    for index in range(count):
        package = f"pkg{index // 40:03d}"
        sub = f"mod{(index // 8) % 5}"
        _write(root / package / sub / f"file{index:05d}.py", _text(rng, rng.randrange(200, 8192)))


REALISTIC_DOCKERFILE = """\
# A service built in stages: dependencies, build, tests, and a runtime image that collects them.
FROM debian:bookworm AS base
ARG NONCE=warm
RUN echo "$NONCE" > /etc/bench-nonce && useradd --create-home --uid 10001 app
ENV APP_HOME=/app LANG=C.UTF-8
WORKDIR /app

FROM base AS deps
COPY requirements.txt ./
RUN mkdir -p /opt/deps && while read -r dep; do echo "$dep" > "/opt/deps/$dep.txt"; done < requirements.txt

FROM base AS build
COPY src/ ./src/
RUN find src -type f | sort | xargs sha256sum > /app/manifest.txt && tar -cf /app/src.tar src

FROM base AS test
COPY --from=build /app/manifest.txt ./
RUN test -s manifest.txt && wc -l < manifest.txt > /app/test-report.txt

FROM base AS runtime
COPY --from=deps /opt/deps /opt/deps
COPY --from=build /app/src.tar /app/manifest.txt ./
COPY --from=test /app/test-report.txt ./
RUN chown -R app:app /app
USER app
EXPOSE 8080
LABEL org.opencontainers.image.title="bench-app" org.opencontainers.image.version="1.0"
HEALTHCHECK --interval=30s CMD test -f /app/manifest.txt
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/test-report.txt"]
"""


def realistic(root: Path, rng: random.Random) -> None:
    """A multi-stage service build on debian:bookworm with a 3,000-file context."""
    _write(root / "Dockerfile", REALISTIC_DOCKERFILE.encode())
    _write(root / "requirements.txt", "".join(f"dep{i:03d}\n" for i in range(120)).encode())
    _source_tree(root / "src", rng, 2998)  # + Dockerfile + requirements.txt = 3,000 files


def target_pruning(root: Path, rng: random.Random) -> None:
    """`--target app`: three slow stages the target does not need, which must not run."""
    lines = []
    for slow in range(3):
        lines += [f"FROM busybox:latest AS slow{slow}", "ARG NONCE=warm", f"RUN sleep 5 && echo {slow} > /slow", ""]
    lines += [
        "FROM busybox:latest AS app",
        "ARG NONCE=warm",
        'RUN echo "$NONCE" > /nonce',
        "COPY conf/ /etc/app/",
        'CMD ["cat", "/nonce"]',
        "",
        "FROM app AS all",
        *(f"COPY --from=slow{slow} /slow /slow{slow}" for slow in range(3)),
        "",
    ]
    _write(root / "Dockerfile", "\n".join(lines).encode())
    for index in range(20):
        _write(root / "conf" / f"app{index:02d}.conf", _text(rng, rng.randrange(100, 1000)))


WIDE_STAGES = 300


def wide(root: Path, rng: random.Random) -> None:
    """300 stages x 10 instructions, each stage reading a file of the one before; the last collects every
    tenth stage, so the whole graph is reachable."""
    lines = []
    for stage in range(WIDE_STAGES):
        lines += [
            f"FROM busybox:latest AS s{stage}",
            f"ARG V{stage}=v{stage}",
            f"ENV S{stage}=${{V{stage}}} STAGE={stage}",
            f'LABEL bench.stage{stage}="{stage}"',
            f"WORKDIR /w/{stage}",
            f"COPY files/f{stage % 50:02d}.txt ./own.txt",
            (
                f"COPY --from=s{stage - 1} /w/{stage - 1}/own.txt ./prev.txt"
                if stage
                else "COPY files/f00.txt ./prev.txt"
            ),
            ("RUN cat own.txt prev.txt | wc -c > size.txt" if stage % 25 == 0 else f"ENV PREV=s{stage - 1}"),
            f"EXPOSE {8000 + stage}",
            f'CMD ["cat", "/w/{stage}/own.txt"]',
            "",
        ]
    lines += ["FROM busybox:latest AS final"]
    lines += [f"COPY --from=s{stage} /w/{stage}/ /collected/s{stage}/" for stage in range(0, WIDE_STAGES, 10)]
    lines += [f"COPY --from=s{WIDE_STAGES - 1} /w/{WIDE_STAGES - 1}/ /collected/last/", ""]
    _write(root / "Dockerfile", "\n".join(lines).encode())
    for index in range(50):
        _write(root / "files" / f"f{index:02d}.txt", _text(rng, rng.randrange(50, 500)))


BIG_FILES = 4
BIG_FILE_SIZE = 256 * 1024 * 1024


def big_files(root: Path, rng: random.Random) -> None:
    """Four 256 MiB incompressible files, copied whole into a scratch image."""
    _write(root / "Dockerfile", b"FROM scratch\nCOPY . /\n")
    for index in range(BIG_FILES):
        path = root / f"blob{index}.bin"
        with path.open("wb") as out:
            for _ in range(BIG_FILE_SIZE // (16 * 1024 * 1024)):
                out.write(rng.randbytes(16 * 1024 * 1024))


def ignored_repo(root: Path, rng: random.Random) -> None:
    """A repository whose .dockerignore leaves out most of it: 3,000 files sent, 4,700 ignored (node_modules,
    .git, build output and logs), the ignored ones holding most of the bytes."""
    _write(root / "Dockerfile", b"FROM scratch\nCOPY . /repo/\n")
    _write(root / ".dockerignore", b"# dependencies and history stay home\nnode_modules\n.git\nbuild/\n**/*.log\n")
    _source_tree(root / "src", rng, 2998)  # + Dockerfile + .dockerignore = 3,000 sent
    for index in range(3500):
        module = f"lib{index // 35:03d}"
        _write(
            root / "node_modules" / module / "dist" / f"chunk{index:05d}.js", rng.randbytes(rng.randrange(4096, 40960))
        )
    for index in range(700):
        _write(
            root / ".git" / "objects" / f"{index % 256:02x}" / f"obj{index:05d}",
            rng.randbytes(rng.randrange(1024, 65536)),
        )
    for index in range(400):
        _write(root / "build" / f"out{index:04d}.o", rng.randbytes(rng.randrange(2048, 16384)))
    for index in range(100):
        _write(root / "src" / f"pkg{index:03d}" / "debug.log", _text(rng, 2000))


def parallel_sleeps(root: Path, rng: random.Random) -> None:
    """Eight independent stages of `sleep 2`, collected into one scratch image."""
    del rng
    lines = []
    for stage in range(8):
        lines += [
            f"FROM busybox:latest AS s{stage}",
            "ARG NONCE=warm",
            f'RUN sleep 2 && echo "$NONCE {stage}" > /out',
            "",
        ]
    lines += ["FROM scratch", *(f"COPY --from=s{stage} /out /s{stage}" for stage in range(8)), ""]
    _write(root / "Dockerfile", "\n".join(lines).encode())


def small_files(root: Path, rng: random.Random) -> None:
    """20,000 small files (100 B - 2 KiB) in 200 folders, copied into a scratch image."""
    _write(root / "Dockerfile", b"FROM scratch\nCOPY . /\n")
    for index in range(19999):  # + the Dockerfile
        _write(root / f"d{index // 100:03d}" / f"f{index:05d}.txt", _text(rng, rng.randrange(100, 2048)))


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "noop",
        "no-op rebuild of a realistic multi-stage build (`-t`, everything cached, 3,000-file context)",
        realistic,
        Output.IMAGE,
        warm=True,
        quick_runs=5,
        full_runs=9,
        goal=0.8,
    ),
    Workload(
        "target",
        "`--target` that skips three slow stages (cold)",
        target_pruning,
        Output.IMAGE,
        warm=False,
        build_args=("--target", "app"),
    ),
    Workload(
        "compile",
        "compile only: 300 stages x 10 instructions (`buildwright llb` vs `buildx build --call=outline`)",
        wide,
        Output.COMPILE,
        warm=True,
    ),
    Workload("wide-warm", "warm rebuild of that 300-stage file", wide, Output.IMAGE, warm=True),
    Workload(
        "big-files",
        "cold context of 4 x 256 MiB files (`FROM scratch` + `COPY . /`, tar output)",
        big_files,
        Output.TAR,
        warm=False,
        quick_runs=2,
        full_runs=5,
    ),
    Workload(
        "dockerignore",
        "cold repository context with a `.dockerignore` (3,000 files sent, 4,700 ignored)",
        ignored_repo,
        Output.TAR,
        warm=False,
    ),
    Workload(
        "realistic-cold",
        "cold realistic multi-stage build on debian:bookworm",
        realistic,
        Output.IMAGE,
        warm=False,
    ),
    Workload("sleeps", "8 independent stages of `sleep 2`", parallel_sleeps, Output.TAR, warm=False),
    Workload(
        "small-files",
        "cold context of 20,000 small files",
        small_files,
        Output.TAR,
        warm=False,
        quick_runs=2,
        full_runs=5,
    ),
)
