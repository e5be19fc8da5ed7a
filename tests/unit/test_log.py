"""The logger helper imports structlog only when something is logged at an enabled level."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import logging, sys
from buildwright._log import get_logger
log = get_logger("buildwright.probe")
logging.getLogger("buildwright").setLevel(logging.WARNING)
log.debug("quiet_event", key="value")
log.info("quiet_event")
print("structlog" in sys.modules)
log.warning("loud_event", key="value")
print("structlog" in sys.modules)
"""


def test_structlog_is_imported_by_the_first_enabled_event() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["False", "True"]
    assert "loud_event" in done.stderr and "quiet_event" not in done.stderr
