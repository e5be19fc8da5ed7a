from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from buildwright._log import get_logger
from buildwright.cli.app import app
from buildwright.cli.logsetup import configure_logging


@pytest.fixture
def stderr() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    logger = logging.getLogger("buildwright")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield buffer
    logger.handlers[:], logger.level, logger.propagate = saved


def test_json_logs_are_one_object_per_event(stderr: io.StringIO) -> None:
    configure_logging(debug=True, log_format="json", stream=stderr)
    get_logger("buildwright.test").info("session_started", id="abc")
    logging.getLogger("buildwright.other").warning("plain %s record", "stdlib")
    first, second = (json.loads(line) for line in stderr.getvalue().splitlines())
    assert first["event"] == "session_started" and first["id"] == "abc"
    assert (first["level"], first["logger"]) == ("info", "buildwright.test")
    assert first["timestamp"].endswith("Z")
    assert second["event"] == "plain stdlib record"
    assert (second["level"], second["logger"]) == ("warning", "buildwright.other")


def test_text_logs_and_the_default_level(stderr: io.StringIO) -> None:
    configure_logging(debug=False, stream=stderr)
    log = get_logger("buildwright.test")
    log.info("hidden_by_default")
    log.warning("shown", key="value")
    text = stderr.getvalue()
    assert "hidden_by_default" not in text
    assert "shown" in text and "key=value" in text and "\x1b[" not in text


def test_cli_rejects_an_unknown_log_format_and_progress_mode() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["build", "--log-format", "yaml", "."])
    assert result.exit_code == 2
    result = runner.invoke(app, ["build", "--progress", "fancy", "."])
    assert result.exit_code == 1
    assert 'invalid progress mode "fancy"' in result.output
