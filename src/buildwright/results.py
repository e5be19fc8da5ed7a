"""What a build gives back to the Python API."""

from __future__ import annotations

from collections.abc import Mapping

from buildwright._values import valueclass
from buildwright.cachemiss import Explanation
from buildwright.client import StepResult
from buildwright.frontend import StagePlan

__all__ = ["BuildResult", "StepResult"]


@valueclass
class BuildResult:
    """What a build produced.

    Attributes:
        image_id: the image's digest (the config digest on dockerd), when an image was exported.
        metadata: the exporter's response (`containerimage.digest`, `image.name`, ...).
        stages: the Dockerfile stages built (None for a pipeline build).
        steps: every step the engine reported, with timings and whether it came from cache.
        duration: seconds from connecting the session to the end of the export.
        warnings: what the user must know about the result, e.g. that a buildkitd kept it in its
            cache only (no output was named and it has no image store).
        explanation: with `explain=True`, why each step that ran did (None otherwise, and for a
            remote context or a multi-platform build, which keep no record).
    """

    image_id: str | None
    metadata: Mapping[str, str]
    stages: StagePlan | None = None
    steps: tuple[StepResult, ...] = ()
    duration: float = 0.0
    warnings: tuple[str, ...] = ()
    explanation: Explanation | None = None

    @property
    def cached_steps(self) -> tuple[StepResult, ...]:
        """The steps whose results came from the engine's cache."""
        return tuple(step for step in self.steps if step.cached)
