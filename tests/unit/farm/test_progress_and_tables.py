"""The merged progress (each job's events tagged, the farm's own steps) and the tables."""

from __future__ import annotations

from datetime import UTC, datetime

from buildwright.client import StepResult
from buildwright.client.events import BuildEvent, LogChunk, VertexCompleted, VertexFailed, VertexQueued, VertexStarted
from buildwright.farm import FAILOVER, LOAD, FarmResult, LegResult, Placement, TargetResult, render_summary
from buildwright.farm.progress import MergedProgress, tag_name
from buildwright.farm.requests import Leg
from buildwright.farm.summary import placement_line, render_placement


def test_step_names_are_tagged_with_the_job() -> None:
    assert tag_name("app@a", "[2/3] RUN make") == "[app@a 2/3] RUN make"
    assert tag_name("app@a", "exporting to image") == "[app@a] exporting to image"


def test_each_jobs_digests_are_its_own_and_notes_are_steps_of_the_farm() -> None:
    seen: list[BuildEvent] = []
    progress = MergedProgress(seen.append)
    sink = progress.for_job("app@a", "j0")
    assert sink is not None
    now = datetime.now(UTC)
    sink(VertexQueued("sha256:x", "[1/1] RUN x", ("sha256:y",)))
    sink(LogChunk("sha256:x", 1, b"out", now))
    progress.note("placement: 1 leg on 1 node", ["app -> a: load"])
    assert seen[0] == VertexQueued("j0/sha256:x", "[app@a 1/1] RUN x", ("j0/sha256:y",))
    assert isinstance(seen[1], LogChunk) and seen[1].vertex == "j0/sha256:x"
    kinds = [type(e) for e in seen[2:]]
    assert kinds == [VertexQueued, VertexStarted, LogChunk, VertexCompleted]
    assert isinstance(seen[2], VertexQueued) and seen[2].name == "[farm] placement: 1 leg on 1 node"
    assert isinstance(seen[4], LogChunk) and seen[4].data == b"app -> a: load\n"
    assert MergedProgress(None).for_job("x", "j") is None


def test_the_placement_preview_and_the_summary_name_node_and_reason() -> None:
    placements = [Placement(Leg("app", "linux/amd64"), "a", "cache", 3), Placement(Leg("web", None), "b", LOAD)]
    assert placement_line(placements[0]) == "app (linux/amd64) -> a: cache (3 shared steps)"
    assert render_placement(placements).splitlines() == [
        "TARGET  PLATFORM     NODE  REASON  SHARED STEPS",
        "app     linux/amd64  a     cache   3",
        "web     default      b     load    -",
    ]
    steps = (StepResult("[1/2] FROM x", "d1", cached=True), StepResult("[2/2] RUN y", "d2"))
    legs = (
        LegResult(Leg("app", "linux/amd64"), "a", LOAD, 2.04, steps),
        LegResult(Leg("app", "linux/arm64"), "b", FAILOVER, 5.5, steps, ("c",)),
    )
    result = FarmResult((TargetResult("app", legs, "sha256:i"),), 6.0)
    assert render_summary(result).splitlines() == [
        "TARGET  PLATFORM     NODE  REASON    TIME  CACHED",
        "app     linux/amd64  a     load      2.0s  1/2",
        "app     linux/arm64  b     failover  5.5s  1/2",
        "moved: app (linux/arm64) from c to b",
    ]
    assert result.target("app").nodes == ("a", "b")
    assert [leg.leg.platform for leg in result.moved] == ["linux/arm64"]


def test_a_lost_jobs_open_steps_end_canceled() -> None:
    seen: list[BuildEvent] = []
    progress = MergedProgress(seen.append)
    sink = progress.for_job("app@c", "j2")
    assert sink is not None
    now = datetime.now(UTC)
    sink(VertexQueued("sha256:done", "[1/2] FROM x"))
    sink(VertexCompleted("sha256:done", "[1/2] FROM x", now, now))
    sink(VertexStarted("sha256:run", "[2/2] RUN y", now))
    progress.abandon("j2", "node c stopped answering")
    last = seen[-1]
    assert isinstance(last, VertexFailed) and last.digest == "j2/sha256:run"
    assert last.error == "node c stopped answering: context canceled"
    progress.abandon("j2", "again")
    assert seen[-1] is last, "each open step ends once"
