"""The farm on three private buildkitds: placement by load, cache, platform and shared stages,
failover at the start and mid-build, the merged progress and table, and one index from legs
built on different nodes.

The daemons are this module's own (`bw-farm-a` on its unix socket, `bw-farm-b` and `bw-farm-c`
over TCP with mutual TLS), each with BuildKit's `max-parallelism = 1` so that one daemon models
one node's capacity on this two-core machine; they are stopped when the module ends. Builders
live in a private XDG_CONFIG_HOME made with `buildwright builder create`, and the placement
records in a private XDG_STATE_HOME shared by the module's tests (the cache test relies on the
load test's records). Every RUN carries a marker unique to the session, so no test finds another
one's cache, and `buildctl du` on each daemon says where a step really ran. Pushes go to the
daemons' local registry on 127.0.0.1. The test that kills `bw-farm-c` comes last.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from buildwright.client.events import BuildEvent, VertexFailed, VertexQueued, VertexStarted
from buildwright.errors import BuildConfigError
from buildwright.farm import CACHE, FAILOVER, LOAD, PLATFORM, FarmResult, NamedBuild, build_all, plan_all
from tests.integration.buildkitd import Buildkitd
from tests.integration.cli import run_cli
from tests.integration.farmnodes import Nodes as Farm
from tests.integration.farmnodes import add_node, cli_ok, node_flags, three_nodes
from tests.integration.reference import EngineInfo

_PORTS = {"bw-farm-a": 7421, "bw-farm-b": 7422, "bw-farm-c": 7423}
# A port nothing listens on: the node that is down from the start.
_DEAD_PORT = 7429
_MANIFEST_TYPES = ", ".join(
    f"application/vnd.{kind}"
    for kind in (
        "oci.image.index.v1+json",
        "docker.distribution.manifest.list.v2+json",
        "oci.image.manifest.v1+json",
        "docker.distribution.manifest.v2+json",
    )
)
_MARK = uuid.uuid4().hex[:10]


def _cli(env: Mapping[str, str], *args: str) -> str:
    return cli_ok(env, *args)


def _add_node(
    env: Mapping[str, str], builder: str, daemon: Buildkitd | None, *, tcp: bool, first: bool, extra: Sequence[str] = ()
) -> None:
    """`builder create` (or `--append`) with the daemon's socket or TLS port; None: a dead port."""
    if daemon is None:
        node = ["--node", f"tcp://127.0.0.1:{_DEAD_PORT}", "--node-name", "bw-farm-dead"]
    else:
        node = node_flags(daemon, tcp=tcp)
    add_node(env, builder, [*node, *extra], first=first)


@pytest.fixture(scope="module")
def farm(engine: EngineInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    """Three daemons, and builders over them: `farm3` (all three), `split` (a only linux/amd64,
    b only linux/arm64), `halfdown` (a node nobody answers on, then c), `armdown` (a only
    linux/amd64, and a linux/arm64 node nobody answers on)."""
    with three_nodes(engine, tmp_path_factory.mktemp("farm"), _PORTS) as nodes:
        a, b, c, env = nodes.a, nodes.b, nodes.c, nodes.env
        _add_node(env, "farm3", a, tcp=False, first=True)
        _add_node(env, "farm3", b, tcp=True, first=False)
        _add_node(env, "farm3", c, tcp=True, first=False)
        _add_node(env, "split", a, tcp=False, first=True, extra=["--platform", "linux/amd64"])
        _add_node(env, "split", b, tcp=True, first=False, extra=["--platform", "linux/arm64"])
        _add_node(env, "halfdown", None, tcp=True, first=True)
        _add_node(env, "halfdown", c, tcp=True, first=False)
        _add_node(env, "armdown", a, tcp=False, first=True, extra=["--platform", "linux/amd64"])
        _add_node(env, "armdown", None, tcp=True, first=False, extra=["--platform", "linux/arm64"])
        yield nodes


def _slow(farm: Farm, name: str, seconds: int = 2, extra: str = "") -> NamedBuild:
    marker = f"{name}-{_MARK}"
    folder = farm.context(name, f"FROM busybox\nRUN echo {marker} && sleep {seconds}\n{extra}")
    return NamedBuild(name, {"context": str(folder)})


def _step(result: FarmResult, target: str, fragment: str) -> tuple[bool, ...]:
    """Whether each step of `target` whose name holds `fragment` came from cache."""
    legs = result.target(target).legs
    return tuple(s.cached for leg in legs for s in leg.steps if fragment in s.name)


def test_independent_builds_spread_by_load_and_come_back_to_their_cache(farm: Farm) -> None:
    builds = [_slow(farm, f"spread{i}") for i in range(3)]
    planned = plan_all("farm3", builds, env=farm.env)
    assert [p.reason for p in planned] == [LOAD, LOAD, LOAD]
    first = build_all("farm3", builds, env=farm.env)
    nodes = {t.name: t.nodes[0] for t in first.targets}
    assert sorted(nodes.values()) == ["bw-farm-a", "bw-farm-b", "bw-farm-c"]
    assert nodes == {p.leg.target: p.node for p in planned}, "the preview said where the legs went"
    for target, node in nodes.items():
        assert farm.ran_on(f"{target}-{_MARK}") == [node]

    # Again, with one target's input changed (a step added after its slow one).
    changed = _slow(farm, "spread1", extra=f"RUN echo changed-{_MARK}\n")
    second = build_all("farm3", [builds[0], changed, builds[2]], env=farm.env)
    for again in second.targets:
        leg = again.legs[0]
        assert (leg.node, leg.reason) == (nodes[again.name], CACHE), again.name
        assert _step(second, again.name, f"{again.name}-{_MARK}") == (True,)
    assert _step(second, "spread1", f"changed-{_MARK}") == (False,), "only the changed step runs"
    assert all(s.cached for s in second.target("spread0").legs[0].steps if "RUN" in s.name)


def test_legs_sharing_stages_go_to_one_node(farm: Farm) -> None:
    dockerfile = (
        f"FROM busybox AS base\nRUN echo shared-{_MARK} && sleep 1\n"
        f"FROM base AS one\nRUN echo one-{_MARK}\n"
        f"FROM base AS two\nRUN echo two-{_MARK}\n"
    )
    folder = farm.context("stages", dockerfile)
    builds = [
        NamedBuild("one", {"context": str(folder), "target": "one"}),
        _slow(farm, "alone", seconds=1),
        NamedBuild("two", {"context": str(folder), "target": "two"}),
    ]
    result = build_all("farm3", builds, env=farm.env)
    one, two, alone = result.target("one"), result.target("two"), result.target("alone")
    assert one.nodes == two.nodes
    assert alone.nodes != one.nodes
    assert farm.ran_on(f"shared-{_MARK}") == list(one.nodes), "the shared step ran on one node only"
    # They ran on that node one after the other (its parallelism is 1): the second found the step cached.
    assert sorted(_step(result, "one", f"shared-{_MARK}") + _step(result, "two", f"shared-{_MARK}")) == [False, True]


def test_a_node_limited_by_platform_gets_only_its_platforms_legs(farm: Farm) -> None:
    folder = farm.context(
        "platforms", f"FROM busybox\nARG TARGETPLATFORM\nRUN echo plat-{_MARK}-$TARGETPLATFORM > /where\n"
    )
    both = NamedBuild("both", {"context": str(folder), "platform": "linux/amd64,linux/arm64"})
    arm = NamedBuild("arm", {"context": str(folder), "platform": "linux/arm64", "build_args": {"X": "1"}})
    result = build_all("split", [both, arm], env=farm.env)
    got = {(leg.leg.target, leg.leg.platform): (leg.node, leg.reason) for leg in result.legs}
    assert got == {
        ("both", "linux/amd64"): ("bw-farm-a", PLATFORM),
        ("both", "linux/arm64"): ("bw-farm-b", PLATFORM),
        ("arm", "linux/arm64"): ("bw-farm-b", PLATFORM),
    }
    # Each leg's own step ran (the engine's records name the step unexpanded, so both nodes match).
    assert farm.ran_on(f"plat-{_MARK}") == ["bw-farm-a", "bw-farm-b"]
    assert _step(result, "both", f"plat-{_MARK}") == (False, False)
    with pytest.raises(BuildConfigError, match=r"no node of builder 'split' can build .*linux/386"):
        plan_all("split", [NamedBuild("x", {"context": str(folder), "platform": "linux/386"})], env=farm.env)


def _index(registry: str, repository: str, tag: str) -> tuple[str, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{tag}", headers={"Accept": _MANIFEST_TYPES}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.headers["Docker-Content-Digest"], json.loads(answer.read())


def _buildx_multi_node(engine: EngineInfo, farm: Farm) -> str:
    """A buildx builder of the remote driver with the `split` builder's two nodes and platforms."""
    name = f"bw-farm-{_MARK}"
    certs = farm.b.tls
    engine.docker(
        "buildx", "create", "--name", name, "--driver", "remote", "--platform", "linux/amd64", farm.a.unix_address
    )
    engine.docker(
        "buildx", "create", "--append", "--name", name, "--driver", "remote", "--platform", "linux/arm64",
        "--driver-opt", f"cacert={certs.ca.cert},cert={certs.client.cert},key={certs.client.key}", farm.b.tcp_address,
    )  # fmt: skip
    return name


def test_a_target_built_on_two_nodes_is_one_index_as_buildx_and_one_node_make_it(
    farm: Farm, engine: EngineInfo
) -> None:
    folder = farm.context(
        "index",
        f"FROM busybox\nARG TARGETPLATFORM\nRUN echo index-{_MARK}-$TARGETPLATFORM > /where\nCOPY data.txt /\n",
        {"data.txt": f"data {_MARK}\n"},
    )
    repository = "bw-farm/index"
    registry = farm.a.registry
    epoch = {"SOURCE_DATE_EPOCH": "0"}

    def output(tag: str) -> str:
        return f"type=image,name={registry}/{repository}:{tag},push=true,rewrite-timestamp=true"

    result = build_all(
        "split",
        [NamedBuild("app", {"context": str(folder), "platform": "linux/amd64,linux/arm64", "build_args": epoch,
                            "outputs": [output(f"{_MARK}-farm")]})],
        env=farm.env,
    )  # fmt: skip
    app = result.target("app")
    assert app.nodes == ("bw-farm-a", "bw-farm-b")
    digest, index = _index(registry, repository, f"{_MARK}-farm")
    assert app.image_id == digest
    platforms = [(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]]
    assert platforms == [("linux", "amd64"), ("linux", "arm64")]
    for manifest in index["manifests"]:
        _index(registry, repository, manifest["digest"])  # each leg's manifest is in the registry

    # The same build with both legs on one node (buildwright's CLI on c).
    _cli(
        farm.env, "build", "--addr", farm.c.unix_address, "--progress", "quiet",
        "--platform", "linux/amd64,linux/arm64", "--build-arg", "SOURCE_DATE_EPOCH=0",
        "--output", output(f"{_MARK}-one"), str(folder),
    )  # fmt: skip
    assert _index(registry, repository, f"{_MARK}-one") == (digest, index)

    # buildx over the same two nodes (its remote driver, one platform each) makes the same index.
    builder = _buildx_multi_node(engine, farm)
    try:
        done = engine.docker(
            "buildx", "build", "--builder", builder, "--progress", "plain", "--provenance=false",
            "--platform", "linux/amd64,linux/arm64", "--build-arg", "SOURCE_DATE_EPOCH=0",
            "--output", output(f"{_MARK}-buildx"), str(folder), check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    finally:
        engine.docker("buildx", "rm", builder, check=False)
    assert _index(registry, repository, f"{_MARK}-buildx") == (digest, index)


def test_a_node_down_at_the_start_is_skipped_with_a_warning(farm: Farm) -> None:
    build = _slow(farm, "skipped", seconds=1)
    result = build_all("halfdown", [build], env=farm.env)
    assert result.target("skipped").nodes == ("bw-farm-c",)
    assert any(w.startswith(f"node bw-farm-dead (tcp://127.0.0.1:{_DEAD_PORT}) is skipped") for w in result.warnings)
    assert farm.ran_on(f"skipped-{_MARK}") == ["bw-farm-c"]


def test_a_platforms_only_node_down_fails_clearly_instead_of_building_elsewhere(farm: Farm) -> None:
    # `armdown`: a (linux/amd64) and an arm64 node nobody answers on; buildx#2119 builds the
    # arm64 leg on the amd64 node instead.
    folder = farm.context("armdown", f"FROM busybox\nRUN echo armdown-{_MARK}\n")
    done = run_cli(farm.env, "build", "--builder", "armdown", "--platform", "linux/arm64", str(folder))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ERROR: no node of builder 'armdown' can build armdown (linux/arm64)"
        " (node platforms: bw-farm-a: linux/amd64; not answering: bw-farm-dead)"
    )
    assert farm.ran_on(f"armdown-{_MARK}") == []


def test_the_cli_shows_each_legs_node_and_reason(farm: Farm) -> None:
    folder = farm.context("cli", f"FROM busybox\nARG TARGETPLATFORM\nRUN echo cli-{_MARK}-$TARGETPLATFORM\n")
    image = f"{farm.a.registry}/bw-farm/cli:{_MARK}"
    done = run_cli(
        farm.env, "build", "--builder", "farm3", "--progress", "plain", "--platform", "linux/amd64,linux/arm64",
        "--push", "-t", image, "--iidfile", str(farm.root / "cli.iid"), str(folder),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    digest, index = _index(farm.a.registry, "bw-farm/cli", _MARK)
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "arm64"]
    assert (farm.root / "cli.iid").read_text() == digest
    err = done.stderr
    assert "[farm] placement: 2 legs on 2 nodes" in err
    placed = {}
    for line in err.splitlines():
        for platform in ("linux/amd64", "linux/arm64"):
            if f"cli ({platform}) -> " in line:
                node, _, reason = line.split(" -> ", 1)[1].partition(": ")
                placed[platform] = (node, reason.split(" ")[0])
    assert set(placed) == {"linux/amd64", "linux/arm64"}
    assert placed["linux/amd64"][0] != placed["linux/arm64"][0]
    for platform, (node, reason) in placed.items():
        assert reason == LOAD
        assert f"[cli {platform}@{node} 2/2] RUN echo cli-{_MARK}-" in err
        assert any(line.split()[:4] == ["cli", platform, node, reason] for line in err.splitlines()), "table row"
    assert "TARGET  PLATFORM" in err

    # BUILDWRIGHT_BUILDER names the farm as well; with the halfdown builder the skipped node is a warning.
    env = {**farm.env, "BUILDWRIGHT_BUILDER": "halfdown"}
    again = run_cli(env, "build", "--progress", "plain", str(folder))
    assert again.returncode == 0, again.stderr[-3000:]
    assert "WARNING: node bw-farm-dead" in again.stderr
    assert "-> bw-farm-c: " in again.stderr


def test_attestations_of_legs_on_two_nodes_follow_their_images_in_the_index(farm: Farm) -> None:
    folder = farm.context("attested", f"FROM busybox\nARG TARGETARCH\nRUN echo attested-{_MARK}-$TARGETARCH\n")
    image = f"{farm.a.registry}/bw-farm/attested:{_MARK}"
    build = NamedBuild(
        "app",
        {"context": str(folder), "platform": "linux/amd64,linux/arm64", "tags": [image], "push": True,
         "provenance": "mode=min"},
    )  # fmt: skip
    result = build_all("split", [build], env=farm.env)
    assert result.target("app").nodes == ("bw-farm-a", "bw-farm-b")
    digest, index = _index(farm.a.registry, "bw-farm/attested", _MARK)
    assert result.target("app").image_id == digest
    kinds = [
        (m["platform"]["architecture"], (m.get("annotations") or {}).get("vnd.docker.reference.digest"))
        for m in index["manifests"]
    ]
    images = [m["digest"] for m in index["manifests"][:2]]
    # As one engine writes it: both images, then each one's attestation manifest in the same order.
    assert kinds == [("amd64", None), ("arm64", None), ("unknown", images[0]), ("unknown", images[1])]


def test_builds_started_at_once_from_separate_commands_spread_over_the_nodes(farm: Farm) -> None:
    contexts = [farm.context(f"apart{i}", f"FROM busybox\nRUN echo apart{i}-{_MARK} && sleep 3\n") for i in range(3)]
    command = [sys.executable, "-m", "buildwright", "build", "--builder", "farm3", "--progress", "plain"]
    running = [
        subprocess.Popen([*command, str(c)], env=dict(farm.env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for c in contexts
    ]
    placed = []
    for process in running:
        err = process.communicate(timeout=600)[1].decode(errors="replace")
        assert process.returncode == 0, err[-3000:]
        [line] = [line for line in err.splitlines() if f" apart{len(placed)} -> " in line]
        placed.append(line.split(" -> ", 1)[1].split(":")[0])
    # Each run counted the others' legs as load: their leases (taken under one lock with their
    # placement) and the builds the engines run. Either alone spreads these three; neither, not.
    assert sorted(placed) == ["bw-farm-a", "bw-farm-b", "bw-farm-c"]
    for i, node in enumerate(placed):
        assert farm.ran_on(f"apart{i}-{_MARK}") == [node]


def test_a_node_killed_mid_build_has_its_legs_rebuilt_elsewhere(farm: Farm) -> None:
    builds = [_slow(farm, f"kill{i}", seconds=6) for i in range(3)]
    outputs = {b.name: farm.root / "out" / b.name for b in builds}
    builds = [NamedBuild(b.name, {**b.options, "outputs": [f"type=local,dest={outputs[b.name]}"]}) for b in builds]
    victim = farm.c
    killed = threading.Event()
    seen: list[BuildEvent] = []

    def on_event(event: BuildEvent) -> None:
        seen.append(event)
        # Once c runs its slow step, its daemon dies.
        mine = isinstance(event, VertexStarted) and f"@{victim.name} " in event.name and "sleep" in event.name
        if mine and not killed.is_set():
            killed.set()
            os.kill(victim.pid, signal.SIGKILL)

    planned = {p.leg.target: p.node for p in plan_all("farm3", builds, env=farm.env)}
    lost = next(t for t, node in planned.items() if node == victim.name)
    result = build_all("farm3", builds, env=farm.env, on_event=on_event)
    assert killed.is_set()
    moved = result.target(lost).legs[0]
    assert moved.moved_from == (victim.name,)
    assert moved.reason == FAILOVER and moved.node in ("bw-farm-a", "bw-farm-b")
    assert [leg.leg.target for leg in result.moved] == [lost]
    assert any(f"node {victim.name} stopped answering" in w for w in result.warnings)
    assert any(isinstance(e, VertexQueued) and e.name.startswith(f"[farm] failover: {lost} -> ") for e in seen)
    # The lost node's running step ends canceled (as a cancelled step shows), not as a failure.
    ended = [e for e in seen if isinstance(e, VertexFailed) and f"@{victim.name} " in e.name and "sleep" in e.name]
    assert [e.error for e in ended] == [f"node {victim.name} stopped answering: context canceled"]
    # Every output is whole, and nothing else was left beside them.
    for name, folder in outputs.items():
        assert (folder / "bin" / "busybox").exists(), name
    assert sorted(p.name for p in (farm.root / "out").iterdir()) == sorted(outputs)
