"""Running the buildwright CLI as a user would, in a child process with the test engine's environment."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_cli(
    env: Mapping[str, str],
    *args: str,
    cwd: Path | None = None,
    stdin: str | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """`python -m buildwright ARGS` with `env`; never raises for the exit code."""
    return subprocess.run(
        [sys.executable, "-m", "buildwright", *args],
        env=dict(env),
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
