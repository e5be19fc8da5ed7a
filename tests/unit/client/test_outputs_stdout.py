"""Where `-` outputs go: never a terminal, as buildx refuses (no engine)."""

from __future__ import annotations

import io
import sys

import pytest

from buildwright import dockerfile_build
from buildwright.client.exporters import ExportSpec
from buildwright.errors import BuildConfigError


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stdout_output_is_refused_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", _Terminal())
    with pytest.raises(BuildConfigError, match=r"required for tar exporter\. refusing to write to console"):
        dockerfile_build._output_stream([ExportSpec("tar", {}, "-")], None)
    # A stream given by the caller, or no `-` output at all, is fine.
    given = io.BytesIO()
    assert dockerfile_build._output_stream([ExportSpec("tar", {}, "-")], given) is given
    assert dockerfile_build._output_stream([ExportSpec("local", {}, "d")], None) is None
