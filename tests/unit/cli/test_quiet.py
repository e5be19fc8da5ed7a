"""`-q/--quiet` with `--progress`: buildx's combinations, and the flags the build help lists."""

from __future__ import annotations

import io
import re

import pytest
from typer.testing import CliRunner

from buildwright.cli.app import app
from buildwright.cli.quiet import DisplayMode, display_mode
from buildwright.errors import BuildConfigError

NOT_A_TERMINAL = io.StringIO()


@pytest.mark.parametrize(
    ("progress", "quiet", "env", "expected"),
    [
        ("auto", True, {}, DisplayMode("quiet", True)),
        ("quiet", False, {}, DisplayMode("quiet", True)),
        ("quiet", True, {}, DisplayMode("quiet", True)),
        ("none", False, {}, DisplayMode("quiet", False)),
        ("none", True, {}, DisplayMode("quiet", True)),
        ("auto", False, {}, DisplayMode("plain", False)),
        ("plain", False, {}, DisplayMode("plain", False)),
        # The environment chooses only for auto; -q overrides it, and a quiet chosen there prints nothing.
        ("auto", True, {"BUILDKIT_PROGRESS": "plain"}, DisplayMode("quiet", True)),
        ("auto", False, {"BUILDKIT_PROGRESS": "quiet"}, DisplayMode("quiet", False)),
        ("auto", False, {"BUILDKIT_PROGRESS": "none"}, DisplayMode("quiet", False)),
    ],
)
def test_modes(progress: str, quiet: bool, env: dict[str, str], expected: DisplayMode) -> None:
    assert display_mode(progress, quiet, NOT_A_TERMINAL, env) == expected


@pytest.mark.parametrize("progress", ["plain", "tty", "rawjson"])
def test_quiet_refuses_an_explicit_mode(progress: str) -> None:
    with pytest.raises(BuildConfigError, match=f"progress={progress} and quiet cannot be used together"):
        display_mode(progress, True, NOT_A_TERMINAL, {})


def test_the_cli_reports_the_conflict_before_building() -> None:
    result = CliRunner().invoke(app, ["build", "-q", "--progress", "plain", "/nonexistent-context"])
    assert result.exit_code == 2  # usage
    assert "progress=plain and quiet cannot be used together" in result.output


def test_build_help_lists_the_run_and_quiet_flags() -> None:
    result = CliRunner().invoke(app, ["build", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    listed = set(re.findall(r"(--[a-z][a-z-]+)", result.output))
    assert {"--network", "--add-host", "--shm-size", "--ulimit", "--cgroup-parent", "--quiet"} <= listed
    assert re.search(r"--quiet\s+-q\b", result.output)
    # Grouped like buildx's reference page: the basic options first, then one panel per concern.
    panels = re.findall(r"╭─ ([A-Za-z ]+?) ─", result.output)
    assert panels == ["Arguments", "Options", "Output", "Cache", "RUN environment", "Progress and logs", "Engine"]
