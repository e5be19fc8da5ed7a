"""Slash-path helpers with Go's `path.Clean`/`path.Join` semantics.

LLB paths end up inside op bytes, so they must be cleaned exactly as the Go client cleans them
(`posixpath.normpath` differs: it keeps a leading `//` and turns "" into "." differently).
"""

from __future__ import annotations


def clean(path: str) -> str:
    """Return the shortest equivalent of `path`, as Go's `path.Clean` does."""
    if path == "":
        return "."
    # Already clean (the common case, returned without the rebuild): no empty component, no
    # trailing slash, no "." or ".." component.
    # A "." or ".." component starts the path or follows a slash, so a path with neither "/." nor
    # a leading "." has none (file names with dots, the usual case, skip the split).
    already = "//" not in path and (path == "/" or not path.endswith("/"))
    if already and (
        not (path.startswith(".") or "/." in path) or not any(part in (".", "..") for part in path.split("/"))
    ):
        return path
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    body = "/".join(parts)
    if rooted:
        return "/" + body
    return body or "."


def join(*elems: str) -> str:
    """Join non-empty elements with `/` and clean the result; "" when all are empty (Go `path.Join`)."""
    kept = [e for e in elems if e]
    if not kept:
        return ""
    return clean("/".join(kept))


def is_abs(path: str) -> bool:
    """Whether `path` is rooted."""
    return path.startswith("/")


def keep_trailing_slash(original: str, resolved: str) -> str:
    """`resolved` with the `/` or `/.` that ended `original` put back: "into this directory"."""
    if original.endswith("/") and not resolved.endswith("/"):
        return resolved + "/"
    if original.endswith("/."):
        return (resolved if resolved == "/" else resolved + "/") + "."
    return resolved
