"""`buildwright bake` on three private buildkitds: six slow targets spread over three nodes, the
same bake again coming back to each node's cache, one index from two nodes (as one node makes it),
`target:` contexts, `--set`, `--metadata-file`, `--placement`, `--print` (as buildx prints it),
failover when a node is killed, and the default engine (the shared dockerd) without a builder.

The daemons are this module's own (`bw-bake-a` on its unix socket, `bw-bake-b` and `bw-bake-c`
over TCP with mutual TLS, ports 7431-7433, so test_farm.py's can run beside them), each with
BuildKit's `max-parallelism = 1`, so one daemon models one node's capacity on this two-core
machine. Builders and placement records live in private XDG folders; every RUN carries a marker
unique to the session, so no test finds another's cache. The test that kills `bw-bake-c` is last.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from buildwright.bakerun import bake
from buildwright.client.events import BuildEvent, VertexStarted
from buildwright.farm import CACHE, FAILOVER, FarmResult, render_summary
from tests.integration.buildkitd import Buildkitd
from tests.integration.cli import run_cli
from tests.integration.farmnodes import Nodes, add_node, node_flags, three_nodes
from tests.integration.reference import EngineInfo

_PORTS = {"bw-bake-a": 7431, "bw-bake-b": 7432, "bw-bake-c": 7433}
_MARK = uuid.uuid4().hex[:10]
# Every manifest kind, so the registry answers each as it was pushed (never converted).
_MANIFEST_TYPES = ", ".join(
    f"application/vnd.{kind}"
    for kind in (
        "oci.image.index.v1+json",
        "docker.distribution.manifest.list.v2+json",
        "oci.image.manifest.v1+json",
        "docker.distribution.manifest.v2+json",
    )
)


def _bake_file(nodes: Nodes, name: str, targets: Mapping[str, Mapping[str, Any]], **groups: list[str]) -> Path:
    path = nodes.root / f"{name}.json"
    document: dict[str, Any] = {"target": targets}
    if groups:
        document["group"] = {g: {"targets": t} for g, t in groups.items()}
    path.write_text(json.dumps(document, indent=2))
    return path


def _cli(env: Mapping[str, str], *args: str, cwd: Path | None = None) -> str:
    done = run_cli(env, *args, cwd=cwd)
    assert done.returncode == 0, f"buildwright {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


def _node(
    env: Mapping[str, str], builder: str, daemon: Buildkitd, *, tcp: bool, first: bool, platform: str = ""
) -> None:
    add_node(env, builder, [*node_flags(daemon, tcp=tcp), *(["--platform", platform] if platform else [])], first=first)


@pytest.fixture(scope="module")
def bakery(engine: EngineInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    """Three daemons and the builders `bake3` (all three), `bake1` (a alone), `split` (a only
    linux/amd64, b only linux/arm64) and `single` (c alone)."""
    with three_nodes(engine, tmp_path_factory.mktemp("bake"), _PORTS) as nodes:
        a, b, c, env = nodes.a, nodes.b, nodes.c, nodes.env
        _node(env, "bake3", a, tcp=False, first=True)
        _node(env, "bake3", b, tcp=True, first=False)
        _node(env, "bake3", c, tcp=True, first=False)
        _node(env, "bake1", a, tcp=False, first=True)
        _node(env, "split", a, tcp=False, first=True, platform="linux/amd64")
        _node(env, "split", b, tcp=True, first=False, platform="linux/arm64")
        _node(env, "single", c, tcp=True, first=True)
        yield nodes


def _slow_targets(bakery: Nodes, prefix: str, count: int, seconds: int) -> dict[str, dict[str, Any]]:
    return {
        f"{prefix}{i}": {
            "context": str(
                bakery.context(f"{prefix}{i}", f"FROM busybox\nRUN echo {prefix}{i}-{_MARK} && sleep {seconds}\n")
            )
        }
        for i in range(count)
    }


def _timed(bakery: Nodes, file: Path, builder: str) -> tuple[FarmResult, float]:
    started = time.monotonic()
    result = bake(files=[str(file)], targets=["all"], builder=builder, env=bakery.env, cwd=bakery.root)
    return result, time.monotonic() - started


def test_six_slow_targets_on_three_nodes_take_under_half_the_time_and_come_back_to_their_cache(
    bakery: Nodes,
) -> None:
    # The same six targets (own markers, so neither run finds the other's cache) on one node and on three.
    alone = _slow_targets(bakery, "alone", 6, 4)
    one, one_wall = _timed(bakery, _bake_file(bakery, "alone", alone, all=list(alone)), "bake1")
    assert {leg.node for leg in one.legs} == {"bw-bake-a"}
    spread = _slow_targets(bakery, "spread", 6, 4)
    file = _bake_file(bakery, "spread", spread, all=list(spread))
    three, three_wall = _timed(bakery, file, "bake3")
    nodes = {t.name: t.nodes[0] for t in three.targets}
    assert sorted(set(nodes.values())) == ["bw-bake-a", "bw-bake-b", "bw-bake-c"], "every node gets work"
    assert three_wall <= 0.45 * one_wall, f"three nodes {three_wall:.1f}s, one node {one_wall:.1f}s"
    for name, node in nodes.items():
        assert bakery.ran_on(f"{name}-{_MARK}") == [node]

    # Again, with one target's input changed (a step added after its slow one).
    changed = "spread3"
    folder = bakery.root / "contexts" / changed
    (folder / "Dockerfile").write_text(
        f"FROM busybox\nRUN echo {changed}-{_MARK} && sleep 4\nRUN echo changed-{_MARK}\n"
    )
    again = bake(files=[str(file)], targets=["all"], builder="bake3", env=bakery.env, cwd=bakery.root)
    for target in again.targets:
        [leg] = target.legs
        assert (leg.node, leg.reason) == (nodes[target.name], CACHE), target.name
        runs = [s for s in leg.steps if "RUN" in s.name]
        if target.name == changed:
            # The slow step from the node's cache, only the added one run.
            assert sorted((f"changed-{_MARK}" in s.name, s.cached) for s in runs) == [(False, True), (True, False)]
        else:
            assert runs and all(s.cached for s in runs), target.name


def _index(registry: str, repository: str, tag: str) -> tuple[str, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{tag}", headers={"Accept": _MANIFEST_TYPES}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.headers["Docker-Content-Digest"], json.loads(answer.read())


def test_a_two_platform_target_on_two_nodes_is_the_index_one_node_makes(bakery: Nodes) -> None:
    folder = bakery.context(
        "index", f"FROM busybox\nARG TARGETPLATFORM\nRUN echo index-{_MARK}-$TARGETPLATFORM > /where\n"
    )
    registry = bakery.a.registry
    repository = "bw-bake/index"

    def file(tag: str) -> Path:
        output = {
            "type": "image",
            "name": f"{registry}/{repository}:{tag}",
            "push": "true",
            "rewrite-timestamp": "true",
        }
        target = {"context": str(folder), "platforms": ["linux/amd64", "linux/arm64"], "output": [output]}
        return _bake_file(bakery, f"index-{tag}", {"app": target})

    env = {**bakery.env, "SOURCE_DATE_EPOCH": "0"}
    split = bake(files=[str(file("split"))], targets=["app"], builder="split", env=env, cwd=bakery.root)
    app = split.target("app")
    assert app.nodes == ("bw-bake-a", "bw-bake-b")
    digest, index = _index(registry, repository, "split")
    assert app.image_id == digest
    assert [(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]] == [
        ("linux", "amd64"),
        ("linux", "arm64"),
    ]
    single = bake(files=[str(file("single"))], targets=["app"], builder="single", env=env, cwd=bakery.root)
    assert single.target("app").nodes == ("bw-bake-c",)
    assert _index(registry, repository, "single") == (digest, index)


def test_target_contexts_set_metadata_placement_and_print(bakery: Nodes, engine: EngineInfo) -> None:
    base = bakery.context("linkbase", f"FROM busybox\nENV FROM_BASE=yes\nRUN echo base-{_MARK} > /base.txt\n")
    app = bakery.context(
        "linkapp",
        f"FROM base\nARG GREETING=unset\nRUN echo app-{_MARK} $GREETING $FROM_BASE > /app.txt\n"
        "FROM scratch\nCOPY --from=0 /base.txt /app.txt /\n",
    )
    out = bakery.root / "linked-out"
    file = _bake_file(
        bakery,
        "linked",
        {
            "base": {"context": str(base)},
            "app": {"context": str(app), "contexts": {"base": "target:base"}, "output": [f"type=local,dest={out}"]},
        },
    )
    # --print is buildx's, byte for byte.
    printed = _cli(bakery.env, "bake", "-f", str(file), "--print", "app", cwd=bakery.root)
    reference = engine.docker("buildx", "bake", "-f", str(file), "--print", "app")
    assert printed == reference.stdout.decode()

    placement = _cli(bakery.env, "bake", "-f", str(file), "--placement", "--builder", "bake3", "app", cwd=bakery.root)
    lines = placement.splitlines()
    assert lines[0].split() == ["TARGET", "PLATFORM", "NODE", "REASON", "SHARED", "STEPS"]
    assert lines[1].split()[0] == "base" and lines[1].split()[2] in _PORTS
    assert lines[-1] == "app: placed once base is built (target: context)"

    metadata = bakery.root / "linked-metadata.json"
    done = run_cli(
        bakery.env, "bake", "-f", str(file), "app", "--builder", "bake3", "--progress", "plain",
        "--set", "app.args.GREETING=hello", "--metadata-file", str(metadata), cwd=bakery.root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "base.txt").read_text() == f"base-{_MARK}\n"
    assert (out / "app.txt").read_text() == f"app-{_MARK} hello yes\n", "the base's env and the --set arg"
    written = json.loads(metadata.read_text())
    assert sorted(written) == ["app", "base"]
    assert written["base"]["containerimage.digest"].startswith("sha256:")
    assert written["app"]["buildx.build.ref"].startswith("buildwright/buildwright/")
    table = [line.split() for line in done.stderr.splitlines()]
    assert ["TARGET", "PLATFORM", "NODE", "REASON", "TIME", "CACHED"] in table
    assert {row[0] for row in table if len(row) == 6 and row[2] in _PORTS} == {"app", "base"}


def test_a_two_platform_target_context_gives_each_platform_its_own_image(bakery: Nodes) -> None:
    base = bakery.context("multibase", f"FROM busybox\nARG TARGETARCH\nRUN echo base-{_MARK}-$TARGETARCH > /b\n")
    app = bakery.context("multiapp", "FROM base\nRUN cp /b /a\nFROM scratch\nCOPY --from=0 /a /\n")
    out = bakery.root / "multi-out"
    platforms = ["linux/amd64", "linux/arm64"]
    file = _bake_file(
        bakery,
        "multi",
        {
            "base": {"context": str(base), "platforms": platforms},
            "app": {
                "context": str(app),
                "platforms": platforms,
                "contexts": {"base": "target:base"},
                "output": [{"type": "local", "dest": str(out)}],
            },
        },
    )
    # With the default provenance, the base's layout is an index holding attestations too.
    env = {k: v for k, v in bakery.env.items() if k != "BUILDX_NO_DEFAULT_ATTESTATIONS"}
    result = bake(files=[str(file)], targets=["app"], builder="bake1", env=env, cwd=bakery.root)
    assert [t.name for t in result.targets] == ["app", "base"]
    for arch in ("amd64", "arm64"):
        assert (out / f"linux_{arch}" / "a").read_text() == f"base-{_MARK}-{arch}\n"


def test_the_default_engine_builds_a_bake_without_a_builder(engine: EngineInfo, tmp_path: Path) -> None:
    folder = tmp_path / "ctx"
    folder.mkdir()
    (folder / "Dockerfile").write_text(f"FROM busybox\nRUN echo default-{_MARK} > /made\n")
    (tmp_path / "docker-bake.json").write_text(
        json.dumps({"target": {"default": {"context": "ctx", "output": ["type=local,dest=out"]}}})
    )
    env = {
        **{k: v for k, v in engine.env.items() if k not in ("BUILDKIT_HOST", "BUILDWRIGHT_BUILDER")},
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    done = run_cli(env, "bake", "--progress", "plain", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "out" / "made").read_text() == f"default-{_MARK}\n"
    rows = [line.split() for line in done.stderr.splitlines()]
    assert any(row[:3] == ["default", "default", "default"] for row in rows), done.stderr[-2000:]


def test_a_compose_files_build_sections_are_targets(engine: EngineInfo, tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(f"FROM busybox\nARG WHO\nRUN echo {_MARK} $WHO > /who\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: example/web:1\n"
        "    build:\n      context: ./svc\n      args:\n        WHO: compose\n"
    )
    env = {
        **{k: v for k, v in engine.env.items() if k not in ("BUILDKIT_HOST", "BUILDWRIGHT_BUILDER")},
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    done = run_cli(env, "bake", "--progress", "quiet", "--set", "web.output=type=local,dest=out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "out" / "who").read_text() == f"{_MARK} compose\n"


def test_a_node_killed_mid_bake_has_its_legs_rebuilt_on_the_others(bakery: Nodes) -> None:
    targets = _slow_targets(bakery, "kill", 3, 6)
    outputs = {name: bakery.root / "kill-out" / name for name in targets}
    for name, target in targets.items():
        target["output"] = [{"type": "local", "dest": str(outputs[name])}]
    file = _bake_file(bakery, "kill", targets, all=list(targets))
    victim = bakery.c
    killed = threading.Event()

    def on_event(event: BuildEvent) -> None:
        # Once c runs its slow step, its daemon dies.
        mine = isinstance(event, VertexStarted) and f"@{victim.name} " in event.name and "sleep" in event.name
        if mine and not killed.is_set():
            killed.set()
            os.kill(victim.pid, signal.SIGKILL)

    result = bake(
        files=[str(file)], targets=["all"], builder="bake3", env=bakery.env, cwd=bakery.root, on_event=on_event
    )
    assert killed.is_set()
    [moved] = result.moved
    assert moved.moved_from == (victim.name,)
    assert moved.reason == FAILOVER and moved.node in ("bw-bake-a", "bw-bake-b")
    summary = render_summary(result)
    assert f"moved: {moved.leg} from {victim.name} to {moved.node}" in summary
    for name, folder in outputs.items():
        assert (folder / "bin" / "busybox").exists(), name
    assert sorted(p.name for p in (bakery.root / "kill-out").iterdir()) == sorted(outputs)
