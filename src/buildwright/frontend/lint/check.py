"""A full check, as `--check` does it: the lint run, then the conversion for the errors it hits.

The lint run stops where the reference stops for the errors it can see itself (parse errors,
bad FROM lines, unknown targets, unresolvable images), and its error is the check's. Errors only
the converter finds (an invalid VOLUME, a COPY from a later stage...) come from compiling the
stages the check covers, and findings after the failing instruction are dropped:
the target, or without one every stage (the last stage first, then each named stage it does
not reach). With `error=true` and findings, the check ends with a lint-violation error.
"""

from __future__ import annotations

from dataclasses import replace

from buildwright.dockerfile import FromInstruction, parse_dockerfile
from buildwright.errors import BuildwrightError, DockerfileError
from buildwright.frontend.convert import compile_dockerfile
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
    """Lint `source` and find the error a build of it would end with.

    Without a resolver (no engine) base images are unknown: the run lints with empty base image
    configs and does not compile.
    """
    cached = CachingResolver(resolver) if resolver is not None else None
    result = run_lint(source, filename, options, cached)
    if result.error is not None:
        return result
    error = _compile_error(source, filename, options, frontend, cached) if cached is not None else None
    if isinstance(error, DockerfileError) and error.location is not None:
        # The conversion stopped at an instruction: later instructions were never checked.
        result = result.until(error.location)
    if error is None:
        message = result.violation_error()
        if message is not None:
            error = DockerfileError(message)
    return replace(result, error=error)


def _compile_error(
    source: bytes, filename: str, options: LintOptions, frontend: FrontendOptions, resolver: ImageResolver
) -> BuildwrightError | None:
    try:
        dockerfile = parse_dockerfile(source, filename)
        compiled = compile_dockerfile(dockerfile, replace(frontend, target=options.target), resolver)
        if options.target or not options.all_stages:
            return None
        covered = set(compiled.stages.reachable)
        from_names = [i.stage_name for i in dockerfile.instructions if isinstance(i, FromInstruction) and i.stage_name]
        for name in dict.fromkeys(from_names):
            if name in covered:
                continue
            extra = compile_dockerfile(dockerfile, replace(frontend, target=name), resolver)
            covered |= set(extra.stages.reachable)
    except BuildwrightError as exc:
        return exc
    return None
