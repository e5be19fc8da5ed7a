"""Progress steps for the work buildwright does on the client that buildx has the engine do.

buildx sends the Dockerfile and the .dockerignore to the engine (`[internal] load build
definition from Dockerfile`, `[internal] load .dockerignore`); buildwright reads them itself, so
the same work is reported as the same steps, with the byte counts the engine would show.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

from buildwright._pb import stat_pb2
from buildwright.client.events import BuildEvent, StatusProgress, VertexCompleted, VertexStarted
from buildwright.client.session.filesync import packet_data_size, packet_stat_size
from buildwright.client.session.transfer import transfer_size

_DEFAULT_NAME = "Dockerfile"
_IGNORE_FILE = ".dockerignore"
_STDIN_MODE = 0o600  # buildx writes a Dockerfile read from stdin to a private temporary file
_FIN = 2


def local_load_steps(context: Path, dockerfile: Path | bytes, ref: str) -> list[BuildEvent]:
    """The two loading steps of a build of the local `context` with `dockerfile` (a path, or
    the bytes read from stdin); `ref` keeps the steps' ids apart from other builds'."""
    if isinstance(dockerfile, bytes):
        name = _DEFAULT_NAME
        size = _single_file_size(name, len(dockerfile))
        own_ignore = False
    else:
        name = dockerfile.name
        follow = [name, name + _IGNORE_FILE]
        if name == _DEFAULT_NAME:
            follow.append(_DEFAULT_NAME.lower())
        size = transfer_size(dockerfile.parent, follow)
        own_ignore = (dockerfile.parent / (name + _IGNORE_FILE)).is_file()
    events = _step(f"[internal] load build definition from {name}", "transferring dockerfile", size, ref)
    if not own_ignore:
        # A Dockerfile-specific ignore file came with the Dockerfile; else the context's is read.
        events += _step(
            "[internal] load .dockerignore", "transferring context", transfer_size(context, [_IGNORE_FILE]), ref
        )
    return events


def _single_file_size(name: str, size: int) -> int:
    stat = stat_pb2.Stat(path=name, mode=_STDIN_MODE, size=size, modTime=time.time_ns())
    data = packet_data_size(0, size) if size else 0
    return packet_stat_size(stat) + data + packet_data_size(0, 0) + _FIN


def _step(name: str, task: str, size: int, ref: str) -> list[BuildEvent]:
    digest = "sha256:" + hashlib.sha256(f"{ref}\0{name}".encode()).hexdigest()
    now = datetime.now(UTC)
    return [
        VertexStarted(digest, name, now),
        StatusProgress(digest, f"{task}:", task, size, 0, now, True),
        VertexCompleted(digest, name, now, datetime.now(UTC)),
    ]
