"""Deeply nested input compiles, checks and graphs without reaching Python's recursion limit."""

from __future__ import annotations

import json

import pytest

from buildwright.dockerfile import parse_dockerfile
from buildwright.errors import DockerfileError
from buildwright.frontend.graph import build_graph
from buildwright.frontend.lint import LintOptions, run_lint
from buildwright.frontend.options import FrontendOptions
from tests.unit.frontend.test_convert import FakeResolver, compile_text, ops

DEPTH = 3000  # three times Python's default recursion limit


def _nest(depth: int = DEPTH) -> str:
    return "${a:-" * depth + "x" + "}" * depth


@pytest.mark.parametrize(
    "text",
    [
        f"FROM busybox\nRUN echo {_nest()}\n",
        f"FROM busybox\nENV X={_nest()}\n",
        f"FROM busybox{_nest(600)[:-1]}}}\n".replace("x}", "}"),
        f"ARG X={_nest()}\nFROM busybox\nRUN echo $X\n",
        f"FROM busybox\nLABEL l={_nest()}\nWORKDIR /{_nest()}\nCOPY {_nest()} /\n",
    ],
    ids=["run", "env", "from", "arg", "label-workdir-copy"],
)
def test_deep_substitution_compiles_checks_and_graphs(text: str) -> None:
    compiled, _ = compile_text(text)
    assert ops(compiled)
    run_lint(text.encode(), "Dockerfile", LintOptions(), FakeResolver())
    build_graph(parse_dockerfile(text), FrontendOptions(session_id="s1"))


def test_deep_substitution_values() -> None:
    compiled, _ = compile_text(f"ARG X={_nest()}\nFROM busybox\nARG X\nENV Y=$X\nRUN echo {_nest()}\n")
    assert "Y=x" in json.loads(compiled.image_config)["config"]["Env"]
    runs = [op for op in ops(compiled) if "exec" in op["op"]]
    # RUN keeps its text for the shell; the progress name expands it (here to itself: a is unset).
    assert runs[0]["op"]["exec"]["meta"]["args"][-1] == "echo " + _nest()
    assert runs[0]["metadata"]["description"]["llb.customname"].endswith("RUN echo " + _nest())


def _chain(count: int, instruction: str) -> str:
    # Stage i reads stage i+1: a dependency chain as long as the file.
    stages = "".join(f"FROM busybox AS s{i}\n{instruction.format(i + 1)}\n" for i in range(count))
    return stages + f"FROM busybox AS s{count}\nRUN echo > /a\n"


def test_long_stage_chain_compiles_checks_and_graphs() -> None:
    text = _chain(1500, "COPY --from=s{} /a /a")
    compiled, _ = compile_text(text)
    assert ops(compiled)
    run_lint(text.encode(), "Dockerfile", LintOptions(), FakeResolver())
    graph = build_graph(parse_dockerfile(text), FrontendOptions(session_id="s1"))
    assert len(graph.nodes) == 1501


def test_cycle_at_the_end_of_a_long_chain_is_located() -> None:
    text = _chain(1500, "COPY --from=s{} /a /a").replace("RUN echo > /a", "COPY --from=s0 /a /a")
    with pytest.raises(DockerfileError, match="circular dependency detected on stage: s0") as caught:
        compile_text(text)
    assert caught.value.location is not None and caught.value.location.start_line == 2


def test_long_file_action_chains_compile() -> None:
    # One COPY with thousands of sources makes a chain of as many file actions (fuzz finding).
    sources = " ".join(f"f{i}" for i in range(3000))
    compiled, _ = compile_text(f"FROM busybox\nCOPY {sources} /d/\nADD {sources} /e/\n")
    assert len(ops(compiled)) >= 3
