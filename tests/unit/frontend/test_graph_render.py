"""The stage graph as text, DOT and SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from buildwright.dockerfile import parse_dockerfile
from buildwright.frontend import FrontendOptions
from buildwright.frontend.graph import BuildGraph, build_graph
from buildwright.frontend.graph_render import render_dot, render_text
from buildwright.frontend.graph_svg import render_svg

SOURCE = """\
FROM busybox:latest AS base
FROM busybox:latest AS tools
FROM base AS build
COPY --from=tools /t /t
RUN --mount=type=bind,from=tools,target=/d true
FROM base AS test
FROM scratch
COPY --from=build /b /b
COPY --from=debian:bookworm /etc/os-release /os
"""
SVG = "{http://www.w3.org/2000/svg}"


def _graph(target: str | None = None) -> BuildGraph:
    return build_graph(parse_dockerfile(SOURCE), FrontendOptions(target=target))


def test_text_lists_levels_then_pruned() -> None:
    text = render_text(_graph())
    assert text.splitlines()[:2] == ["Dockerfile: target stage-4", "5 built in 3 levels, 1 pruned"]
    sections = [line for line in text.splitlines() if line and not line.startswith(" ")][2:]
    assert sections == ["level 1 (side by side)", "level 2", "level 3", "pruned (not needed by stage-4)"]
    level_1 = text.split("level 1 (side by side)\n")[1].split("\n\n")[0]
    assert re.search(r"^  base +FROM busybox:latest +Dockerfile:1$", level_1, re.M)
    assert re.search(r"^  debian:bookworm +image", level_1, re.M)
    assert re.search(r"^ +COPY --from=tools +Dockerfile:4$", text, re.M)
    assert re.search(r"^ +RUN --mount from=tools +Dockerfile:5$", text, re.M)
    assert re.search(r"^  stage-4 \(target\) +FROM scratch +Dockerfile:7$", text, re.M)
    assert text.split("pruned (not needed by stage-4)\n")[1].startswith("  test ")


def test_dot_has_every_node_edge_and_rank() -> None:
    graph = _graph()
    dot = render_dot(graph)
    assert dot.startswith('digraph "Dockerfile" {\n') and dot.endswith("}\n")
    assert len(re.findall(r"^  s\d+ \[label=", dot, re.M)) == len(graph.nodes)
    assert len(re.findall(r"^  s\d+ -> s\d+ ", dot, re.M)) == len(graph.edges)
    assert "s2 -> s1" not in dot
    assert 's1 -> s2 [label="copy", style=dashed' in dot
    assert 's1 -> s2 [label="mount", style=dotted' in dot
    assert 's0 -> s2 [label="from", style=solid' in dot
    assert 's3 [label="test\\nFROM base", color="#999999", fontcolor="#999999", style="rounded,dashed"]' in dot
    assert "penwidth=2" in dot.split("s4 [")[1].split("\n")[0]
    assert "{ rank=same; s0; s1; s5; }" in dot


def test_dot_escapes_quotes() -> None:
    graph = build_graph(parse_dockerfile('FROM busybox\nCOPY --from=x\\"y /a /b\n'), FrontendOptions())
    assert 'label="x\\"y"' in render_dot(graph)


def _boxes(root: ET.Element) -> list[tuple[float, float, float, float]]:
    return [
        (float(r.get("x", 0)), float(r.get("y", 0)), float(r.get("width", 0)), float(r.get("height", 0)))
        for g in root.iter(f"{SVG}g")
        if "node" in (g.get("class") or "").split()
        for r in g.iter(f"{SVG}rect")
    ]


def test_svg_is_valid_and_boxes_do_not_overlap() -> None:
    graph = _graph()
    root = ET.fromstring(render_svg(graph))
    assert root.tag == f"{SVG}svg"
    boxes = _boxes(root)
    assert len(boxes) == len(graph.nodes)
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    for i, (x, y, w, h) in enumerate(boxes):
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y
    edges = [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("edge")]
    assert len(edges) == len(graph.edges)
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"base", "tools", "build", "test", "stage-4 (target)", "debian:bookworm"} <= texts
    pruned = [g for g in root.iter(f"{SVG}g") if "pruned" in (g.get("class") or "").split()]
    assert next(t.text for g in pruned for t in g.iter(f"{SVG}text")) == "test"


def test_svg_rows_follow_levels() -> None:
    graph = _graph()
    root = ET.fromstring(render_svg(graph))
    top = {}
    for g in root.iter(f"{SVG}g"):
        if "node" in (g.get("class") or "").split():
            label = next(iter(g.iter(f"{SVG}text"))).text or ""
            rect = next(iter(g.iter(f"{SVG}rect")))
            top[label] = float(rect.get("y", 0)) + float(rect.get("height", 0)) / 2
    assert top["base"] == top["tools"] < top["build"] < top["stage-4 (target)"]


def test_svg_long_edges_pass_between_boxes() -> None:
    source = (
        "FROM busybox AS a\nFROM a AS b\nFROM b AS c\nFROM busybox AS side\n"
        "FROM c AS d\nCOPY --from=a /x /x\nCOPY --from=side /y /y\n"
    )
    graph = build_graph(parse_dockerfile(source), FrontendOptions())
    root = ET.fromstring(render_svg(graph))
    boxes = _boxes(root)
    crossings = 0
    for path in root.iter(f"{SVG}path"):
        d = path.get("d") or ""
        for x, y in re.findall(r"L([\d.]+),([\d.]+)", d):
            crossings += 1
            for bx, by, bw, bh in boxes:
                assert not (bx <= float(x) <= bx + bw and by <= float(y) - 1 <= by + bh), (x, y)
    assert crossings >= 3  # a->d crosses the rows of b and c, side->d those of b and c too
