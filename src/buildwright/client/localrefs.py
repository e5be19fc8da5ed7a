"""Where each build came from on this machine, by build id: the context and Dockerfile paths.

The engine's history record of a local build knows neither path (the context is a session
directory), so both builders keep them beside the client: buildx under
`$DOCKER_CONFIG/buildx/refs/<builder>/<node>/<ref>`, buildwright under
`$XDG_STATE_HOME/buildwright/refs/<ref>`, in the same JSON shape. `history ls` names builds from
them, buildx's builds included. Our folder is bounded: the oldest records go first.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from buildwright._log import get_logger
from buildwright._values import valueclass
from buildwright.client.identity import state_dir
from buildwright.client.session.session import new_session_id
from buildwright.client.statefiles import prune_oldest, write_json

_log = get_logger(__name__)

MAX_RECORDS = 1000
_REF = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


@valueclass
class LocalBuild:
    """A build's local inputs: `dockerfile` is "" for the context's default one, "-" for stdin."""

    context: str
    dockerfile: str = ""
    target: str = ""


def new_build_ref() -> str:
    """A fresh build id, in the engine's form (as buildx makes them)."""
    return new_session_id()


def _ours(env: Mapping[str, str]) -> Path:
    return state_dir(env) / "refs"


def _buildx_refs(env: Mapping[str, str]) -> Path:
    config = env.get("DOCKER_CONFIG") or str(Path(env.get("HOME") or str(Path.home())) / ".docker")
    return Path(config) / "buildx" / "refs"


def record_build(ref: str, build: LocalBuild, env: Mapping[str, str] | None = None) -> None:
    """Keep `build` under `ref`; a failure to write only loses the name in `history ls`."""
    environ = os.environ if env is None else env
    folder = _ours(environ)
    body = {"Target": build.target, "LocalPath": build.context, "DockerfilePath": build.dockerfile}
    try:
        write_json(folder / ref, body)
        prune_oldest(folder, MAX_RECORDS, lambda name: not name.startswith("."))
    except OSError as exc:
        _log.debug("build_ref_not_recorded", ref=ref, error=str(exc))


def read_build(ref: str, env: Mapping[str, str] | None = None) -> LocalBuild | None:
    """What this machine knows of build `ref` (ours first, then buildx's), or None."""
    if not _REF.match(ref):
        return None
    environ = os.environ if env is None else env
    candidates = [_ours(environ) / ref]
    buildx = _buildx_refs(environ)
    with contextlib.suppress(OSError):
        candidates += [node / ref for builder in buildx.iterdir() for node in builder.iterdir()]
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return LocalBuild(
                context=str(data.get("LocalPath") or ""),
                dockerfile=str(data.get("DockerfilePath") or ""),
                target=str(data.get("Target") or ""),
            )
    return None
