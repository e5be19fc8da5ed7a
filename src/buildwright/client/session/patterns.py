"""The pattern matcher used for local sources' include/exclude patterns.

The engine sends patterns with moby/patternmatcher semantics - the same as `.dockerignore` - so
the dockerfile layer's matcher serves both (docs/architecture.md names this one use).
"""

from __future__ import annotations

from collections.abc import Sequence

from buildwright.client.session.fswalk import PathMatcher
from buildwright.dockerfile.ignore import PatternMatcher


def default_matcher_factory(patterns: Sequence[str]) -> PathMatcher:
    """A PathMatcher for `patterns` (raises DockerfileError for an invalid pattern)."""
    return PatternMatcher(patterns)
