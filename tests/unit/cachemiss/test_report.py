"""Explanations as text and JSON, and the exit code `buildwright explain` gives CI."""

from __future__ import annotations

import json

from buildwright.cachemiss.causes import Cause, CauseKind
from buildwright.cachemiss.report import Explanation, StepExplanation, explanation
from tests.unit.cachemiss.helpers import graph_of, step_named

COPY = StepExplanation(
    "[2/3] COPY src/ /src/",
    "sha256:c",
    "COPY src/ /src/",
    2,
    True,
    Cause(CauseKind.FILES, "src/a changed (size 1 -> 2)"),
)
RUN = StepExplanation(
    "[3/3] RUN make", "sha256:r", "RUN make", 3, True, Cause(CauseKind.PARENT, "after [2/3]", "sha256:c")
)
BASE = StepExplanation("[1/3] FROM busybox", "sha256:b", "FROM busybox", 1, False)


def test_a_prediction_lists_every_step_and_exits_1_when_something_runs() -> None:
    predicted = Explanation((BASE, COPY, RUN), predicted=True)
    assert predicted.text() == (
        "cached    [1/3] FROM busybox (Dockerfile:1)\n"
        "will run  [2/3] COPY src/ /src/ (Dockerfile:2): src/a changed (size 1 -> 2)\n"
        "will run  [3/3] RUN make (Dockerfile:3): after [2/3]\n"
        "2 of 3 steps will run\n"
    )
    assert predicted.exit_code == 1
    assert predicted.cause_of("[3/3]") == RUN.cause


def test_nothing_to_run_exits_0() -> None:
    quiet = Explanation((BASE,), predicted=True)
    assert quiet.exit_code == 0
    assert quiet.text().endswith("all 1 steps are cached\n")
    assert Explanation((BASE,), predicted=False).text() == "all 1 steps came from the cache\n"


def test_after_a_build_only_the_rebuilt_steps_are_listed() -> None:
    built = Explanation((BASE, COPY, RUN), predicted=False, dockerfile="app.Dockerfile")
    assert built.text() == (
        "rebuilt   [2/3] COPY src/ /src/ (app.Dockerfile:2): src/a changed (size 1 -> 2)\n"
        "rebuilt   [3/3] RUN make (app.Dockerfile:3): after [2/3]\n"
        "2 of 3 steps rebuilt\n"
    )


def test_json_carries_every_step_its_status_and_cause() -> None:
    document = json.loads(Explanation((BASE, COPY, RUN), predicted=False, has_record=True).json(image_id="sha256:i"))
    assert document == {
        "predicted": False,
        "record": True,
        "rebuilt": 2,
        "cached": 1,
        "image_id": "sha256:i",
        "steps": [
            {
                "name": "[1/3] FROM busybox",
                "digest": "sha256:b",
                "instruction": "FROM busybox",
                "line": 1,
                "status": "cached",
            },
            {
                "name": "[2/3] COPY src/ /src/",
                "digest": "sha256:c",
                "instruction": "COPY src/ /src/",
                "line": 2,
                "status": "rebuilt",
                "cause": {"kind": "files", "text": "src/a changed (size 1 -> 2)"},
            },
            {
                "name": "[3/3] RUN make",
                "digest": "sha256:r",
                "instruction": "RUN make",
                "line": 3,
                "status": "rebuilt",
                "cause": {"kind": "parent", "text": "after [2/3]", "parent": "sha256:c"},
            },
        ],
    }
    assert "image_id" not in json.loads(Explanation((BASE,), predicted=True).json())


def test_the_steps_of_a_graph_in_order_without_internal_ones() -> None:
    graph = graph_of("FROM busybox\nCOPY a /a\nRUN echo hi\n")
    run = step_named(graph, "[3/3]")
    cause = Cause(CauseKind.INSTRUCTION, "instruction edited: 'RUN echo' -> 'RUN echo hi'")
    made = explanation(
        graph, {run.digest}, {run.digest: cause}, predicted=True, dockerfile="Dockerfile", has_record=True
    )
    assert [step.name.split("]")[0] for step in made.steps] == ["[1/3", "[2/3", "[3/3"]
    assert [step.rebuilt for step in made.steps] == [False, False, True]
    assert made.steps[2].cause == cause and made.steps[2].line == 3
