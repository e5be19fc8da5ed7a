"""`docker build` options BuildKit ignores are accepted (as buildx does), hidden from --help."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from buildwright.cli.app import app


def test_legacy_flags_are_accepted(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    result = CliRunner().invoke(app, ["build", "--rm", "--force-rm", "--compress", str(missing)])
    # Not a usage error (2): the flags parse, and the build then fails on the missing context.
    assert result.exit_code == 1
    assert "not found" in result.output


def test_an_unknown_flag_is_still_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", "--no-such-flag", str(tmp_path)])
    assert result.exit_code == 2


def test_legacy_flags_are_hidden() -> None:
    result = CliRunner().invoke(app, ["build", "--help"])
    assert result.exit_code == 0
    assert "--force-rm" not in result.output and "--compress" not in result.output
