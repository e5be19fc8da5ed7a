"""Where something came from in a source file: the value every layer uses to point back at a Dockerfile."""

from __future__ import annotations

from buildwright._values import valueclass


@valueclass
class SourceRange:
    """A span of lines (1-based, inclusive) and optional columns (1-based) in one named file."""

    filename: str
    start_line: int
    end_line: int
    start_column: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.filename}:{self.start_line}"
