"""A `BuildGraph` as text for a terminal, or as Graphviz DOT."""

from __future__ import annotations

from buildwright.frontend.graph import BuildGraph, EdgeKind, GraphEdge, GraphNode, NodeKind

# How each edge reads in text, and how DOT draws it (style, colour).
_EDGE_TEXT = {EdgeKind.FROM: "FROM", EdgeKind.COPY: "COPY --from=", EdgeKind.MOUNT: "RUN --mount from="}
_EDGE_DOT = {
    EdgeKind.FROM: ("solid", "#333333"),
    EdgeKind.COPY: ("dashed", "#1f5fbf"),
    EdgeKind.MOUNT: ("dotted", "#2e8b57"),
}


def render_text(graph: BuildGraph) -> str:
    """Levels of built stages (side by side within a level), then the pruned stages."""
    target = graph.node(graph.target)
    levels = graph.levels()
    built = sum(len(level) for level in levels)
    pruned = graph.pruned()
    lines = [
        f"{graph.filename}: target {target.name}",
        f"{built} built in {len(levels)} level{'s' if len(levels) != 1 else ''}, {len(pruned)} pruned",
    ]
    width = max((len(_title(graph, node)) for node in graph.nodes), default=0) + 2
    for number, level in enumerate(levels, start=1):
        together = " (side by side)" if len(level) > 1 else ""
        lines.append("")
        lines.append(f"level {number}{together}")
        for node in level:
            lines.extend(_node_lines(graph, node, width))
    if pruned:
        lines.append("")
        lines.append(f"pruned (not needed by {target.name})")
        for node in pruned:
            lines.extend(_node_lines(graph, node, width))
    return "\n".join(lines) + "\n"


def _title(graph: BuildGraph, node: GraphNode) -> str:
    return f"{node.name} (target)" if node.index == graph.target else node.name


def _node_lines(graph: BuildGraph, node: GraphNode, width: int) -> list[str]:
    where = f"{graph.filename}:{node.line}" if node.line is not None else ""
    inputs = graph.inputs(node.index)
    from_stage = next((edge for edge in inputs if edge.kind is EdgeKind.FROM), None)
    if node.kind is NodeKind.IMAGE:
        first = "image (read by other stages, not built)"
    elif node.kind is NodeKind.CONTEXT:
        first = f"context {node.base}"
    elif from_stage is not None:
        first = f"FROM {graph.node(from_stage.source).name}"
    else:
        first = f"FROM {node.base}"
    if node.platform:
        first += f" (--platform={node.platform})"
    out = [f"  {_title(graph, node):<{width}}{first:<40} {where}".rstrip()]
    for edge in inputs:
        if edge.kind is EdgeKind.FROM:
            continue
        text = f"{_EDGE_TEXT[edge.kind]}{graph.node(edge.source).name}"
        at = f"{graph.filename}:{edge.line}" if edge.line is not None else ""
        out.append(f"  {'':<{width}}  {text:<38} {at}".rstrip())
    return out


def render_dot(graph: BuildGraph) -> str:
    """Graphviz DOT: stages as boxes (the target bold, pruned ones grey and dashed), images as ellipses."""
    lines = [
        f"digraph {_quote(graph.filename)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded", fontname="monospace"];',
        '  edge [fontname="monospace", fontsize=10];',
    ]
    for node in graph.nodes:
        lines.append(f"  {_dot_id(node)} [{_dot_node_attrs(graph, node)}];")
    for edge in graph.edges:
        style, colour = _EDGE_DOT[edge.kind]
        attrs = f'label="{edge.kind.value}", style={style}, color="{colour}", fontcolor="{colour}"'
        lines.append(f"  {_dot_id(graph.node(edge.source))} -> {_dot_id(graph.node(edge.dest))} [{attrs}];")
    # Stages of one level have no path between them: keep each level on one rank.
    for level in graph.levels():
        if len(level) > 1:
            lines.append("  { rank=same; " + " ".join(f"{_dot_id(node)};" for node in level) + " }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_node_attrs(graph: BuildGraph, node: GraphNode) -> str:
    # `\n` inside a DOT string is a line break in the label.
    label = _escape(node.name)
    if node.kind is not NodeKind.IMAGE:
        label += "\\n" + _escape(_subtitle(graph, node))
    attrs = [f'label="{label}"']
    if node.kind is NodeKind.IMAGE:
        attrs.append("shape=ellipse")
    styles = ["rounded"] if node.kind is not NodeKind.IMAGE else []
    if not node.built:
        styles.append("dashed")
        attrs.append('color="#999999", fontcolor="#999999"')
    if node.index == graph.target:
        styles.append("bold")
        attrs.append("penwidth=2")
    attrs.append(f'style="{",".join(styles)}"' if styles else 'style="solid"')
    return ", ".join(attrs)


def _subtitle(graph: BuildGraph, node: GraphNode) -> str:
    """The second line of a stage's box: where it starts from."""
    if node.kind is NodeKind.CONTEXT:
        return f"context {node.base}"
    from_stage = next((e for e in graph.inputs(node.index) if e.kind is EdgeKind.FROM), None)
    base = graph.node(from_stage.source).name if from_stage is not None else node.base
    return f"FROM {base}"


def subtitle(graph: BuildGraph, node: GraphNode) -> str:
    """The line under a stage's name in pictures ("" for images)."""
    return "" if node.kind is NodeKind.IMAGE else _subtitle(graph, node)


def edge_label(edge: GraphEdge) -> str:
    return edge.kind.value


def _dot_id(node: GraphNode) -> str:
    return f"s{node.index}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _quote(text: str) -> str:
    return f'"{_escape(text)}"'
