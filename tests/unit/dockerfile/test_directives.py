"""Parser directives and `# syntax` detection."""

from __future__ import annotations

import pytest

from buildwright.dockerfile.directives import DirectiveScanner, detect_directive, detect_syntax


def test_scanner_stops_at_unknown_key_and_lowercases_names() -> None:
    found = DirectiveScanner().parse_all("# ESCAPE = `\n# other=1\n# syntax=late\n")
    assert [(d.name, d.value, d.line) for d in found] == [("escape", "`", 1)]


@pytest.mark.parametrize(
    ("text", "image", "cmdline", "line"),
    [
        ("# syntax = frontend:1 // note\nFROM x\n", "frontend:1", "frontend:1 // note", 1),
        ("#!/bin/sh\n# syntax=after-shebang\nFROM x\n", "after-shebang", "after-shebang", 2),
        ("//syntax=slashes\n//other=1", "slashes", "slashes", 1),
        ("#!/bin/sh\n//syntax=both", "both", "both", 2),
        ('{"syntax": "from-json", "x": [1]}', "from-json", "from-json", 0),
        (b"\xef\xbb\xbf# syntax=with-bom\nFROM x\n", "with-bom", "with-bom", 1),
    ],
)
def test_detect_syntax(text: str | bytes, image: str, cmdline: str, line: int) -> None:
    found = detect_syntax(text)
    assert found is not None
    assert (found.image, found.cmdline, found.line) == (image, cmdline, line)


@pytest.mark.parametrize(
    "text",
    [
        "#!/bin/sh\n\n# syntax=after-blank\n",
        "FROM x\n# syntax=late\n",
        '{"syntax": "unterminated"',
        '{"syntax": "json"}\n# syntax=comment',
        '{"syntax": 1}',
    ],
)
def test_detect_syntax_absent(text: str) -> None:
    assert detect_syntax(text) is None


def test_detect_check_directive_only_in_hash_comments() -> None:
    found = detect_directive("check", "#check = skip=all // why\nFROM x\n")
    assert found is not None and (found.image, found.cmdline) == ("skip=all", "skip=all // why")
    assert detect_directive("check", "//check=skip=all\n") is None


def test_directive_value_with_long_space_runs_is_read_in_linear_time() -> None:
    # `(.+?)\s*$` backtracked quadratically on `# check=error=` and 80,000 spaces (fuzz finding).
    import time

    from buildwright.dockerfile.directives import detect_directive

    started = time.monotonic()
    found = detect_directive("check", "# check=error=" + " " * 80_000 + "true" + " " * 80_000 + "\nFROM a\n")
    assert time.monotonic() - started < 10  # a generous bound: it took 25 s and more
    assert found is not None and found.cmdline == "error=" + " " * 80_000 + "true"
    assert detect_directive("check", "# check=   \nFROM a\n") is not None
