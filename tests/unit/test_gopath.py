"""`_gopath.clean` gives what Go's `path.Clean` gives, on clean paths (returned as they are) and others."""

from __future__ import annotations

import pytest

from buildwright._gopath import clean

CASES = [
    ("", "."),
    (".", "."),
    ("..", ".."),
    ("...", "..."),
    ("./a", "a"),
    ("a/.", "a"),
    ("a/..", "."),
    ("/a/./b", "/a/b"),
    ("/.hidden", "/.hidden"),
    ("/.hidden/./x", "/.hidden/x"),
    (".a/b", ".a/b"),
    ("a/.b/..", "a"),
    ("a.b/c.d", "a.b/c.d"),
    ("own.txt", "own.txt"),
    ("../x", "../x"),
    ("x/../y", "y"),
    ("x/../../y", "../y"),
    ("/", "/"),
    ("//", "/"),
    ("/..", "/"),
    ("/../a", "/a"),
    ("a//b", "a/b"),
    ("a/", "a"),
    ("a/b.", "a/b."),
    ("/w/0/own.txt", "/w/0/own.txt"),
]


@pytest.mark.parametrize(("path", "expected"), CASES)
def test_clean_is_go_path_clean(path: str, expected: str) -> None:
    assert clean(path) == expected
