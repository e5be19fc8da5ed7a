"""A full check, as `--check` does it: the findings, and the error a build would end with.

The run stops where the reference stops: at the errors the checks see themselves (parse errors,
bad FROM lines, unknown targets, unresolvable images) or, once the stages are compiled, at the
first instruction that does not convert (an invalid VOLUME, a COPY from a later stage...); the
findings of later instructions are never made. Without a target every stage is compiled, as the
reference's check does. With `error=true` and findings, the check ends with a lint-violation error.
"""

from __future__ import annotations

from buildwright._frozen import replace
from buildwright.errors import DockerfileError
from buildwright.frontend.lint.findings import LintResult
from buildwright.frontend.lint.resolver_cache import CachingResolver
from buildwright.frontend.lint.runner import LintOptions, run_lint
from buildwright.frontend.options import FrontendOptions
from buildwright.frontend.resolver import ImageResolver


def check_dockerfile(
    source: bytes,
    filename: str,
    options: LintOptions,
    frontend: FrontendOptions,
    resolver: ImageResolver | None,
) -> LintResult:
    """Check `source` and find the error a build of it would end with.

    Without a resolver (no engine) base images count as empty configs.
    """
    cached = CachingResolver(resolver) if resolver is not None else None
    result = run_lint(source, filename, options, cached, frontend=frontend)
    if result.error is None:
        message = result.violation_error()
        if message is not None:
            return replace(result, error=DockerfileError(message))
    return result
