"""The one exception tree of buildwright.

    BuildwrightError
    ├── DockerfileError        bad Dockerfile or .dockerignore input; carries a SourceRange
    ├── BuildConfigError       bad options: target, platform, context, build args, secrets
    │   ├── BakeFileError        a bake file (HCL, JSON, compose) that cannot be read; carries a SourceRange
    │   └── UsageError           the command line itself is wrong: options that contradict each
    │                            other, a malformed option value (the CLI exits 2)
    ├── LLBError               an invalid graph built through the llb API
    ├── EngineError            endpoint unreachable, protocol failure, missing capability
    │   ├── EngineUnavailableError   no endpoint answered
    │   └── EngineLostError          the connection to the engine broke during a build
    ├── BuildFailed            the engine ran the build and a step failed
    └── OutputError            an output could not be written

Every error carries fields; the CLI renders them. Library code raises these and nothing else
escapes the public API (foreign errors are mapped at one boundary in the client).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from buildwright.location import SourceRange


class BuildwrightError(Exception):
    """Base of every error buildwright raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DockerfileError(BuildwrightError):
    """Invalid Dockerfile (or .dockerignore) input, pointing at the offending lines."""

    def __init__(self, message: str, location: SourceRange | None = None, source_lines: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.location = location
        # The file's lines, kept so the CLI can print a snippet with the error.
        self.source_lines = tuple(source_lines)

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location.filename}:{self.location.start_line}: {self.message}"

    def attach(
        self, location: SourceRange | None = None, source_lines: Sequence[str] = (), *, filename: str | None = None
    ) -> Self:
        """Fill in the location and the file's lines this error lacks, and return it.

        The error is completed where its place becomes known (the instruction's dispatch, the
        frontend's boundary), not rebuilt, so its class, cause and traceback survive. Lines are
        attached only to an error located in their file (`filename`, when given).
        """
        if self.location is None:
            self.location = location
        in_file = self.location is not None and filename in (None, self.location.filename)
        if in_file and not self.source_lines:
            self.source_lines = tuple(source_lines)
        return self


class BuildConfigError(BuildwrightError):
    """Invalid build options: unknown target, bad platform, missing context or Dockerfile."""


class BakeFileError(BuildConfigError):
    """A bake file that cannot be read or resolved: syntax, unknown names, types, cycles, unknown targets.

    `location` points at the file, line and column at fault when there is one (an unknown target asked
    for on the command line has none).
    """

    def __init__(self, message: str, location: SourceRange | None = None) -> None:
        super().__init__(message)
        self.location = location

    def __str__(self) -> str:
        where = self.location
        if where is None:
            return self.message
        column = f":{where.start_column}" if where.start_column else ""
        return f"{where.filename}:{where.start_line}{column}: {self.message}"


class UsageError(BuildConfigError):
    """Options that contradict each other, or an option value that cannot be read (`-o`, `K=V`).

    The CLI exits 2 for these, as for the errors its option parser finds itself.
    """


class LLBError(BuildwrightError):
    """An LLB graph that cannot be marshalled (built wrongly through the llb API).

    `location` is the source range of the op at fault, when it has one.
    """

    def __init__(self, message: str, location: SourceRange | None = None) -> None:
        super().__init__(message)
        self.location = location


class EngineError(BuildwrightError):
    """The engine could not be reached or answered in a way buildwright cannot use."""


class EngineUnavailableError(EngineError):
    """No endpoint answered; `tried` lists each endpoint with the reason it failed."""

    def __init__(self, message: str, tried: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.tried = tuple(tried)


class EngineLostError(EngineError):
    """The engine went away (killed, restarted, connection cut) while a build ran on it."""

    def __init__(self, endpoint: str, reason: str) -> None:
        super().__init__(f"lost the connection to the BuildKit engine at {endpoint} during the build: {reason}")
        self.endpoint = endpoint
        self.reason = reason


class BuildFailed(BuildwrightError):
    """A build step failed on the engine."""

    def __init__(
        self,
        message: str,
        *,
        vertex: str | None = None,
        exit_code: int | None = None,
        log_tail: Sequence[str] = (),
        location: SourceRange | None = None,
        vertex_digest: str | None = None,
        source_lines: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.vertex = vertex
        self.vertex_digest = vertex_digest
        self.source_lines = tuple(source_lines)
        self.exit_code = exit_code
        self.log_tail = tuple(log_tail)
        self.location = location

    def attach(self, location: SourceRange, source_lines: Sequence[str]) -> Self:
        """Point this failure at the Dockerfile lines of its step, once they are known; returns it."""
        if self.location is None:
            self.location, self.source_lines = location, tuple(source_lines)
        return self


class BuildCancelled(BuildwrightError):
    """The build was cancelled by the caller (its engine build was cancelled too)."""


class OutputError(BuildwrightError):
    """An output (file, directory, image name) could not be written."""
