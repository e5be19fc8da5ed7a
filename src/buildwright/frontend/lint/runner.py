"""One check run over a Dockerfile, in the reference converter's phases and order.

1. the check configuration (build argument, else `# check=` directive);
2. parsing: empty continuation lines, then per instruction MAINTAINER, FROM casing, descriptions;
3. whole-file rules: stage names, instruction casing, FROM with only default ARG values;
4. each FROM expanded with the global args (undeclared args, `--platform` rules);
5. the stage graph and target; base images resolved (when a resolver is given) for their env,
   SHELL, ONBUILD triggers and platform;
6. the stages dispatched by the compilation itself (all of them without a target, as `--check`
   does; else those the target needs), with the dispatch-time rules (`StageRules`) firing as each
   instruction is converted. A build passes in the rules its own compilation ran, so nothing is
   dispatched twice.

A Dockerfile that the reference would reject stops the run where the reference stops; the
findings made so far are kept with the error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field

from buildwright import _golang, llb
from buildwright._frozen import replace
from buildwright._values import valueclass
from buildwright.dockerfile import (
    ArgInstruction,
    CopyInstruction,
    Dockerfile,
    FromInstruction,
    Instruction,
    ShellLex,
    detect_directive,
    parse_dockerfile,
)
from buildwright.dockerfile import parser as dockerfile_parser
from buildwright.dockerfile.instruction_parser import parse_instruction
from buildwright.dockerfile.stages import NO_STAGE_MESSAGE, NO_STAGES_MESSAGE
from buildwright.errors import BuildConfigError, BuildwrightError, DockerfileError, LLBError
from buildwright.frontend.args import default_args, meta_args
from buildwright.frontend.contexts import NamedContext, find_context
from buildwright.frontend.convert import compile_dockerfile
from buildwright.frontend.image import ImageConfig
from buildwright.frontend.lint import rules
from buildwright.frontend.lint.config import CHECK_BUILD_ARG, CheckConfig, CheckConfigError, parse_check_config
from buildwright.frontend.lint.findings import LintResult
from buildwright.frontend.lint.reporter import Halt, Reporter
from buildwright.frontend.lint.resolver_cache import CachingResolver
from buildwright.frontend.lint.stage_checks import StageRules
from buildwright.frontend.options import FrontendOptions
from buildwright.frontend.resolver import ImageRequest, ImageResolveError, ImageResolver, ResolvedImage
from buildwright.frontend.stages import SCRATCH, StageGraph, StageNode, register_stages, select_target
from buildwright.llb.platform import Platform
from buildwright.location import SourceRange

_RESERVED_STAGE_NAMES = ("context", "scratch")

# Where a run stopped: reading the configuration, parsing, stages and base images, dispatch.
PHASE_CONFIG = "config"
PHASE_PARSE = "parse"
PHASE_STAGES = "stages"
PHASE_DISPATCH = "dispatch"


@valueclass
class LintOptions:
    """The inputs of a check run besides the Dockerfile.

    `all_stages` lints every stage when no target is given (`--check`); a build lints only the
    stages its target needs.
    """

    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    ignore_patterns: tuple[str, ...] = ()
    build_platforms: tuple[Platform, ...] = (Platform("linux", "amd64"),)
    target_platform: Platform | None = None
    all_stages: bool = True
    image_resolve_mode: str = "default"
    # `--build-context` values: a base named by one is that context, never an image to look up
    # (an image context is looked up under its own reference).
    named_contexts: Mapping[str, NamedContext] = field(default_factory=dict)


@valueclass
class _Stage:
    from_: FromInstruction
    commands: tuple[Instruction, ...]


def read_check_config(source: bytes | str, build_args: Mapping[str, str]) -> CheckConfig:
    """The configuration in effect; raises BuildConfigError (build arg) or DockerfileError (directive)."""
    if CHECK_BUILD_ARG in build_args:
        try:
            return parse_check_config(build_args[CHECK_BUILD_ARG])
        except CheckConfigError as exc:
            raise BuildConfigError(f"failed to parse build-arg:{CHECK_BUILD_ARG}: {exc}") from exc
    directive = detect_directive("check", source)
    try:
        return parse_check_config(directive.cmdline if directive else "")
    except CheckConfigError as exc:
        raise DockerfileError(f"failed to parse check options: {exc}") from exc


def run_lint(
    source: bytes | str,
    filename: str = "Dockerfile",
    options: LintOptions | None = None,
    resolver: ImageResolver | None = None,
    parsed: Dockerfile | None = None,
    *,
    frontend: FrontendOptions | None = None,
    dispatched: StageRules | None = None,
) -> LintResult:
    """Check `source`; base images are looked up through `resolver` when one is given.

    `parsed` is `source` already parsed (a build has it): its nodes and instructions are used
    instead of parsing the text again. `dispatched` holds the rules a build's compilation fired
    (its stages are then not dispatched again); otherwise the stages are compiled here with
    `frontend` (session, engine caps) and the error a build would end with is the run's error.
    Without a resolver, base images count as empty.
    """
    options = options or LintOptions()
    data = source.encode("utf-8", "surrogateescape") if isinstance(source, str) else source
    try:
        config = read_check_config(source, options.build_args)
    except BuildwrightError as exc:
        return LintResult((), exc, CheckConfig(), filename, data, PHASE_CONFIG)
    reporter = Reporter(config)
    error: BuildwrightError | None = None
    phase = ""
    rules: StageRules | None = None
    if resolver is not None and not isinstance(resolver, CachingResolver):
        resolver = CachingResolver(resolver)  # the checks and the compilation ask for the same images
    if parsed is None and dispatched is None:
        # Parsed once for both the checks and the compilation; when it fails, the checks' own
        # parse finds where (and keeps the findings made before that point).
        try:
            parsed = parse_dockerfile(source, filename)
        except DockerfileError:
            parsed = None
    run = _Run(dockerfile_parser.decode_source(source), filename, options, resolver, reporter, parsed)
    try:
        run.run()
        rules = dispatched
        if rules is None:
            rules = StageRules(options.ignore_patterns)
            run.compile(frontend or FrontendOptions(), rules)
    except Halt as halt:
        error = halt.error if isinstance(halt.error, BuildwrightError) else BuildwrightError(str(halt.error))
        phase = run.phase
    if run.phase == PHASE_DISPATCH and rules is not None:
        # Found while the stages were dispatched, after every finding of the phases before.
        for finding in rules.findings:
            reporter.report(finding.rule, finding.message, finding.location)
    return LintResult(tuple(reporter.findings), error, config, filename, data, phase)


class _Run:
    """The phases of one run; holds only what the phases pass each other."""

    def __init__(
        self,
        text: str,
        filename: str,
        options: LintOptions,
        resolver: ImageResolver | None,
        reporter: Reporter,
        parsed: Dockerfile | None = None,
    ) -> None:
        self.parsed = parsed
        self.text = text
        self.filename = filename
        self.options = options
        self.resolver = resolver
        self.reporter = reporter
        self.lines: tuple[str, ...] = ()
        self.phase = PHASE_PARSE

    def run(self) -> None:
        if not self.text:
            raise Halt(DockerfileError("the Dockerfile cannot be empty"))
        parsed: dockerfile_parser.ParseResult | Dockerfile
        if self.parsed is not None:
            parsed = self.parsed
        else:
            try:
                parsed = dockerfile_parser.parse(self.text, self.filename)
            except DockerfileError as exc:
                raise Halt(exc) from exc
        self.lines = parsed.lines
        for warning in parsed.warnings:
            if warning.rule == rules.NO_EMPTY_CONTINUATION.name:
                self.reporter.report(rules.NO_EMPTY_CONTINUATION, "Empty continuation line", warning.location)
        meta, stages = self._instructions(parsed.nodes)
        self.phase = PHASE_STAGES
        self._stage_names(stages)
        self._casing(stages)

        lex = ShellLex(escape=parsed.escape)
        build_platform = self.options.build_platforms[0]
        target_platform = self.options.target_platform or build_platform
        target_name = self.options.target or stages[-1].from_.stage_name
        defaults = default_args(build_platform, target_platform, self.options.build_args, target_name)
        self._default_args_in_from(stages, meta, defaults, lex)
        try:
            global_args = meta_args(defaults, meta, self.options.build_args, lex)
        except DockerfileError as exc:
            raise Halt(exc) from exc
        declared = list(dict.fromkeys([arg.key for command in meta for arg in command.args] + list(global_args)))
        nodes = [self._from(index, stage, global_args, declared, lex) for index, stage in enumerate(stages)]
        try:
            graph = register_stages(nodes)
            target = select_target(graph, self.options.target)
        except BuildwrightError as exc:
            raise Halt(exc) from exc
        wanted = graph.stages if self.options.all_stages else graph.reachable_from(target)
        self._resolve(graph, wanted, target_platform)
        self.phase = PHASE_DISPATCH

    def compile(self, frontend: FrontendOptions, rules: StageRules) -> None:
        """Phase 6 for a check of its own: the stages compiled (as a build would) with `rules`."""
        try:
            if self.parsed is None:
                return  # the checks' parse has already stopped the run
            dockerfile = self.parsed
            options = replace(
                frontend,
                target=self.options.target,
                build_args=self.options.build_args,
                ignore_patterns=self.options.ignore_patterns,
                build_platforms=self.options.build_platforms,
                target_platform=self.options.target_platform,
                image_resolve_mode=self.options.image_resolve_mode,
                named_contexts=self.options.named_contexts,
                all_stages=self.options.all_stages,
            )
            compile_dockerfile(dockerfile, options, self.resolver or _NoImages(), rules=rules)
        except BuildwrightError as exc:
            raise Halt(exc) from exc

    # Phase 2: instructions, with the checks the reference makes while parsing them.
    def _instructions(self, nodes: Sequence[dockerfile_parser.Node]) -> tuple[list[ArgInstruction], list[_Stage]]:
        meta: list[ArgInstruction] = []
        stages: list[tuple[FromInstruction, list[Instruction]]] = []
        known = self.parsed.instructions if self.parsed is not None else None
        for position, node in enumerate(nodes):
            location = SourceRange(self.filename, node.start_line, node.end_line)
            keyword = node.keyword.lower()
            if keyword == "maintainer":
                self.reporter.report(
                    rules.MAINTAINER_DEPRECATED,
                    "Maintainer instruction is deprecated in favor of using label",
                    location,
                )
            elif keyword == "from":
                self._from_casing(node, location)
            if known is not None:
                instruction = known[position]
            else:
                try:
                    instruction = parse_instruction(node, self.filename, self.lines)
                except DockerfileError as exc:
                    raise Halt(exc) from exc
            if isinstance(instruction, FromInstruction):
                if instruction.stage_name:
                    self._description("FROM", [instruction.stage_name], node.comments, location)
                stages.append((instruction, []))
            elif isinstance(instruction, ArgInstruction):
                self._description("ARG", [arg.key for arg in instruction.args], node.comments, location)
                if stages:
                    stages[-1][1].append(instruction)
                else:
                    meta.append(instruction)
            elif stages:
                stages[-1][1].append(instruction)
            else:
                raise Halt(DockerfileError(NO_STAGE_MESSAGE, location, self.lines))
        if not stages:
            raise Halt(DockerfileError(NO_STAGES_MESSAGE))
        return meta, [_Stage(from_, tuple(commands)) for from_, commands in stages]

    def _from_casing(self, node: dockerfile_parser.Node, location: SourceRange) -> None:
        args = node.args
        if len(args) == 3 and args[2] != args[2].lower():
            self.reporter.report(rules.STAGE_NAME_CASING, f"Stage name '{args[2]}' should be lowercase", location)
        if len(args) >= 3:
            keyword = node.keyword
            # A FROM keyword of mixed case is ConsistentInstructionCasing's business, not this rule's.
            if keyword == keyword.lower():
                mismatch = args[1] != args[1].lower()
            elif keyword == keyword.upper():
                mismatch = args[1] != args[1].upper()
            else:
                mismatch = False
            if mismatch:
                self.reporter.report(
                    rules.FROM_AS_CASING, f"'{args[1]}' and '{keyword}' keywords' casing do not match", location
                )

    def _description(self, instruction: str, keys: list[str], comments: Sequence[str], location: SourceRange) -> None:
        if not comments or not keys:
            return
        if comments[-1].split(" ")[0] in keys:
            return
        example = keys[0] if len(keys) == 1 else "<arg_key>"
        self.reporter.report(
            rules.INVALID_DEFINITION_DESCRIPTION,
            f"Comment for {instruction} should follow the format: `# {example} <description>`",
            location,
        )

    # Phase 3: rules over the whole file.
    def _stage_names(self, stages: Sequence[_Stage]) -> None:
        seen: set[str] = set()
        for stage in stages:
            name = stage.from_.stage_name
            if not name:
                continue
            if name in _RESERVED_STAGE_NAMES:
                self.reporter.report(
                    rules.RESERVED_STAGE_NAME,
                    f"Stage name should not use the same name as reserved stage {_golang.quote(name)}",
                    stage.from_.location,
                )
            if name in seen:
                self.reporter.report(
                    rules.DUPLICATE_STAGE_NAME,
                    f"Duplicate stage name {_golang.quote(name)}, stage names should be unique",
                    stage.from_.location,
                )
            seen.add(name)

    def _casing(self, stages: Sequence[_Stage]) -> None:
        # The majority decides over the keywords written in one case; global ARGs are not counted.
        keywords: list[tuple[str, SourceRange]] = []
        for stage in stages:
            keywords.append((stage.from_.keyword, stage.from_.location))
            keywords.extend((command.keyword, command.location) for command in stage.commands)
        lower = sum(1 for word, _ in keywords if word == word.lower())
        upper = sum(1 for word, _ in keywords if word == word.upper() and word != word.lower())
        majority_lower = lower > upper
        for word, location in keywords:
            if majority_lower and word.lower() != word:
                expected = "lowercase"
            elif not majority_lower and word.upper() != word:
                expected = "uppercase"
            else:
                continue
            self.reporter.report(
                rules.CONSISTENT_INSTRUCTION_CASING,
                f"Command '{word}' should match the case of the command majority ({expected})",
                location,
            )

    def _default_args_in_from(
        self, stages: Sequence[_Stage], meta: Sequence[ArgInstruction], defaults: Mapping[str, str], lex: ShellLex
    ) -> None:
        # With no build arguments at all, every FROM must still name a valid image.
        try:
            args = meta_args(defaults, meta, {}, lex)
        except DockerfileError:
            return
        for stage in stages:
            try:
                name = lex.process_word(stage.from_.image, args)
            except DockerfileError:
                return
            try:
                llb.normalize_image_ref(name)
            except LLBError:
                self.reporter.report(
                    rules.INVALID_DEFAULT_ARG_IN_FROM,
                    f"Default value for ARG {stage.from_.image} results in empty or invalid base image name",
                    stage.from_.location,
                )

    # Phase 4: each FROM against the global args.
    def _from(
        self, index: int, stage: _Stage, global_args: Mapping[str, str], declared: list[str], lex: ShellLex
    ) -> StageNode:
        from_ = stage.from_
        location = from_.location
        name = self._expand_from(from_.image, global_args, declared, lex, location)
        if not name.result:
            raise Halt(DockerfileError(f"base name ({from_.image}) should not be blank", location, self.lines))
        platform = None
        if from_.platform:
            expanded = self._expand_from(from_.platform, global_args, declared, lex, location)
            if (
                len(expanded.matched) == 1
                and not expanded.unmatched
                and "TARGETPLATFORM" in expanded.matched
                and expanded.result == global_args.get("TARGETPLATFORM")
            ):
                self.reporter.report(
                    rules.REDUNDANT_TARGET_PLATFORM,
                    f"Setting platform to predefined {from_.platform} in FROM is redundant as this is the default "
                    "behavior",
                    location,
                )
            if not expanded.matched and not expanded.unmatched:
                self._constant_platform(from_.stage_name, expanded.result, location)
            if not expanded.result:
                raise Halt(
                    DockerfileError(f"empty platform value from expression {from_.platform}", location, self.lines)
                )
            try:
                platform = Platform.parse(expanded.result)
            except BuildwrightError as exc:
                raise Halt(
                    DockerfileError(f"failed to parse platform {from_.platform}: {exc}", location, self.lines)
                ) from exc
        return StageNode(
            index=index,
            name=from_.stage_name,
            base_name=name.result,
            platform=platform,
            from_instruction=from_,
            commands=stage.commands,
        )

    def _expand_from(
        self, word: str, global_args: Mapping[str, str], declared: list[str], lex: ShellLex, location: SourceRange
    ) -> _Expanded:
        try:
            result = lex.process(word, global_args)
        except DockerfileError as exc:
            raise Halt(exc.attach(location, self.lines)) from exc
        for name in sorted(result.unmatched):
            if name in declared:
                continue
            suggestion = _golang.suggest(name, declared, case_sensitive=True)
            self.reporter.report(
                rules.UNDEFINED_ARG_IN_FROM,
                rules.with_suggestion(f"FROM argument '{name}' is not declared", suggestion),
                location,
            )
        return _Expanded(result.result, result.matched, result.unmatched)

    def _constant_platform(self, stage_name: str, value: str, location: SourceRange) -> None:
        try:
            platform = Platform.parse(value)
        except BuildwrightError:
            return  # the build reports the bad value
        if platform.os in stage_name or platform.architecture in stage_name:
            return
        self.reporter.report(
            rules.FROM_PLATFORM_FLAG_CONST_DISALLOWED,
            f"FROM --platform flag should not use constant value {_golang.quote(value)}",
            location,
        )

    # Phase 5: base images.
    def _resolve(self, graph: StageGraph, wanted: Sequence[StageNode], target_platform: Platform) -> None:
        requests: list[tuple[StageNode, ImageRequest]] = []
        for node in wanted:
            if node.base is not None or node.base_name == SCRATCH:
                continue
            name = node.base_name
            named = find_context(self.options.named_contexts, node.name) if node.name else None
            named = named or find_context(self.options.named_contexts, name)
            if named is not None:
                if named.image_ref is None or named.image_ref == SCRATCH:
                    continue  # a directory, git checkout or download: no image config
                name = named.image_ref
            location = self._stage_location(graph, node)
            try:
                ref = llb.normalize_image_ref(name)
            except LLBError as exc:
                raise Halt(
                    DockerfileError(f'failed to parse stage name "{node.base_name}": {exc}', location, self.lines)
                ) from exc
            requests.append(
                (node, ImageRequest(ref, node.platform or target_platform, self.options.image_resolve_mode))
            )
        if self.resolver is None or not requests:
            return
        unique = list(dict.fromkeys(request for _, request in requests))
        try:
            answers = dict(zip(unique, self.resolver.resolve_image_configs(unique), strict=True))
        except BuildwrightError as exc:
            raise Halt(self._resolve_error(graph, requests, exc)) from exc
        images: dict[ImageRequest, ImageConfig] = {}  # read once per image, not per stage
        for node, request in requests:
            image = images.get(request)
            if image is None:
                image = images[request] = ImageConfig.from_json(answers[request].config)
            if not image.diff_ids and all(entry.empty_layer for entry in image.history):
                continue  # treated as scratch: nothing to compare
            expected = node.platform or self._auto_platform(image, target_platform)
            if (expected.os, expected.architecture) != (image.os, image.architecture):
                actual = Platform(image.os, image.architecture, image.variant)
                self.reporter.report(
                    rules.INVALID_BASE_IMAGE_PLATFORM,
                    f"Base image {node.base_name} was pulled with platform {_golang.quote(str(actual))}, expected "
                    f"{_golang.quote(str(expected))} for current build",
                    self._stage_location(graph, node),
                )

    def _resolve_error(
        self, graph: StageGraph, requests: Sequence[tuple[StageNode, ImageRequest]], error: BuildwrightError
    ) -> BuildwrightError:
        """The failure as the reference words it: `<image as written>: <engine error>` at its FROM."""
        if isinstance(error, ImageResolveError):
            for node, request in requests:
                if request.ref == error.ref:
                    location = self._stage_location(graph, node)
                    return DockerfileError(f"{node.base_name}: {error.detail}", location, self.lines)
        return error

    def _auto_platform(self, image: ImageConfig, target_platform: Platform) -> Platform:
        # Without an explicit --platform a base image of any worker platform is accepted as is.
        if self.options.target_platform is not None:
            return target_platform
        if (target_platform.os, target_platform.architecture) == (image.os, image.architecture):
            return target_platform
        for platform in self.options.build_platforms:
            if (platform.os, platform.architecture) == (image.os, image.architecture):
                return platform
        return target_platform

    def _stage_location(self, graph: StageGraph, node: StageNode) -> SourceRange | None:
        if node.from_instruction is not None:
            return node.from_instruction.location
        # An image named only by COPY --from is located at the first COPY naming it.
        for stage in graph.stages:
            for command in stage.commands:
                if isinstance(command, CopyInstruction) and command.from_stage == node.base_name:
                    return command.location
        return None


@valueclass
class _Expanded:
    result: str
    matched: frozenset[str]
    unmatched: frozenset[str]


class _NoImages:
    """Base images when no engine is asked: every one an empty config (no env, no layers)."""

    def resolve_image_configs(self, requests: Sequence[ImageRequest]) -> Sequence[ResolvedImage]:
        return [ResolvedImage(request.ref, "", b"{}") for request in requests]
