"""Dockerfile errors get their file, line and source lines once, at the frontend's boundary.

Whatever raises deep inside (the lexer, a flag parser, the mount grammar), the error that leaves
`compile_dockerfile` keeps its own class and its cause, and carries the location and the lines the
CLI shows around it; `--debug` prints the whole chain.
"""

from __future__ import annotations

import pytest

from buildwright.cli.errors import run_guarded
from buildwright.dockerfile.lexer import ShellLexError
from buildwright.errors import DockerfileError
from tests.unit.frontend.test_convert import compile_text

# name: (Dockerfile, the line the error names, the class it keeps, whether a cause is chained)
CASES: dict[str, tuple[str, int, type[DockerfileError], bool]] = {
    "from-expansion": ("FROM busybox\nFROM ${x:?is required}\n", 2, DockerfileError, True),
    "arg-before-from": ("ARG a=${b:?no b}\nFROM busybox\n", 1, ShellLexError, True),
    "env-expansion": ("FROM busybox\nENV A=${B:?missing}\n", 2, ShellLexError, True),
    "workdir-expansion": ("FROM busybox\nWORKDIR ${w:?w}\n", 2, ShellLexError, True),
    "label-expansion": ("FROM busybox\nLABEL a=${u:?u}\n", 2, ShellLexError, True),
    "volume-expansion": ("FROM busybox\nVOLUME ${u:?u}\n", 2, ShellLexError, True),
    "copy-chmod": ("FROM busybox\nCOPY --chmod=999 a /a\n", 2, DockerfileError, False),
    "mount-type": ("FROM busybox\nRUN --mount=type=nope true\n", 2, DockerfileError, True),
    "mount-csv": ('FROM busybox\nRUN --mount=type=bind,"a true\n', 2, DockerfileError, True),
    "expose-proto": ("FROM busybox\nEXPOSE 80/xyz\n", 2, DockerfileError, False),
    "onbuild-from": ("FROM busybox AS base\nONBUILD FROM x\nFROM base\n", 2, DockerfileError, True),
    "healthcheck-duration": ("FROM busybox\nHEALTHCHECK --interval=5x CMD true\n", 2, DockerfileError, True),
    "unknown-instruction": ("FROM busybox\nFOO bar\n", 2, DockerfileError, True),
    "stage-name": ("FROM busybox AS 1bad\n", 1, DockerfileError, True),
    "copy-from-expansion": ("FROM busybox\nCOPY --from=${x:?gone} a b\n", 2, DockerfileError, False),
    "add-checksum": ("FROM busybox\nADD --checksum=bad https://x/y /y\n", 2, DockerfileError, False),
    "run-network": ("FROM busybox\nRUN --network=bogus true\n", 2, DockerfileError, True),
    "no-from": ("RUN true\n", 1, DockerfileError, False),
    "shell-form": ("FROM busybox\nSHELL sh\n", 2, DockerfileError, True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_is_located_once_with_its_class_and_cause(name: str) -> None:
    text, line, error_class, chained = CASES[name]
    with pytest.raises(DockerfileError) as raised:
        compile_text(text)
    error = raised.value
    assert type(error) is error_class
    assert error.location is not None
    assert error.location.start_line == line
    assert error.location.filename == "Dockerfile"
    assert error.source_lines[: len(text.splitlines())] == tuple(text.splitlines())
    assert (error.__cause__ is not None) is chained


def test_debug_prints_the_whole_cause_chain(capsys: pytest.CaptureFixture[str]) -> None:
    def work() -> None:
        compile_text("FROM busybox\nRUN --mount=type=nope true\n")

    assert run_guarded(work, debug=True) == 1
    err = capsys.readouterr().err
    assert "MountError" in err
    assert "direct cause" in err
    assert 'ERROR: Dockerfile:2: unsupported mount type "nope"' in err
    assert ">>> RUN --mount=type=nope true" in err


def test_without_debug_one_error_and_the_snippet(capsys: pytest.CaptureFixture[str]) -> None:
    def work() -> None:
        compile_text("FROM busybox\nRUN --mount=type=nope true\n")

    assert run_guarded(work, debug=False) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[0] == 'ERROR: Dockerfile:2: unsupported mount type "nope"'
