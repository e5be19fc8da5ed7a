"""`--cache-from` / `--cache-to`: listed in the build help and handed to the API as given."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from buildwright import api
from buildwright.cli.app import app


def test_build_help_lists_the_cache_flags() -> None:
    result = CliRunner().invoke(app, ["build", "--help"], env={"COLUMNS": "200", "TERM": "dumb"})
    assert result.exit_code == 0
    assert "--cache-from" in result.output and "--cache-to" in result.output


def test_repeated_cache_flags_reach_the_api_in_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    seen: dict[str, Any] = {}

    def fake_build(context: Any, options: api.BuildOptions, output: api.OutputOptions, **kwargs: Any) -> Any:
        seen.update(cache_from=options.cache_from, cache_to=options.cache_to)
        return api.BuildResult(image_id=None, metadata={})

    monkeypatch.setattr(api, "build", fake_build)
    args = ["build", "--progress", "plain", "--cache-from", "r/a:c", "--cache-from", "type=local,src=/c"]
    args += ["--cache-to", "type=inline", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen["cache_from"] == ("r/a:c", "type=local,src=/c")
    assert seen["cache_to"] == ("type=inline",)
