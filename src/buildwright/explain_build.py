"""Cache misses explained, for the api layer: the tracker of one build, and the prediction.

`tracker_for` gives `run_dockerfile_build` the `cachemiss.BuildTracker` that keeps the build's
record (and, with `explain`, explains it); `explain` (exported as `buildwright.explain`) is the
prediction: the Dockerfile compiled on the engine and compared with the last record and the
engine's cache records, nothing built.

A record also keeps what its graph was compiled from (`compile_inputs`): the compiler's own
files, the Dockerfile, the frontend options and each base image's answer. The compile is a
deterministic function of those (`FrontendOptions` holds everything else it reads), so when a
prediction finds the same ones, the engine answering every recorded base image as before, it
reads the recorded graph rather than compiling the Dockerfile again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildwright.cachemiss import BuildKey, Cause, CauseKind, Explanation, StepExplanation, arg_names, build_key
from buildwright.cachemiss.causes import judged
from buildwright.cachemiss.context import SentFiles
from buildwright.cachemiss.graph import StepGraph, read_graph
from buildwright.cachemiss.record import BaseAnswer, BuildRecord, CompileInputs, RecordStore
from buildwright.cachemiss.tracker import BuildTracker, PlatformTrackers
from buildwright.client import GatewayContext
from buildwright.dockerfile import Dockerfile
from buildwright.errors import BuildConfigError
from buildwright.frontend import FrontendOptions, compile_dockerfile
from buildwright.frontend.lint.resolver_cache import CachingResolver
from buildwright.frontend.platforms import MultiPlatformBuild, compile_platforms, parse_platforms
from buildwright.frontend.resolver import ImageRequest, ImageResolver, ResolvedImage
from buildwright.inputs import BuildInputs, local_build, read_inputs
from buildwright.llb.platform import Platform
from buildwright.options import BuildOptions, EngineOptions, split_keywords

if TYPE_CHECKING:
    # Predictions (`buildwright explain`) import the engine's cache lookup and the predictor when
    # they run: a build only keeps its record.
    from buildwright.cachemiss.engine_cache import CacheLookup
    from buildwright.engine import Engine

__all__ = ["Cause", "CauseKind", "Explanation", "StepExplanation", "explain"]


def explain(
    context: str | Path,
    options: BuildOptions | None = None,
    /,
    *,
    engine: EngineOptions | Engine | None = None,
    **keywords: Any,
) -> Explanation:
    """Which steps `build` with the same options would run, and why, without building.

    The Dockerfile is compiled on the engine (base images resolved), compared with the record of
    the last build of the same context, Dockerfile, target and platform (every `build` of a local
    context keeps one), and with the engine's cache records. The options are `build`'s; those that
    shape no step (secrets, outputs, ...) change nothing. `exit_code` is 0 when nothing would rebuild.

    Raises:
        BuildConfigError, DockerfileError: as `build`, and for a remote context (no record is
            kept of one); EngineUnavailableError: no engine answered.
    """
    from buildwright.engine import engine_for  # the engine runs builds, which use this module

    with engine_for(engine) as opened:
        return predict_dockerfile_build(opened, context, split_keywords(keywords, options)[0])


def record_key(inputs: BuildInputs, options: BuildOptions, platform: str | None = None) -> BuildKey:
    """The record a build of these inputs (for `platform`, one of a multi-platform build's) is
    compared with (see `cachemiss.record`)."""
    local = local_build(inputs.context, options.dockerfile, inputs.target)
    named = str(inputs.platform or "") if platform is None else platform
    return build_key(local.context, local.dockerfile, local.target, named)


def tracker_for(
    inputs: BuildInputs, options: BuildOptions, local_dirs: Mapping[str, Path]
) -> BuildTracker | PlatformTrackers | None:
    """The tracker of a build, or None: records are kept for a local context, where what the
    session sends is known; one per platform for a multi-platform build."""
    if inputs.remote is not None:
        return None

    def tracker(key: BuildKey, sent: SentFiles | None = None) -> BuildTracker:
        return BuildTracker(
            key,
            local_dirs=local_dirs,
            build_args=inputs.build_args,
            arg_names=arg_names(inputs.dockerfile),
            no_cache=inputs.no_cache,
            explain=options.explain,
            dockerfile_name=inputs.dockerfile.filename or "Dockerfile",
            sent=sent,
        )

    if inputs.multi_platform:
        return PlatformTrackers(lambda platform: record_key(inputs, options, platform), len(local_dirs), tracker)
    return tracker(record_key(inputs, options))


_Reader = Callable[[Sequence[BuildKey]], list[BuildRecord | None]]


def predict_dockerfile_build(engine: Engine, context: str | Path, options: BuildOptions) -> Explanation:
    """Which steps a build of `context` with `options` would run, and why (see the module docstring)."""
    from buildwright.cachemiss.engine_cache import CacheLookup

    store = RecordStore.default()
    # Without a record every step is new: the engine's cache is never asked about.
    cache = CacheLookup(lambda wanted: engine.disk_usage() if wanted is None else engine.described_records(wanted))
    early = _early_key(context, options)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The engine lists cache records slowly: the record is read and the ones it names are
        # asked for while the Dockerfile is read and compiled.
        loading = pool.submit(store.load, early) if early is not None else None
        asking = pool.submit(_ask_ahead, cache, loading) if loading is not None else None
        inputs = read_inputs(context, options)
        if inputs.remote is not None:
            raise BuildConfigError("explain needs a local context directory: builds of a remote context keep no record")
        if inputs.multi_platform:
            if asking is not None:
                asking.result()  # the lookup is this thread's from here on
            return _predict_platforms(engine, inputs, options, lambda keys: [store.load(key) for key in keys], cache)
        key = record_key(inputs, options)
        previous = loading.result() if loading is not None and key == early else store.load(key)

        def graph_on(gateway: GatewayContext) -> StepGraph:
            # Dockerfile errors come located from the frontend, as in `compile`.
            frontend = inputs.frontend_options(gateway)
            resolver = CachingResolver(gateway.resolver)
            if previous is not None and same_compile(previous.compiled_from, inputs.dockerfile, frontend, resolver):
                return previous.graph
            return read_graph(compile_dockerfile(inputs.dockerfile, frontend, resolver).definition)

        graph = engine.evaluate(graph_on)
        if asking is not None:
            asking.result()
    return _predict(inputs, graph, previous, cache)


def _early_key(context: str | Path, options: BuildOptions) -> BuildKey | None:
    """The record key of a build of the local directory `context` as far as the options tell it
    before the inputs are read (`record_key` has the last word), or None."""
    if not isinstance(context, (str, Path)) or not Path(context).is_dir():
        return None
    try:
        platforms = parse_platforms(options.platform or None)
    except BuildConfigError:
        return None  # reading the inputs says so
    local = local_build(Path(context).resolve(), options.dockerfile, options.target or None)
    return build_key(local.context, local.dockerfile, local.target, str(platforms[0]) if platforms else "")


def _ask_ahead(cache: CacheLookup, loading: Future[BuildRecord | None]) -> None:
    previous = loading.result()
    if previous is not None:
        # The records judged if nothing changed since the record: most often the last step's alone.
        cache.ask(judged(previous.graph, {}), previous)


def compile_inputs(
    dockerfile: Dockerfile, options: FrontendOptions, answers: Sequence[tuple[ImageRequest, ResolvedImage]]
) -> CompileInputs | None:
    """What a compile of `dockerfile` with `options` read, its base images answered by `answers`
    (None when the options hold something that is not a plain value: a remote context's state)."""
    digest = _inputs_digest(dockerfile, options)
    if digest is None:
        return None
    bases = tuple(
        BaseAnswer(
            ref=request.ref,
            platform={} if request.platform is None else dataclasses.asdict(request.platform),
            resolve_mode=request.resolve_mode,
            answer=_answer_digest(answer),
        )
        for request, answer in answers
    )
    return CompileInputs(digest, bases)


def same_compile(
    recorded: CompileInputs | None, dockerfile: Dockerfile, options: FrontendOptions, resolver: ImageResolver
) -> bool:
    """Whether a compile now would read what the recorded one did: the same compiler, Dockerfile
    and options, and the engine answering each recorded base image as it did then (asked again,
    in one batch, through `resolver`)."""
    if recorded is None or recorded.digest != _inputs_digest(dockerfile, options):
        return False
    requests = [
        ImageRequest(base.ref, Platform(**base.platform) if base.platform else None, base.resolve_mode)
        for base in recorded.bases
    ]
    answers = resolver.resolve_image_configs(requests) if requests else ()
    return [base.answer for base in recorded.bases] == [_answer_digest(answer) for answer in answers]


def _answer_digest(answer: ResolvedImage) -> str:
    config = hashlib.sha256(answer.config).hexdigest()
    return hashlib.sha256(json.dumps([answer.ref, answer.digest, config]).encode()).hexdigest()


def _inputs_digest(dockerfile: Dockerfile, options: FrontendOptions) -> str | None:
    if options.context_state is not None:
        return None
    try:
        # The session id only names this build's session in the local sources (a step's key leaves it out).
        encoded = _plain(dataclasses.replace(options, session_id=""))
    except TypeError:
        return None
    text = json.dumps([_code_identity(), dockerfile.filename, dockerfile.lines, encoded], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _code_identity() -> list[tuple[str, int, int]]:
    """Each source file of buildwright with its size and modification time: another version of
    the compiler (an upgrade, an edit) compiles anew."""
    found: list[tuple[str, int, int]] = []
    pending = [Path(__file__).resolve().parent]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                    pending.append(Path(entry.path))
                elif entry.name.endswith(".py"):
                    stat = entry.stat()
                    found.append((entry.path, stat.st_size, stat.st_mtime_ns))
    return sorted(found)


def _plain(value: object) -> object:
    """`value` as plain JSON values, the same for equal values (mappings and sets sorted);
    TypeError for anything else."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Enum):
        return [type(value).__qualname__, _plain(value.value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
        return [type(value).__qualname__, fields]
    if isinstance(value, Mapping):
        return sorted(([_plain(k), _plain(v)] for k, v in value.items()), key=json.dumps)
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(item) for item in value), key=json.dumps)
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    raise TypeError(f"not a plain value: {type(value).__name__}")


def _predict(inputs: BuildInputs, graph: StepGraph, previous: BuildRecord | None, cache: CacheLookup) -> Explanation:
    from buildwright.cachemiss.predict import predict_build

    return predict_build(
        graph,
        previous,
        local_dirs={**inputs.named_dirs, "context": inputs.context},
        cache=cache,
        build_args=inputs.build_args,
        arg_names=arg_names(inputs.dockerfile),
        no_cache=inputs.no_cache,
        dockerfile_name=inputs.dockerfile.filename or "Dockerfile",
    )


def _predict_platforms(
    engine: Engine, inputs: BuildInputs, options: BuildOptions, read: _Reader, cache: CacheLookup
) -> Explanation:
    """A multi-platform build's prediction: each platform compared with its own record, the
    steps listed platform by platform (their names carry the platform)."""

    def compile_on(gateway: GatewayContext) -> MultiPlatformBuild:
        options_now = inputs.frontend_options(gateway)
        return compile_platforms(inputs.dockerfile, options_now, inputs.platforms, gateway.resolver)

    # The platforms are known once compiled (BUILDKIT_MULTI_PLATFORM without --platform takes
    # the engine's), so the records are read after the compile here.
    built = engine.evaluate(compile_on)
    previous = read([record_key(inputs, options, part.id) for part in built.builds])
    parts = [
        _predict(inputs, read_graph(part.compiled.definition), before, cache)
        for part, before in zip(built.builds, previous, strict=True)
    ]
    return Explanation(
        tuple(step for part in parts for step in part.steps),
        predicted=True,
        dockerfile=parts[0].dockerfile if parts else "Dockerfile",
        has_record=all(part.has_record for part in parts),
    )
