"""Small JSON files in the user's state folder (build refs, build records, farm placements).

Each is written all at once: a reader sees the old file or the new one, never half of one, and a
failed write leaves no temporary file behind. Folders of one file per build are bounded by
dropping the oldest files.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_json(path: Path, body: object, *, compact: bool = False) -> None:
    """Write `body` as JSON to `path` (its folder made private when it is new).

    Raises:
        OSError: the folder or the file could not be written.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A leading dot keeps the temporary file out of every listing of the folder's entries.
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        # json.dumps, not json.dump: only the one-shot call uses the C encoder (dump streams the
        # file through the pure-Python one, many times slower on a build record of 3,000 files).
        text = json.dumps(body, separators=(",", ":") if compact else None)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def prune_oldest(folder: Path, keep: int, counts: Callable[[str], bool]) -> None:
    """Remove the oldest files of `folder` whose names `counts`, so that `keep` of them remain."""
    entries = [e for e in os.scandir(folder) if e.is_file() and counts(e.name)]
    if len(entries) <= keep:
        return
    entries.sort(key=lambda e: e.stat().st_mtime)
    for entry in entries[: len(entries) - keep]:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
