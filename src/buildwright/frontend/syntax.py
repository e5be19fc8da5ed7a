"""`# syntax=` and the BUILDKIT_SYNTAX build arg: which frontend image the Dockerfile asks for.

The reference forwards the build to that image (a gateway solve of a registry image). buildwright
is itself the Dockerfile frontend and runs client-side, so it cannot hand the build to an image:
the official Dockerfile frontends (`docker/dockerfile`, `docker/dockerfile-upstream`, any tag) are
the language buildwright implements, and asking for one is accepted and noted in the debug log;
any other frontend image is refused with a clear error rather than silently built differently.
"""

from __future__ import annotations

from collections.abc import Mapping

from buildwright import _log, llb
from buildwright.dockerfile import Dockerfile
from buildwright.errors import BuildConfigError, DockerfileError, LLBError
from buildwright.location import SourceRange

SYNTAX_ARG = "BUILDKIT_SYNTAX"
_OFFICIAL = ("docker.io/docker/dockerfile", "docker.io/docker/dockerfile-upstream")

_logger = _log.get_logger(__name__)


def check_syntax(dockerfile: Dockerfile, build_args: Mapping[str, str]) -> None:
    """Accept an official Dockerfile syntax; raise for a frontend image buildwright cannot be."""
    if SYNTAX_ARG in build_args:
        image = build_args[SYNTAX_ARG].split(" ", 1)[0]
        if not image:
            raise BuildConfigError(f"empty {SYNTAX_ARG} build arg: it must name a frontend image")
        if not _is_official(image):
            raise BuildConfigError(_refusal(image, f"the {SYNTAX_ARG} build arg"))
        _logger.debug("syntax_ignored", image=image, source=SYNTAX_ARG)
        return
    directive = dockerfile.syntax
    if directive is None:
        return
    if not _is_official(directive.image):
        location = SourceRange(dockerfile.filename, directive.line, directive.line)
        raise DockerfileError(_refusal(directive.image, "the syntax directive"), location, dockerfile.lines)
    _logger.debug("syntax_ignored", image=directive.image, line=directive.line)


def _is_official(image: str) -> bool:
    try:
        normalized = llb.normalize_image_ref(image)
    except LLBError:
        return False
    name = normalized.partition("@")[0]
    repository = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
    return repository in _OFFICIAL


def _refusal(image: str, where: str) -> str:
    return (
        f"{where} asks for the frontend image {image}; buildwright compiles Dockerfiles itself and "
        "cannot run another frontend (use docker/dockerfile syntaxes, or remove it)"
    )
