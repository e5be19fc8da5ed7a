"""Path resolution of COPY/ADD/WORKDIR arguments against a stage's working directory."""

from __future__ import annotations

from buildwright._gopath import clean, join, keep_trailing_slash

__all__ = ["clean", "join", "normalize", "relative_to_workdir"]


def normalize(parent: str, new_path: str, *, keep_slash: bool) -> str:
    """Resolve `new_path` against `parent` the way the reference does for COPY/WORKDIR paths.

    An absolute `new_path` is used as written (not cleaned); a relative one is joined and cleaned.
    With `keep_slash`, a trailing `/` or `/.` of the input survives, since it means "into this dir".
    """
    original = new_path
    parent = parent or "/"
    if not parent.startswith("/"):
        parent = join("/", parent)
    if not new_path:
        new_path = parent
    if not new_path.startswith("/"):
        new_path = join(parent, new_path)
    return keep_trailing_slash(original, new_path) if keep_slash else new_path


def relative_to_workdir(workdir: str, path: str) -> str:
    """A COPY/ADD destination resolved against the stage's working directory."""
    if path.startswith("/"):
        return normalize("/", path, keep_slash=True)
    if path in (".", ""):
        path = "./"
    return normalize(workdir, path, keep_slash=True)
