"""The seam between the frontend and the engine: how base images are resolved.

The frontend declares what it needs; the client implements it against the engine's gateway
(`LLBBridge.ResolveImageConfig`). Unit tests pass a fake, so compiling needs no engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from typing import Protocol

from buildwright._values import valueclass
from buildwright.errors import EngineError
from buildwright.llb.platform import Platform


class ImageResolveError(EngineError):
    """The engine could not resolve one image reference; `detail` is its reason."""

    def __init__(self, ref: str, detail: str) -> None:
        super().__init__(f"failed to resolve image {ref}: {detail}")
        self.ref = ref
        self.detail = detail


@valueclass
class ImageRequest:
    """One base image to resolve: a normalised reference (`docker.io/library/busybox:latest`)."""

    ref: str
    platform: Platform | None = None
    # "default", "pull" or "local", as the gateway's ResolveImageConfig takes it.
    resolve_mode: str = "default"
    # The progress name of the resolution (None: the engine client's default); not part of what is
    # asked, so a cache of answers treats requests differing only in it as one.
    log_name: str | None = field(default=None, compare=False)


@valueclass
class ResolvedImage:
    """What the engine answered for an ImageRequest."""

    ref: str
    digest: str
    config: bytes


class ImageResolver(Protocol):
    """Resolves base image configs; one batch call so the engine can serve them concurrently."""

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        """Return one ResolvedImage per request, in the same order."""
        ...
