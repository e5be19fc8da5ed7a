"""What a target's outputs become when its legs run on different nodes.

A target may be split over nodes when every output it names is a push to a registry (or it names
none, and each leg just builds into its node's cache): each node then pushes its legs by digest
to the names' repositories, keeping the output's other attributes (`rewrite-timestamp`,
compression, media types...), and the farm pushes the index under every name afterwards, as
buildx does for a multi-node build. A target writing files, a tarball or into an image store
runs all its legs on one node, whose engine makes the result itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from buildwright.client.exporters import ENGINE_IMAGE, ExportSpec
from buildwright.client.outputs import IMAGE, REGISTRY, OutputSpec, parse_output, plan_exports
from buildwright.farm.registry import Reference

# Options the farm handles itself for a target whose legs ran on several nodes.
_MERGED_OPTIONS = ("tags", "push", "outputs", "load", "iidfile", "metadata_file")


def _specs(options: Mapping[str, Any]) -> tuple[OutputSpec, ...]:
    given = options.get("outputs") or ()
    return tuple(o if isinstance(o, OutputSpec) else parse_output(str(o)) for o in given if o)


def _pushes(export: ExportSpec) -> bool:
    return export.type == REGISTRY or (export.type in (IMAGE, ENGINE_IMAGE) and export.pushes)


def pushed_names(options: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The image names a build pushes when each of its exports is a registry push, else None."""
    if options.get("load"):
        return None
    specs = _specs(options)
    if not specs and not options.get("push"):
        return None
    tags = [str(t) for t in options.get("tags") or ()]
    exports = plan_exports(specs, tags=tags, push=bool(options.get("push")))
    names: list[str] = []
    for export in exports:
        if not _pushes(export):
            return None
        names.extend(n.strip() for n in export.attrs.get("name", "").split(",") if n.strip())
    return tuple(dict.fromkeys(names)) or None


def splittable(options: Mapping[str, Any]) -> bool:
    """Whether the build's legs may run on different nodes (see the module's rule)."""
    if pushed_names(options) is not None:
        return True
    return not (options.get("outputs") or options.get("load") or options.get("push"))


def by_digest(options: Mapping[str, Any]) -> dict[str, Any]:
    """A split target's job options: its pushes by digest to the names' repositories, the
    outputs' other attributes kept, or, with nothing to push, no output at all."""
    out = {k: v for k, v in options.items() if k not in _MERGED_OPTIONS}
    names = pushed_names(options)
    if names is None:
        return out
    tags = [str(t) for t in options.get("tags") or ()]
    exports = plan_exports(_specs(options), tags=tags, push=bool(options.get("push")))
    outputs = []
    for export in exports:
        own = [n.strip() for n in export.attrs.get("name", "").split(",") if n.strip()]
        attrs = {k: v for k, v in export.attrs.items() if k != "name"}
        attrs.update({"name": ",".join(dict.fromkeys(map(repository, own))), "push": "true"})
        attrs["push-by-digest"] = "true"
        outputs.append(OutputSpec(IMAGE, None, attrs))
    out["outputs"] = tuple(outputs)
    return out


def repository(name: str) -> str:
    """`host/repository` of an image name (its tag dropped: a push by digest names no tag)."""
    ref = Reference.parse(name)
    return f"{ref.host}/{ref.repository}"
