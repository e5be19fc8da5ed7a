"""What a check run produces: findings (rule, message, location) and possibly an error."""

from __future__ import annotations

from dataclasses import field

from buildwright._values import valueclass
from buildwright.errors import BuildwrightError
from buildwright.frontend.lint.config import CheckConfig
from buildwright.frontend.lint.rules import Rule
from buildwright.location import SourceRange


@valueclass
class Finding:
    """One rule violation at `location` (None for findings about the whole file)."""

    rule: Rule
    message: str
    location: SourceRange | None

    @property
    def short(self) -> str:
        """The one-line form the engine shows among build warnings: `Rule: message (line N)`."""
        text = f"{self.rule.name}: {self.message}"
        if self.location is not None and self.location.start_line > 0:
            text += f" (line {self.location.start_line})"
        return text


@valueclass
class LintResult:
    """The findings of one run, in the order the checks found them, and the error that stopped it.

    Attributes:
        findings: rule violations, in emission order (the order the engine receives them).
        error: what made the Dockerfile unbuildable, if the run found it (parse error, bad FROM...).
        config: the check configuration in effect.
        filename: the Dockerfile's name; `data` its bytes (for snippets).
        error_phase: where the run stopped, when it did.
    """

    findings: tuple[Finding, ...]
    error: BuildwrightError | None = None
    config: CheckConfig = field(default_factory=CheckConfig)
    filename: str = "Dockerfile"
    data: bytes = b""
    # The phase the run stopped in when `error` is set ("config", "parse", "stages", "dispatch").
    error_phase: str = ""

    def violation_error(self) -> str | None:
        """With `error=true` and at least one finding: the message that fails the build."""
        if not self.config.error or not self.findings:
            return None
        names = list(dict.fromkeys(finding.rule.name for finding in self.findings))
        return f"lint violation found for rules: {', '.join(names)}"
