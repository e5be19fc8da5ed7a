"""This machine's build node id: a random id made once and kept in the user's state directory.

It goes into the session shared key (`<context dir name>:<node id>`, as buildx builds it), which
the engine uses to find the copy of a context it received before, so a repeated build of the same
directory transfers only what changed. Stored in `$XDG_STATE_HOME/buildwright/node-id`, else
`~/.local/state/buildwright/node-id`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

from buildwright._log import get_logger

_log = get_logger(__name__)

_VALID = re.compile(r"^[0-9a-f]{16,64}$")


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """buildwright's folder of the user's state, following the XDG base directory rules."""
    environ = os.environ if env is None else env
    state = environ.get("XDG_STATE_HOME", "")
    # The XDG rules say a relative value is to be ignored.
    if state and os.path.isabs(state):
        base = Path(state)
    else:
        home = environ.get("HOME") or str(Path.home())
        base = Path(home) / ".local" / "state"
    return base / "buildwright"


def node_id_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the node id is kept."""
    return state_dir(env) / "node-id"


def _read(path: Path) -> str | None:
    try:
        value = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return value if _VALID.match(value) else None


def _write_new(path: Path) -> str:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_hex(8)
    fd, temp = tempfile.mkstemp(prefix=".node-id-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(value)
        # A hard link appears complete or not at all and never overwrites: when two processes
        # race, the first one's id wins and the other reads it.
        try:
            os.link(temp, path)
        except FileExistsError:
            existing = _read(path)
            if existing is not None:
                return existing
            # What is there is not an id (a link only ever shows a complete one): replace it.
            os.replace(temp, path)
        return value
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def node_id(env: Mapping[str, str] | None = None) -> str:
    """This machine's node id, created on first use; "" when it cannot be stored (the shared key
    then holds only the directory name, which still lets the engine reuse contexts)."""
    path = node_id_path(env)
    existing = _read(path)
    if existing is not None:
        return existing
    try:
        return _write_new(path)
    except OSError as exc:
        _log.debug("node_id_unavailable", path=str(path), error=str(exc))
        return ""
