"""A recorded build, as the client reports it: a context transfer, a cached step, a RUN with logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buildwright.client.events import (
    BuildEvent,
    BuildWarning,
    LogChunk,
    StatusProgress,
    VertexCached,
    VertexCompleted,
    VertexFailed,
    VertexQueued,
    VertexStarted,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

META = "sha256:1111"
CTX = "sha256:2222"
FROM = "sha256:3333"
COPY = "sha256:4444"
RUN = "sha256:5555"
EXPORT = "sha256:6666"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def build_events() -> list[BuildEvent]:
    """A successful build: metadata, context (2.3MB), FROM, a cached COPY, a RUN with logs, the export."""
    return [
        VertexQueued(META, "[internal] load metadata for docker.io/library/busybox:latest"),
        VertexStarted(META, "[internal] load metadata for docker.io/library/busybox:latest", at(0)),
        VertexCompleted(META, "[internal] load metadata for docker.io/library/busybox:latest", at(0), at(0.3)),
        VertexQueued(RUN, "[3/3] RUN make", (COPY,)),
        VertexQueued(COPY, "[2/3] COPY . /src", (FROM, CTX)),
        VertexQueued(CTX, "[internal] load build context"),
        VertexQueued(FROM, "[1/3] FROM docker.io/library/busybox:latest"),
        VertexStarted(CTX, "[internal] load build context", at(0.4)),
        StatusProgress(CTX, "transferring context:", "transferring", 0, 0, at(0.4), False),
        StatusProgress(CTX, "transferring context:", "transferring", 1_200_000, 0, at(0.5), False),
        StatusProgress(CTX, "transferring context:", "transferring", 2_300_000, 0, at(0.7), True),
        VertexCompleted(CTX, "[internal] load build context", at(0.4), at(0.75)),
        VertexCached(FROM, "[1/3] FROM docker.io/library/busybox:latest"),
        VertexCached(COPY, "[2/3] COPY . /src"),
        VertexStarted(RUN, "[3/3] RUN make", at(1.0)),
        LogChunk(RUN, 1, b"cc -o app main.c\n", at(1.2)),
        LogChunk(RUN, 2, b"warning: unused", at(1.5)),
        LogChunk(RUN, 2, b" variable\nlinking\n", at(1.6)),
        BuildWarning(RUN, 1, "UndefinedVar: Usage of undefined variable '$X' (line 3)", ("detail",), "https://x"),
        VertexCompleted(RUN, "[3/3] RUN make", at(1.0), at(2.25)),
        VertexQueued(EXPORT, "exporting to image"),
        VertexStarted(EXPORT, "exporting to image", at(2.3)),
        StatusProgress(EXPORT, "exporting layers", "", 0, 0, at(2.3), False),
        StatusProgress(EXPORT, "exporting layers", "", 0, 0, at(2.5), True),
        VertexCompleted(EXPORT, "exporting to image", at(2.3), at(2.6)),
    ]


def failing_events() -> list[BuildEvent]:
    """Two RUN steps in parallel: one fails, the other is cancelled."""
    a, b = "sha256:aaaa", "sha256:bbbb"
    return [
        VertexQueued(a, "[a 1/1] RUN false"),
        VertexQueued(b, "[b 1/1] RUN sleep 9"),
        VertexStarted(a, "[a 1/1] RUN false", at(0)),
        VertexStarted(b, "[b 1/1] RUN sleep 9", at(0.1)),
        LogChunk(a, 2, b"boom\n", at(0.2)),
        LogChunk(b, 1, b"sleeping\n", at(0.3)),
        VertexFailed(
            a, "[a 1/1] RUN false", 'process "/bin/sh -c false" did not complete successfully: exit code: 1', at(0.4)
        ),
        VertexFailed(b, "[b 1/1] RUN sleep 9", "context canceled: context canceled", at(0.5)),
    ]


def stamp(event: BuildEvent, default: datetime) -> datetime:
    """The engine's time on `event` (`default` when it carries none)."""
    if isinstance(event, VertexCompleted | VertexFailed):
        return event.completed or default
    if isinstance(event, VertexStarted):
        return event.started or default
    if isinstance(event, StatusProgress | LogChunk):
        return event.timestamp or default
    return default
