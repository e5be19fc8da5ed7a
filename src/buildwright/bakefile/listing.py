"""`--list targets` and `--list variables` as buildx prints them: a table (Go's tabwriter with tab
padding) or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from buildwright._golang import go_json
from buildwright.bakefile.errors import BakeFileError
from buildwright.bakefile.program import VariableInfo
from buildwright.bakefile.resolve import Config

_TAB_WIDTH = 8


def tab_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as Go's `tabwriter.NewWriter(w, 1, 8, 1, '\\t', 0)` writes tab-separated cells: every
    cell but a row's last is padded with tabs to its column's width plus one, rounded up to a tab stop."""
    columns = max((len(r) for r in rows), default=0) - 1
    widths = [max(len(r[i]) for r in rows if len(r) > i + 1) + 1 for i in range(columns)]
    lines = []
    for row in rows:
        out = []
        for i, cell in enumerate(row):
            if i == len(row) - 1:
                out.append(cell)
                break
            cell_width = -(-widths[i] // _TAB_WIDTH) * _TAB_WIDTH
            out.append(cell + "\t" * (-(-(cell_width - len(cell)) // _TAB_WIDTH)))
        lines.append("".join(out) + "\n")
    return "".join(lines)


def format_targets(config: Config, fmt: str) -> str:
    entries: list[tuple[str, str, bool]] = []
    for spec in config.targets:
        entries.append((spec.name, spec.description, False))
    for group in config.groups:
        description = group.description
        if group.targets:
            names = ", ".join(sorted(group.targets))
            description = f"{description} ({names})" if description else names
        entries.append((group.name, description, True))
    entries.sort(key=lambda e: e[0])
    entries = [e for e in entries if not e[0].startswith("_")]
    if fmt == "json":
        items: list[dict[str, Any]] = []
        for name, description, is_group in entries:
            item: dict[str, Any] = {"name": name}
            if description:
                item["description"] = description
            if is_group:
                item["group"] = True
            items.append(item)
        return go_json(items, indent=2) + "\n"
    if fmt != "table":
        raise BakeFileError(f'invalid list format "{fmt}"')
    return tab_table([("TARGET", "DESCRIPTION"), *((n, d) for n, d, _ in entries)])


def format_variables(variables: Sequence[VariableInfo], fmt: str) -> str:
    ordered = sorted(variables, key=lambda v: v.name)
    if fmt == "json":
        items: list[dict[str, Any]] = []
        for var in ordered:
            item: dict[str, Any] = {"name": var.name}
            if var.description:
                item["description"] = var.description
            if var.type:
                item["type"] = var.type
            if var.value is not None:
                item["value"] = var.value
            items.append(item)
        return go_json(items, indent=2) + "\n"
    if fmt != "table":
        raise BakeFileError(f'invalid list format "{fmt}"')
    rows = [("VARIABLE", "TYPE", "VALUE", "DESCRIPTION")]
    rows += [(v.name, v.type, "<null>" if v.value is None else v.value, v.description) for v in ordered]
    return tab_table(rows)
