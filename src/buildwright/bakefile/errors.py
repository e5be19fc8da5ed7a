"""Where something in a bake file is: the location every bake error carries."""

from __future__ import annotations

from buildwright.errors import BakeFileError
from buildwright.location import SourceRange

# A position in a bake file: file, line and column (1-based) where an item starts and ends.
Where = SourceRange


def at(filename: str, line: int, column: int, end_line: int = 0, end_column: int = 0) -> Where:
    return SourceRange(filename, line, end_line or line, column, end_column or column)


__all__ = ["BakeFileError", "Where", "at"]
