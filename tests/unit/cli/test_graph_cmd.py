"""`buildwright graph` through the CLI: formats, output file, errors and exit codes (no engine)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from buildwright.cli.app import app

DOCKERFILE = """\
ARG FLAVOUR=plain
FROM busybox:latest AS base
FROM base AS build-plain
FROM base AS build-fancy
FROM build-${FLAVOUR} AS final
COPY --from=base /etc/passwd /p
"""


def _context(tmp_path: Path, text: str = DOCKERFILE, name: str = "Dockerfile") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_text_to_stdout(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["graph", str(_context(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Dockerfile: target final\n3 built in 3 levels, 1 pruned\n")
    assert "  build-fancy" in result.stdout.split("pruned (not needed by final)")[1]


def test_build_arg_changes_the_graph(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["graph", "--build-arg", "FLAVOUR=fancy", str(_context(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "  build-plain" in result.stdout.split("pruned (not needed by final)")[1]


def test_file_target_and_output(tmp_path: Path) -> None:
    context = _context(tmp_path, name="Other.dockerfile")
    out = tmp_path / "g.dot"
    result = CliRunner().invoke(
        app,
        [
            "graph",
            "-f",
            str(context / "Other.dockerfile"),
            "--target",
            "BASE",
            "--format",
            "dot",
            "-o",
            str(out),
            str(context),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    dot = out.read_text()
    assert dot.startswith('digraph "Other.dockerfile" {') and "penwidth=2" in dot.split("s0 [")[1].split("\n")[0]


def test_svg(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["graph", "--format", "svg", str(_context(tmp_path))])
    assert result.exit_code == 0, result.output
    assert ET.fromstring(result.stdout).tag == "{http://www.w3.org/2000/svg}svg"


def test_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["graph", "--target", "nope", str(_context(tmp_path))])
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith('ERROR: target stage "nope" could not be found')
    bad = runner.invoke(app, ["graph", str(_context(tmp_path, "FROM busybox\nFROM $NOPE\n"))])
    assert bad.exit_code == 1
    assert bad.stderr.startswith("ERROR: Dockerfile:2: base name ($NOPE) should not be blank")
    missing = runner.invoke(app, ["graph", str(tmp_path / "absent")])
    assert missing.exit_code == 1 and "not found" in missing.stderr
    good = _context(tmp_path)
    unwritable = runner.invoke(app, ["graph", "-o", str(tmp_path / "no" / "dir.txt"), str(good)])
    assert unwritable.exit_code == 1 and unwritable.stderr.startswith("ERROR: failed to write ")
    fmt = runner.invoke(app, ["graph", "--format", "png", str(tmp_path)])
    assert fmt.exit_code == 2
