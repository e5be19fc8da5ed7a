"""Check results as text, in the shape `docker buildx build --check` prints them.

Findings are ordered by line (findings without a location first); each is printed as
`WARNING: <Rule> - <URL>`, the message, then `<file>:<line>` and the numbered source lines
around it with the offending ones marked `>>>`.
"""

from __future__ import annotations

from buildwright.frontend.lint.findings import Finding, LintResult
from buildwright.location import SourceRange

_RULER = "--------------------"


def sorted_findings(findings: tuple[Finding, ...]) -> list[Finding]:
    """Findings by first line; those without a location first, by rule name."""
    unlocated = sorted((f for f in findings if f.location is None), key=lambda f: f.rule.name)
    located = sorted((f for f in findings if f.location is not None), key=lambda f: _line(f.location))
    return unlocated + located


def render_findings(result: LintResult, display_name: str) -> str:
    """The report written to stdout: a summary line, then every finding with its source lines."""
    findings = sorted_findings(result.findings)
    out: list[str] = []
    count = len(findings)
    if count:
        noun = "1 warning has" if count == 1 else f"{count} warnings have"
        out.append(f"Check complete, {noun} been found!\n")
    for finding in findings:
        out.append(f"\nWARNING: {finding.rule.name}")
        if finding.rule.url:
            out.append(f" - {finding.rule.url}")
        out.append(f"\n{finding.message}\n")
        if finding.location is not None:
            out.append(snippet(result.data, display_name, finding.location))
    if result.error is not None:
        if count:
            out.append("\n")
    elif not count:
        out.append("Check complete, no warnings found.\n")
    return "".join(out)


def render_error(result: LintResult, display_name: str) -> str:
    """The error that ended the check (without the `ERROR: ` prefix), with its source lines."""
    error = result.error
    if error is None:
        return ""
    message = getattr(error, "message", str(error))
    location = getattr(error, "location", None)
    text = f"{message}\n"
    if isinstance(location, SourceRange) and location.start_line > 0:
        text += snippet(result.data, display_name, location)
    return text


def snippet(data: bytes, display_name: str, location: SourceRange) -> str:
    """`<file>:<line>` and the lines around `location`: two around a range, four around one line."""
    lines = data.decode("utf-8", "replace").split("\n")
    start, end = location.start_line, max(location.start_line, location.end_line)
    if start < 1 or start > len(lines):
        return ""
    end = min(end, len(lines))
    first, last = start, end
    pad = 4 if start == end else 2
    # Widen alternately upwards and downwards, as the reference does, until `pad` is used up.
    used = 0
    while used < pad:
        if first > 1:
            first -= 1
            used += 1
        if last != len(lines):
            last += 1
            used += 1
        used += 1
    out = [f"{display_name}:{start}", _RULER]
    for number in range(first, last + 1):
        marker = ">>>" if start <= number <= end else "   "
        out.append(f" {number:3d} | {marker} {lines[number - 1]}")
    out.append(_RULER)
    return "\n".join(out) + "\n"


def _line(location: SourceRange | None) -> int:
    return location.start_line if location is not None else 0
