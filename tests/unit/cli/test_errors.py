"""The CLI's error boundary: exit codes and the one line each kind of ending prints."""

from __future__ import annotations

import os
import signal
import time

import pytest

from buildwright.cli.errors import run_guarded
from buildwright.errors import BuildConfigError


def test_sigterm_unwinds_the_work_and_exits_143(capsys: pytest.CaptureFixture[str]) -> None:
    unwound = []

    def work() -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        finally:
            unwound.append(True)

    assert run_guarded(work, debug=False) == 143
    assert unwound == [True]
    assert capsys.readouterr().err == "terminated\n"
    # The handler is only there while the work runs.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_ctrl_c_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    def work() -> None:
        raise KeyboardInterrupt

    assert run_guarded(work, debug=False) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_an_error_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    def work() -> None:
        raise BuildConfigError("bad option")

    assert run_guarded(work, debug=False) == 1
    assert capsys.readouterr().err == "ERROR: bad option\n"


def test_an_unexpected_exception_is_no_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    def work() -> None:
        raise RuntimeError("boom")

    assert run_guarded(work, debug=False) == 1
    assert capsys.readouterr().err == "internal error: rerun with --debug for details\n"
