"""One Dockerfile build on an engine: its request, its compilation inside the session, its result.

`run_dockerfile_build` is what `Engine.build` runs for a Dockerfile context: the inputs are read
and checked first, then the request (outputs, secrets, cache, attestations) is made, and the
Dockerfile is compiled (with its build checks) once the engine's gateway answers.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from buildwright.cachemiss.record import CompileInputs
from buildwright.cachemiss.tracker import BuildTracker, PlatformTrackers
from buildwright.checks import check_build
from buildwright.client import BuildRequest, CompiledBuildLike, ExportSpec, GatewayContext, node_id, shared_key_for
from buildwright.client import BuildResult as EngineBuildResult
from buildwright.client.annotations import annotation_attrs
from buildwright.client.attestations import default_provenance_wanted, parse_attestations
from buildwright.client.cache import inline_cache_from_build_args, parse_cache_specs
from buildwright.client.dockerconfig import DockerConfig
from buildwright.client.events import BuildEvent
from buildwright.client.internal_steps import local_load_steps
from buildwright.client.localrefs import new_build_ref, record_build
from buildwright.client.outputs import (
    STDOUT,
    image_id,
    metadata_document,
    parse_output,
    plan_exports,
    write_file_atomic,
)
from buildwright.client.remote_context import report_fetch_once
from buildwright.dockerfile import Dockerfile
from buildwright.errors import BuildConfigError, BuildFailed, DockerfileError
from buildwright.explain_build import compile_inputs, tracker_for
from buildwright.frontend import CompiledBuild, compile_dockerfile
from buildwright.frontend.lint import CachingResolver, StageRules
from buildwright.frontend.platforms import MultiPlatformBuild, compile_platforms
from buildwright.inputs import BuildInputs, Context, frontend_attrs, local_build, read_inputs, uploads
from buildwright.llb import CUSTOM_NAME_KEY, NetMode
from buildwright.location import SourceRange
from buildwright.options import BuildOptions, OutputOptions
from buildwright.results import BuildResult

if TYPE_CHECKING:
    from collections.abc import Callable

    from buildwright.client.session.secrets import SecretSource, SecretValue
    from buildwright.client.session.ssh import AgentSource, SSHAgentSpec
    from buildwright.engine import Engine

# What `allow=` may grant; `network.host` is what `RUN --network=host` needs.
ENTITLEMENTS = ("network.host", "security.insecure")


def run_dockerfile_build(
    engine: Engine,
    context: Context,
    options: BuildOptions,
    output: OutputOptions,
    on_event: Callable[[BuildEvent], None] | None,
) -> BuildResult:
    """Build `context` with its Dockerfile on `engine`; see `buildwright.build`."""
    inputs = read_inputs(context, options)
    request = _request(context, inputs, options, output, engine)
    origin = "-" if not isinstance(context, (str, Path)) else inputs.remote.url if inputs.remote else inputs.context
    record_build(request.ref, local_build(origin, options.dockerfile, options.target))
    tracker = tracker_for(inputs, options, request.local_dirs)
    if tracker is not None:
        request = replace(request, file_observer=tracker.transfer)
        on_event = tracker.watch(on_event)
    compilation = _Compilation(inputs, tracker)
    started = time.monotonic()
    if on_event is not None and inputs.remote is None and isinstance(context, (str, Path)):
        # What buildx has the engine load, buildwright read: reported as the same steps, once the
        # Dockerfile compiled on a reachable engine (an error before that stays one line).
        named = Path(context) / "Dockerfile" if options.dockerfile is None else options.dockerfile
        steps = local_load_steps(Path(context), named if isinstance(named, bytes) else Path(named), request.ref)
        compilation.announce = functools.partial(_report_all, on_event, steps)
    if on_event is not None and inputs.remote is not None:
        on_event = report_fetch_once(on_event)
    try:
        result = engine.run(request, compilation.compile, on_event, tuple(str(p) for p in inputs.platforms))
    except BaseException as exc:
        if tracker is not None:
            tracker.abandon()
        if isinstance(exc, BuildFailed):
            _locate(exc, compilation.compiled, compilation.inputs.dockerfile)
        raise
    _write_result_files(result, output.iidfile, output.metadata_file)
    return BuildResult(
        image_id=result.image_digest,
        metadata=dict(result.exporter_response),
        stages=compilation.compiled[-1].stages,
        steps=result.steps,
        duration=time.monotonic() - started,
        warnings=result.warnings,
        explanation=tracker.finish(result.steps) if tracker is not None else None,
    )


def _report_all(on_event: Callable[[BuildEvent], None], events: Sequence[BuildEvent]) -> None:
    for event in events:
        on_event(event)


class _Compilation:
    """The compile callback of one build, keeping what it compiled for locating a failed step."""

    def __init__(self, inputs: BuildInputs, tracker: BuildTracker | PlatformTrackers | None) -> None:
        # A remote context's Dockerfile is known once the engine fetched it (inside the build).
        self.inputs = inputs
        self.compiled: list[CompiledBuild] = []
        self.tracker = tracker  # told the definition, for the build's record
        # Progress for the client's own loading of the inputs, reported once compiled.
        self.announce: Callable[[], None] | None = None

    def compile(self, gateway: GatewayContext) -> CompiledBuildLike:
        inputs = self.inputs = self.inputs.fetched(gateway)
        # Checks and compilation share one cache, so each base image is resolved once.
        resolver = CachingResolver(gateway.resolver)
        options = inputs.frontend_options(gateway)
        # The build checks fire as the stages are dispatched (once, for the first platform).
        rules = StageRules(inputs.ignore_patterns)
        compiled: CompiledBuild | MultiPlatformBuild
        compiled_from: CompileInputs | None = None
        try:
            if inputs.multi_platform:
                compiled = compile_platforms(inputs.dockerfile, options, inputs.platforms, resolver, rules=rules)
            else:
                compiled = compile_dockerfile(inputs.dockerfile, options, resolver, rules=rules)
                if isinstance(self.tracker, BuildTracker):
                    # Before the checks ask their own questions: what the compile read, for the record.
                    compiled_from = compile_inputs(inputs.dockerfile, options, resolver.answers())
        except DockerfileError:
            check_build(inputs, gateway, resolver, rules, failed=True)
            raise
        check_build(inputs, gateway, resolver, rules)
        if self.announce is not None:
            self.announce()
            self.announce = None
        if isinstance(compiled, MultiPlatformBuild):
            self.compiled.extend(part.compiled for part in compiled.builds)
            if isinstance(self.tracker, PlatformTrackers):
                self.tracker.compiled_platforms([(part.id, part.compiled.definition) for part in compiled.builds])
        else:
            self.compiled.append(compiled)
            if isinstance(self.tracker, BuildTracker):
                self.tracker.compiled(compiled.definition, compiled_from)
        return compiled


def _request(
    context: Context, inputs: BuildInputs, options: BuildOptions, output: OutputOptions, engine: Engine
) -> BuildRequest:
    allow = tuple(options.allow)
    if inputs.run_defaults.network is NetMode.HOST:
        allow = (*allow, "network.host")  # buildx grants what --network=host needs
    env = engine.options.env
    local_context = {} if inputs.remote is not None else {"context": inputs.context}
    exports = _exports(output)
    return BuildRequest(
        local_dirs={**inputs.named_dirs, **local_context},
        exports=exports,
        output_stream=_output_stream(exports, output.output_stream),
        # Lets the engine reuse its copy of this directory from earlier builds (only changes move).
        shared_key=shared_key_for(inputs.context, node_id(env)) if local_context else "",
        secrets=_secrets(options.secrets),
        ssh_agents=_ssh_agents(options.ssh),
        entitlements=_entitlements(allow),
        frontend_attrs=frontend_attrs(inputs),
        registry_auth=DockerConfig.load(env),
        cache_exports=parse_cache_specs(options.cache_to) + inline_cache_from_build_args(inputs.build_args),
        cache_imports=parse_cache_specs(options.cache_from),
        ref=new_build_ref(),
        attestations=parse_attestations(output.attest, provenance=output.provenance, sbom=output.sbom),
        default_provenance=default_provenance_wanted(env or os.environ),
        uploads=uploads(context, inputs),
        content_stores=inputs.layout_stores,
    )


def _exports(output: OutputOptions) -> tuple[ExportSpec, ...]:
    exports = plan_exports(
        tuple(parse_output(o) if isinstance(o, str) else o for o in output.outputs),
        tags=output.tags,
        load=output.load,
        push=output.push,
        iidfile=output.iidfile is not None,
    )
    if not output.annotations:
        return exports
    # As buildx: every output carries them; the image exporters write them.
    extra = annotation_attrs(output.annotations)
    return tuple(replace(e, attrs={**e.attrs, **extra}) for e in exports)


def _output_stream(exports: Sequence[ExportSpec], given: BinaryIO | None) -> BinaryIO | None:
    """Where `-` outputs go: the given stream, else stdout unless it is a terminal (as buildx refuses)."""
    to_stdout = [e for e in exports if e.dest == STDOUT]
    if not to_stdout or given is not None:
        return given
    if sys.stdout.isatty():
        raise BuildConfigError(f"dest file is required for {to_stdout[0].type} exporter. refusing to write to console")
    return sys.stdout.buffer


def _secrets(given: Iterable[str | SecretSource]) -> dict[str, SecretValue]:
    """The build's secrets, read now (the secrets service is imported only by builds that have some)."""
    specs = tuple(given)
    if not specs:
        return {}
    from buildwright.client.session.secrets import load_secrets, parse_secret_spec

    return load_secrets(parse_secret_spec(s) if isinstance(s, str) else s for s in specs)


def _ssh_agents(given: Iterable[str | SSHAgentSpec]) -> dict[str, AgentSource]:
    """The build's SSH agents, checked now (the agent service is imported only by builds that forward one)."""
    specs = tuple(given)
    if not specs:
        return {}
    from buildwright.client.session.ssh import parse_ssh_spec, resolve_agents

    return resolve_agents(parse_ssh_spec(s) if isinstance(s, str) else s for s in specs)


def _entitlements(allow: Iterable[str]) -> tuple[str, ...]:
    granted = tuple(dict.fromkeys(allow))
    for name in granted:
        if name not in ENTITLEMENTS:
            raise BuildConfigError(f"invalid entitlement: {name} (known: {', '.join(ENTITLEMENTS)})")
    return granted


def _write_result_files(
    result: EngineBuildResult, iidfile: str | Path | None, metadata_file: str | Path | None
) -> None:
    if iidfile is not None:
        write_file_atomic(iidfile, image_id(result.exporter_response).encode())
    if metadata_file is not None:
        # buildx names its builder and node; buildwright has neither, so both read "buildwright".
        document = metadata_document(result.exporter_response, build_ref=f"buildwright/buildwright/{result.ref}")
        write_file_atomic(metadata_file, json.dumps(document, indent=2).encode())


def _locate(exc: BuildFailed, compiled: Sequence[CompiledBuild], dockerfile: Dockerfile) -> None:
    """Point the failure at the Dockerfile lines of the step that failed, when it has none yet."""
    if not compiled or exc.location is not None:
        return
    ranges = []
    # A multi-platform build compiled one definition per platform: the step is in one of them.
    for build in compiled:
        definition = build.definition
        digest = exc.vertex_digest if exc.vertex_digest in definition.locations else None
        if digest is None:
            # The engine may re-digest ops (a default platform filled in); step names are unique per build.
            digest = next(
                (d for d, meta in definition.metadata.items() if meta.description.get(CUSTOM_NAME_KEY) == exc.vertex),
                None,
            )
        entries = definition.locations.get(digest, ()) if digest else ()
        ranges = [r for _, found in entries for r in found]
        if ranges:
            break
    if ranges:
        first, last = min(r.start_line for r in ranges), max(r.end_line for r in ranges)
        exc.attach(SourceRange(dockerfile.filename, first, last), dockerfile.lines)
