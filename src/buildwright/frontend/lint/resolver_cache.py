"""An ImageResolver that asks its inner resolver once per request.

The checks and the compilation of one build look up the same base images; sharing one cache
keeps that to one engine round trip (and one progress line) per image.
"""

from __future__ import annotations

from collections.abc import Sequence

from buildwright.frontend.resolver import ImageRequest, ImageResolver, ResolvedImage


class CachingResolver:
    """Remembers answers by request; local to one build, so no stale answers outlive it."""

    def __init__(self, inner: ImageResolver) -> None:
        self._inner = inner
        self._answers: dict[ImageRequest, ResolvedImage] = {}

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        missing = list(dict.fromkeys(request for request in requests if request not in self._answers))
        if missing:
            self._answers.update(zip(missing, self._inner.resolve_image_configs(missing), strict=True))
        return [self._answers[request] for request in requests]

    def answers(self) -> list[tuple[ImageRequest, ResolvedImage]]:
        """Every request answered so far with its answer, in the order first asked."""
        return list(self._answers.items())
