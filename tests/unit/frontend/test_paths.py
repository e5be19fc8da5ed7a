import pytest

from buildwright.frontend import paths


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", "."),
        ("//a//b/", "/a/b"),
        ("a/../../b", "../b"),
        ("/../a", "/a"),
        ("./x/.", "x"),
        # Clean already: kept as given (dots inside names are no "." components).
        ("/", "/"),
        ("/a/.b/c..d", "/a/.b/c..d"),
        ("a.b/c", "a.b/c"),
        ("/a/..", "/"),
        ("a/.", "a"),
        ("..", ".."),
    ],
)
def test_clean_matches_go(given: str, expected: str) -> None:
    assert paths.clean(given) == expected


@pytest.mark.parametrize(
    ("workdir", "dest", "expected"),
    [
        ("/", ".", "/"),
        ("/app", ".", "/app/"),
        ("/app", "bin", "/app/bin"),
        ("/app", "bin/", "/app/bin/"),
        ("/app", "/abs//x", "/abs//x"),
        ("/app", "../x/.", "/x/."),
    ],
)
def test_copy_destinations(workdir: str, dest: str, expected: str) -> None:
    assert paths.relative_to_workdir(workdir, dest) == expected


def test_workdir_chain() -> None:
    assert paths.normalize("/a", "b/c", keep_slash=False) == "/a/b/c"
    assert paths.normalize("/a", "/x/", keep_slash=False) == "/x/"
