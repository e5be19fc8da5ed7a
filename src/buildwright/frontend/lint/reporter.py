"""Collects findings during a run, keeping only the rules the configuration enables."""

from __future__ import annotations

from buildwright.frontend.lint.config import CheckConfig
from buildwright.frontend.lint.findings import Finding
from buildwright.frontend.lint.rules import Rule
from buildwright.location import SourceRange


class Reporter:
    """The findings of one run, in emission order; one Reporter per run, never shared."""

    def __init__(self, config: CheckConfig) -> None:
        self.config = config
        self.findings: list[Finding] = []

    def report(self, rule: Rule, message: str, location: SourceRange | None) -> None:
        if self.config.enabled(rule):
            self.findings.append(Finding(rule, message, location))


class Halt(Exception):
    """Stops a run where the reference stops converting; carries the error it would report."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error
