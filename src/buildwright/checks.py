"""Build checks: `check` (`docker buildx build --check`) and the checks every build runs."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from buildwright._log import get_logger
from buildwright._values import valueclass
from buildwright.client import GatewayContext, GatewayWarning
from buildwright.errors import BuildConfigError, BuildwrightError, DockerfileError
from buildwright.frontend import FrontendOptions
from buildwright.frontend.lint import (
    PHASE_CONFIG,
    CachingResolver,
    Finding,
    LintOptions,
    LintResult,
    StageRules,
    check_dockerfile,
    render_error,
    render_findings,
    run_lint,
)
from buildwright.frontend.lint.report_json import findings_json
from buildwright.frontend.platforms import parse_platforms
from buildwright.inputs import BuildInputs, dockerfile_source, ignore_patterns, resolve_mode
from buildwright.llb.platform import Platform

_log = get_logger(__name__)


@valueclass
class CheckResult:
    """What `check` found: the rule violations and the error a build would end with.

    `report()` is the text `docker buildx build --check` prints on stdout, `error_report()` the
    error it prints on stderr (after `ERROR: `); `exit_code` is 1 when there is either.
    """

    lint: LintResult
    display_name: str
    session_id: str = ""  # the session the engine read the Dockerfile in ("" offline)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.lint.findings

    @property
    def error(self) -> Exception | None:
        return self.lint.error

    @property
    def exit_code(self) -> int:
        return 1 if self.lint.findings or self.lint.error is not None else 0

    def report(self) -> str:
        return render_findings(self.lint, self.display_name)

    def error_report(self) -> str:
        return render_error(self.lint, self.display_name)

    def json(self) -> str:
        """The JSON `docker buildx build --call=check,format=json` prints (the reference's lint result)."""
        return findings_json(self.lint, self.session_id)

    @property
    def request_error(self) -> bool:
        """The error stopped the whole request (a bad `BUILDKIT_DOCKERFILE_CHECK`), not the check."""
        return self.lint.error_phase == PHASE_CONFIG and isinstance(self.lint.error, BuildConfigError)


@valueclass
class CheckJob:
    """A `check` whose inputs are read: run `offline()`, or `on_gateway` on an engine.

    Base images are resolved on the engine (their env, SHELL, ONBUILD and platform matter to some
    rules) and the stages are compiled, the rules firing as they are dispatched, to find the error
    a build would hit; nothing is built. Offline, base images count as empty configs.
    """

    source: bytes
    filename: str
    display_name: str
    lint_options: LintOptions
    frontend: FrontendOptions

    @classmethod
    def prepare(
        cls,
        context: str | Path,
        dockerfile: str | Path | bytes | None,
        target: str | None,
        build_args: Mapping[str, str] | None,
        platform: str | Sequence[str] | None,
    ) -> CheckJob:
        """Read and check the inputs. `platform` is validated but, as in buildx, does not change
        what is checked (the reference's check runs for the build platform)."""
        context_dir = Path(context)
        if not context_dir.is_dir():
            raise BuildConfigError(f'unable to prepare context: path "{context}" not found')
        dockerfile_path, source = dockerfile_source(context_dir, dockerfile)
        # buildx names the file as given with -f, else <context>/Dockerfile.
        display = str(dockerfile) if dockerfile is not None else os.path.normpath(os.path.join(context, "Dockerfile"))
        ignore = ignore_patterns(context_dir, dockerfile_path)
        parse_platforms(platform or None)  # validated as buildx does, not used (see above)
        args = dict(build_args or {})
        # Without a target every stage is checked; with one, only the stages it needs (as buildx does).
        lint = LintOptions(target=target or None, build_args=args, ignore_patterns=ignore, all_stages=not target)
        frontend = FrontendOptions(build_args=args, ignore_patterns=ignore)
        return cls(source, dockerfile_path.name, display, lint, frontend)

    def offline(self) -> CheckResult:
        result = check_dockerfile(self.source, self.filename, self.lint_options, self.frontend, None)
        return CheckResult(result, self.display_name)

    def on_gateway(self, gateway: GatewayContext) -> CheckResult:
        platforms = gateway.worker_platforms or (Platform("linux", "amd64"),)
        result = check_dockerfile(
            self.source,
            self.filename,
            replace(self.lint_options, build_platforms=platforms),
            replace(
                self.frontend,
                build_platforms=platforms,
                session_id=gateway.session_id,
                llb_caps=gateway.llb_caps or None,
            ),
            gateway.resolver,
        )
        return CheckResult(result, self.display_name, gateway.session_id)


def check_build(
    inputs: BuildInputs,
    gateway: GatewayContext,
    resolver: CachingResolver,
    dispatched: StageRules,
    *,
    failed: bool = False,
) -> None:
    """Report the checks of the stages this build needs; findings go to the engine as warnings.

    `dispatched` holds the rules the build's compilation fired as it dispatched the stages (so
    they are not walked again); when the compilation `failed`, they are those made before it
    stopped, as in the reference. Raises DockerfileError when the configuration says
    `error=true` and there are findings (after a successful compilation only).
    """
    dockerfile = inputs.dockerfile
    source = "\n".join(dockerfile.lines).encode("utf-8", "surrogateescape")
    options = LintOptions(
        target=inputs.target,
        build_args=inputs.build_args,
        ignore_patterns=inputs.ignore_patterns,
        build_platforms=gateway.worker_platforms or (Platform("linux", "amd64"),),
        target_platform=inputs.platform,
        all_stages=False,
        # The compilation's resolve mode, so both ask for the same images and each is resolved once.
        image_resolve_mode=resolve_mode(inputs.pull, gateway),
        named_contexts=inputs.named_contexts,
    )
    try:
        result = run_lint(source, dockerfile.filename, options, resolver, parsed=dockerfile, dispatched=dispatched)
    except BuildwrightError:
        raise
    except Exception as exc:  # checks are advisory: a defect in them must not stop a build
        _log.warning("build_checks_failed", error=repr(exc))
        return
    if result.error is not None and result.error_phase == PHASE_CONFIG:
        raise result.error  # a check configuration that does not parse fails the build
    if gateway.warn is not None:
        for finding in result.findings:
            location = finding.location
            gateway.warn(
                GatewayWarning(
                    short=finding.short,
                    detail=(finding.rule.description,),
                    url=finding.rule.url,
                    filename=dockerfile.filename,
                    data=source,
                    ranges=((location.start_line, location.end_line),) if location is not None else (),
                )
            )
    message = result.violation_error() if result.error is None and not failed else None
    if message is not None:
        raise DockerfileError(message)
