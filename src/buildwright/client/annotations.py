"""`--annotation` values as buildx takes them, turned into image exporter attributes.

`KEY=VALUE` annotates the image manifest; `TYPE[,TYPE...]:KEY=VALUE` picks where the annotation
goes (`manifest`, `manifest-descriptor`, `index`, `index-descriptor`), each type optionally for
one platform (`manifest[linux/arm64]:KEY=VALUE`). The exporter reads them as
`annotation[-TYPE][[PLATFORM]].KEY` attributes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from buildwright.errors import BuildConfigError, UsageError
from buildwright.llb.platform import Platform

_TYPE = re.compile(r"^([a-z-]+)(?:\[([A-Za-z0-9_/-]+)\])?$")
_TYPES = ("index", "index-descriptor", "manifest", "manifest-descriptor")
_WITH_PLATFORM = ("manifest", "manifest-descriptor")


def annotation_attrs(items: Iterable[str]) -> dict[str, str]:
    """Exporter attributes for `--annotation` values (a later value for the same key wins).

    Raises:
        BuildConfigError: no `=`, an unknown type, or a bad platform.
    """
    out: dict[str, str] = {}
    for item in items:
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f'parse annotations: invalid annotation "{item}", expected key=value')
        types, colon, name = key.partition(":")
        if not colon:
            out[f"annotation.{key}"] = value
            continue
        for entry in types.split(","):
            found = _TYPE.match(entry)
            if found is None:
                raise UsageError(
                    f'parse annotations: invalid annotation type "{entry}", '
                    "expected type and optional platform in square brackets"
                )
            kind, platform = found.groups()
            if kind not in _TYPES:
                raise UsageError(f'parse annotations: unknown annotation type "{kind}"')
            prefix = f"annotation-{kind}"
            if platform and kind in _WITH_PLATFORM:
                try:
                    prefix += f"[{Platform.parse(platform).normalized()}]"
                except BuildConfigError as exc:
                    raise UsageError(f'parse annotations: invalid platform "{platform}": {exc}') from exc
            out[f"{prefix}.{name}"] = value
    return out
