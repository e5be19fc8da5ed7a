"""A `BuildGraph` as an SVG picture, laid out in layers without Graphviz.

Each level is a row (what a stage needs sits above it). An edge that spans several levels gets a
waypoint in each row it crosses, so it runs between the boxes rather than through them. Within a
row, items are ordered by the mean position of their neighbours (a few up and down sweeps, which
removes most crossings in graphs of Dockerfile size). Text is monospace, so box widths follow from
character counts.
"""

from __future__ import annotations

from itertools import pairwise
from xml.sax.saxutils import escape

from buildwright._values import valueclass
from buildwright.frontend.graph import BuildGraph, EdgeKind, GraphNode, NodeKind
from buildwright.frontend.graph_render import subtitle

_FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
_FONT_SIZE = 13
_CHAR_WIDTH = 7.9  # advance of a 13px monospace glyph (0.6em), rounded up
_PAD_X = 14
_BOX_HEIGHT = 46
_IMAGE_HEIGHT = 32
_GAP_X = 36
_GAP_Y = 70
_MARGIN = 24
_TITLE_HEIGHT = 34
_LEGEND_HEIGHT = 40
_SWEEPS = 4
_WAYPOINT_WIDTH = 6.0

_EDGE_STYLE = {
    EdgeKind.FROM: ("#333333", ""),
    EdgeKind.COPY: ("#1f5fbf", "7,4"),
    EdgeKind.MOUNT: ("#2e8b57", "2,4"),
}
_PRUNED = "#9a9a9a"


@valueclass
class _Box:
    node: GraphNode
    x: float  # left
    y: float  # top
    width: float
    height: float

    @property
    def cx(self) -> float:
        return self.x + self.width / 2


# An item of a row: a stage ("n", index), or the place where an edge crosses a row it does not
# stop in ("w", edge number, level), which takes a narrow slot so the edge passes between boxes.
_Key = tuple[str, int, int]


def render_svg(graph: BuildGraph) -> str:
    """The graph as a standalone SVG document."""
    rows, chains = _layout_rows(graph)
    widths = {("n", node.index, 0): _box_width(graph, node) for node in graph.nodes}
    row_widths: list[float] = [
        sum(widths.get(key, _WAYPOINT_WIDTH) for key in row) + _GAP_X * (len(row) - 1) for row in rows
    ]
    title = f"{graph.filename}: target {graph.node(graph.target).name}"
    legend_width = 560.0
    content_width = max([*row_widths, len(title) * _CHAR_WIDTH, legend_width], default=legend_width)
    boxes: dict[int, _Box] = {}
    waypoints: dict[_Key, tuple[float, float, float]] = {}  # x, row top, row bottom
    y = float(_MARGIN + _TITLE_HEIGHT)
    for row, row_width in zip(rows, row_widths, strict=True):
        x = _MARGIN + (content_width - row_width) / 2
        for key in row:
            width = widths.get(key, _WAYPOINT_WIDTH)
            if key[0] == "n":
                node = graph.node(key[1])
                box_height = _IMAGE_HEIGHT if node.kind is NodeKind.IMAGE else _BOX_HEIGHT
                boxes[node.index] = _Box(node, x, y + (_BOX_HEIGHT - box_height) / 2, width, box_height)
            else:
                waypoints[key] = (x + width / 2, y, y + _BOX_HEIGHT)
            x += width + _GAP_X
        y += _BOX_HEIGHT + _GAP_Y
    height = y - _GAP_Y + _LEGEND_HEIGHT + _MARGIN
    width = content_width + 2 * _MARGIN

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{_FONT}" font-size="{_FONT_SIZE}">',
        f"<title>{escape(title)}</title>",
        "<defs>",
        *(_marker(kind.value, _EDGE_STYLE[kind][0]) for kind in EdgeKind),
        _marker("pruned", _PRUNED),
        "</defs>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        f'<text x="{_MARGIN}" y="{_MARGIN + 14}" font-weight="bold">{escape(title)}</text>',
    ]
    starts, ends = _ports(graph, boxes, chains, waypoints)
    for number, edge in enumerate(graph.edges):
        points = [starts[number]]
        for key in chains[number][1:-1]:
            x, top, bottom = waypoints[key]
            points += [(x, top), (x, bottom)]
        points.append(ends[number])
        # Arrows into a pruned stage are grey like it: nothing on them is built.
        out.append(_edge(points, edge.kind, muted=not graph.node(edge.dest).built))
    for box in boxes.values():
        out.extend(_node(graph, box))
    out.extend(_legend(_MARGIN, height - _MARGIN - 12))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _layout_rows(graph: BuildGraph) -> tuple[list[list[_Key]], list[list[_Key]]]:
    """Rows of items ordered to limit crossings, and each edge's chain of items (source to dest)."""
    depth = max((node.level for node in graph.nodes), default=-1)
    rows: list[list[_Key]] = [[] for _ in range(depth + 1)]
    for node in graph.nodes:
        rows[node.level].append(("n", node.index, 0))
    above: dict[_Key, list[_Key]] = {key: [] for row in rows for key in row}
    below: dict[_Key, list[_Key]] = {key: [] for row in rows for key in row}
    chains: list[list[_Key]] = []
    for number, edge in enumerate(graph.edges):
        source, dest = graph.node(edge.source), graph.node(edge.dest)
        chain: list[_Key] = [("n", source.index, 0)]
        for level in range(source.level + 1, dest.level):
            waypoint = ("w", number, level)
            rows[level].append(waypoint)
            above[waypoint], below[waypoint] = [], []
            chain.append(waypoint)
        chain.append(("n", dest.index, 0))
        for upper, lower in pairwise(chain):
            below[upper].append(lower)
            above[lower].append(upper)
        chains.append(chain)
    for sweep in range(_SWEEPS):
        downward = sweep % 2 == 0
        order = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        neighbours = above if downward else below
        for level in order:
            position = {key: i for row in rows for i, key in enumerate(row)}
            rows[level] = sorted(rows[level], key=lambda key: _barycenter(key, neighbours[key], position))
    return rows, chains


def _barycenter(key: _Key, neighbours: list[_Key], position: dict[_Key, int]) -> tuple[float, int]:
    """Where an item wants to be in its row: the mean position of its neighbours (its own if none)."""
    seen = [position[n] for n in neighbours]
    mean = sum(seen) / len(seen) if seen else float(position[key])
    return (mean, position[key])


def _box_width(graph: BuildGraph, node: GraphNode) -> float:
    label = _label(graph, node)
    text = max(len(label), len(subtitle(graph, node)))
    return text * _CHAR_WIDTH + 2 * _PAD_X


def _label(graph: BuildGraph, node: GraphNode) -> str:
    return f"{node.name} (target)" if node.index == graph.target else node.name


def _node(graph: BuildGraph, box: _Box) -> list[str]:
    node = box.node
    stroke = "#222222" if node.built else _PRUNED
    text_colour = "#111111" if node.built else _PRUNED
    dash = "" if node.built else ' stroke-dasharray="5,3"'
    width = 2.6 if node.index == graph.target else 1.3
    fill = "#eef3fb" if node.kind is NodeKind.IMAGE else "#fbfbf7"
    if not node.built:
        fill = "#f6f6f6"
    radius = box.height / 2 if node.kind is NodeKind.IMAGE else 8
    out = [
        f'<g class="node {node.kind.value}{"" if node.built else " pruned"}">',
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
        f'rx="{radius:.1f}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>',
    ]
    second = subtitle(graph, node)
    weight = ' font-weight="bold"' if node.kind is not NodeKind.IMAGE else ""
    if second:
        out.append(_text(box.cx, box.y + 19, _label(graph, node), text_colour, weight))
        out.append(_text(box.cx, box.y + 36, second, text_colour, ' font-size="12"'))
    else:
        out.append(_text(box.cx, box.y + box.height / 2 + 4.5, _label(graph, node), text_colour, weight))
    out.append("</g>")
    return out


def _text(x: float, y: float, text: str, colour: str, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="{colour}"{extra}>{escape(text)}</text>'


def _ports(
    graph: BuildGraph,
    boxes: dict[int, _Box],
    chains: list[list[_Key]],
    waypoints: dict[_Key, tuple[float, float, float]],
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Where each edge leaves its source and enters its destination.

    Edges of one box are spread along its bottom (leaving) or top (entering) edge, ordered by
    where they go next, so they neither start in one point nor cross at the box.
    """

    def x_of(key: _Key) -> float:
        return boxes[key[1]].cx if key[0] == "n" else waypoints[key][0]

    starts: list[tuple[float, float]] = [(0.0, 0.0)] * len(graph.edges)
    ends: list[tuple[float, float]] = [(0.0, 0.0)] * len(graph.edges)
    for index, box in boxes.items():
        leaving = sorted((n for n, e in enumerate(graph.edges) if e.source == index), key=lambda n: x_of(chains[n][1]))
        for slot, number in enumerate(leaving):
            starts[number] = (_spread(box, slot, len(leaving)), box.y + box.height)
        entering = sorted((n for n, e in enumerate(graph.edges) if e.dest == index), key=lambda n: x_of(chains[n][-2]))
        for slot, number in enumerate(entering):
            # Stop short of the border so the arrow head is not under it.
            ends[number] = (_spread(box, slot, len(entering)), box.y - 3)
    return starts, ends


def _spread(box: _Box, slot: int, count: int) -> float:
    if count == 1:
        return box.cx
    usable = box.width * 0.7
    return box.x + (box.width - usable) / 2 + usable * slot / (count - 1)


def _edge(points: list[tuple[float, float]], kind: EdgeKind, *, muted: bool = False) -> str:
    """A smooth path through `points`: curves between rows, straight down through a row it crosses."""
    colour, dash = _EDGE_STYLE[kind]
    if muted:
        colour = _PRUNED
    (x1, y1), rest = points[0], points[1:]
    path = [f"M{x1:.1f},{y1:.1f}"]
    previous = points[0]
    for number, (x, y) in enumerate(rest):
        px, py = previous
        if number % 2 == 1 and x == px:
            path.append(f"L{x:.1f},{y:.1f}")  # through a waypoint's row
        else:
            bend = max(20.0, (y - py) / 2)
            path.append(f"C{px:.1f},{py + bend:.1f} {x:.1f},{y - bend:.1f} {x:.1f},{y:.1f}")
        previous = (x, y)
    dasharray = f' stroke-dasharray="{dash}"' if dash else ""
    # The kind is written where the curve starts, where arrows leaving one box are apart.
    lx, ly = x1 + 4, y1 + 15
    return (
        f'<g class="edge {kind.value}"><path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="1.6"'
        f'{dasharray} marker-end="url(#arrow-{"pruned" if muted else kind.value})"/>'
        f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="11" fill="{colour}" stroke="#ffffff" stroke-width="3" '
        f'paint-order="stroke">{kind.value}</text></g>'
    )


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
    )


def _legend(x: float, y: float) -> list[str]:
    out = []
    entries = [
        (EdgeKind.FROM, "FROM stage"),
        (EdgeKind.COPY, "COPY --from"),
        (EdgeKind.MOUNT, "RUN --mount from="),
    ]
    for kind, text in entries:
        colour, dash = _EDGE_STYLE[kind]
        dasharray = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 28:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
            f'stroke-width="1.6"{dasharray}/>'
        )
        out.append(f'<text x="{x + 34:.1f}" y="{y:.1f}" font-size="11" fill="#333333">{escape(text)}</text>')
        x += 40 + len(text) * 6.8 + 18
    out.append(
        f'<rect x="{x:.1f}" y="{y - 12:.1f}" width="24" height="14" rx="3" fill="#f6f6f6" stroke="{_PRUNED}" '
        'stroke-dasharray="5,3"/>'
    )
    out.append(f'<text x="{x + 30:.1f}" y="{y:.1f}" font-size="11" fill="#333333">pruned (not built)</text>')
    return out
