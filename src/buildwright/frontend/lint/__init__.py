"""Build checks: the reference frontend's lint rules over a Dockerfile, without building it.

`run_lint` runs the converter's phases (parse, stage graph, base images, dispatch) and
reports each rule violation with its location; the dispatch is the compilation's own, with
`StageRules` firing as each instruction is converted; `CheckConfig` is the `# check=` directive or
the `BUILDKIT_DOCKERFILE_CHECK` build argument; `report` renders results like buildx.
"""

from __future__ import annotations

from buildwright.frontend.lint.check import check_dockerfile
from buildwright.frontend.lint.config import CHECK_BUILD_ARG, CheckConfig, CheckConfigError, parse_check_config
from buildwright.frontend.lint.findings import Finding, LintResult
from buildwright.frontend.lint.report import render_error, render_findings, snippet
from buildwright.frontend.lint.resolver_cache import CachingResolver
from buildwright.frontend.lint.rules import ALL_RULES, Rule
from buildwright.frontend.lint.runner import PHASE_CONFIG, LintOptions, read_check_config, run_lint
from buildwright.frontend.lint.stage_checks import StageRules

__all__ = [
    "ALL_RULES",
    "CHECK_BUILD_ARG",
    "PHASE_CONFIG",
    "CachingResolver",
    "CheckConfig",
    "CheckConfigError",
    "Finding",
    "LintOptions",
    "LintResult",
    "Rule",
    "StageRules",
    "check_dockerfile",
    "parse_check_config",
    "read_check_config",
    "render_error",
    "render_findings",
    "run_lint",
    "snippet",
]
