"""`--call=targets`: the stages a Dockerfile can build, as the reference frontend lists them.

Each stage gives its name (lower-cased, "" when unnamed), the doc comment above its FROM (a
comment block starting with the stage name), its base and platform as written (not expanded),
its FROM lines, and whether it is the default target (the last stage). The JSON is the
reference's subrequest result (`targets` and the Dockerfile as `sources`); the text is its table.
"""

from __future__ import annotations

import base64
from typing import Any

from buildwright._golang import go_json
from buildwright._values import valueclass
from buildwright.dockerfile import Dockerfile
from buildwright.dockerfile.stages import split_stages


@valueclass
class Target:
    name: str
    default: bool
    description: str
    base: str
    platform: str
    start_line: int
    end_line: int


@valueclass
class TargetList:
    """`--call=targets`: the Dockerfile's stages and its source, as the reference lists them."""

    targets: tuple[Target, ...]
    source: bytes

    def json(self) -> str:
        return targets_json(self.targets, self.source)

    def text(self) -> str:
        return targets_text(self.targets)


def list_targets(dockerfile: Dockerfile) -> tuple[Target, ...]:
    """Every stage of `dockerfile`, in file order."""
    _, stages = split_stages(dockerfile.instructions, dockerfile.lines)
    out = []
    for stage in stages:
        from_ = stage.from_instruction
        out.append(
            Target(
                name=stage.name,
                default=stage.index == len(stages) - 1,
                description=from_.doc_comment,
                base=from_.image,
                platform=from_.platform,
                start_line=from_.location.start_line,
                end_line=from_.location.end_line,
            )
        )
    return tuple(out)


def targets_json(targets: tuple[Target, ...], source: bytes) -> str:
    """The reference's JSON (Go's MarshalIndent, two spaces; empty fields left out)."""
    items: list[dict[str, Any]] = []
    for target in targets:
        item: dict[str, Any] = {}
        for key, value in (
            ("name", target.name),
            ("default", target.default),
            ("description", target.description),
            ("base", target.base),
            ("platform", target.platform),
        ):
            if value:
                item[key] = value
        # One range per physical line of the FROM, as the reference's parser reports a node.
        lines = range(target.start_line, target.end_line + 1)
        item["location"] = {"ranges": [{"start": {"line": n}, "end": {"line": n}} for n in lines]}
        items.append(item)
    return go_json({"targets": items, "sources": [base64.b64encode(source).decode()]}, indent=2)


def targets_text(targets: tuple[Target, ...]) -> str:
    """The reference's table: TARGET and DESCRIPTION, the default marked `(default)`."""
    rows = [("TARGET", "DESCRIPTION")]
    for target in targets:
        name = target.name
        if target.default:
            name = f"{name} (default)" if name else "(default)"
        rows.append((name, target.description))
    width = max(len(name) for name, _ in rows) + 1
    return "".join(f"{name.ljust(width)}{description}\n" for name, description in rows)
