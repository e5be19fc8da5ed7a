"""Cache misses explained, for the api layer: the tracker of one build, and the prediction.

`tracker_for` gives `run_dockerfile_build` the `cachemiss.BuildTracker` that keeps the build's
record (and, with `explain`, explains it); `explain` (exported as `buildwright.explain`) is the
prediction: the Dockerfile compiled on the engine and compared with the last record and the
engine's cache records, nothing built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildwright.cachemiss import BuildKey, Cause, CauseKind, Explanation, StepExplanation, arg_names, build_key
from buildwright.cachemiss.context import SentFiles
from buildwright.cachemiss.graph import read_graph
from buildwright.cachemiss.predict import predict_build
from buildwright.cachemiss.record import BuildRecord, RecordStore
from buildwright.cachemiss.tracker import BuildTracker, PlatformTrackers
from buildwright.client import GatewayContext
from buildwright.client.diskusage import UsageRecord
from buildwright.errors import BuildConfigError
from buildwright.frontend import CompiledBuild, compile_dockerfile
from buildwright.frontend.platforms import MultiPlatformBuild, compile_platforms
from buildwright.inputs import BuildInputs, local_build, read_inputs
from buildwright.options import BuildOptions, EngineOptions, split_keywords

if TYPE_CHECKING:
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


_Reader = Callable[[Sequence[BuildKey]], tuple[list[BuildRecord | None], Sequence[UsageRecord]]]


def predict_dockerfile_build(engine: Engine, context: str | Path, options: BuildOptions) -> Explanation:
    """Which steps a build of `context` with `options` would run, and why (see the module docstring)."""
    inputs = read_inputs(context, options)
    if inputs.remote is not None:
        raise BuildConfigError("explain needs a local context directory: builds of a remote context keep no record")
    store = RecordStore.default()

    def read_records_and_cache(keys: Sequence[BuildKey]) -> tuple[list[BuildRecord | None], Sequence[UsageRecord]]:
        previous = [store.load(key) for key in keys]
        # Without a record every step is new: the engine's cache is never asked about, so the
        # cache records (a listing of the whole engine cache) are not fetched.
        return previous, engine.disk_usage() if any(p is not None for p in previous) else ()

    if inputs.multi_platform:
        return _predict_platforms(engine, inputs, options, read_records_and_cache)

    def compile_on(gateway: GatewayContext) -> CompiledBuild:
        # Dockerfile errors come located from the frontend, as in `compile`.
        return compile_dockerfile(inputs.dockerfile, inputs.frontend_options(gateway), gateway.resolver)

    # The record is read and the cache records listed while the Dockerfile compiles: the
    # compile waits on the engine most of its time.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(read_records_and_cache, (record_key(inputs, options),))
        compiled = engine.evaluate(compile_on)
        (previous,), records = pending.result()
    return _predict(inputs, compiled, previous, records)


def _predict(
    inputs: BuildInputs, compiled: CompiledBuild, previous: BuildRecord | None, records: Sequence[UsageRecord]
) -> Explanation:
    return predict_build(
        read_graph(compiled.definition),
        previous,
        local_dirs={**inputs.named_dirs, "context": inputs.context},
        usage=records,
        build_args=inputs.build_args,
        arg_names=arg_names(inputs.dockerfile),
        no_cache=inputs.no_cache,
        dockerfile_name=inputs.dockerfile.filename or "Dockerfile",
    )


def _predict_platforms(engine: Engine, inputs: BuildInputs, options: BuildOptions, read: _Reader) -> Explanation:
    """A multi-platform build's prediction: each platform compared with its own record, the
    steps listed platform by platform (their names carry the platform)."""

    def compile_on(gateway: GatewayContext) -> MultiPlatformBuild:
        options_now = inputs.frontend_options(gateway)
        return compile_platforms(inputs.dockerfile, options_now, inputs.platforms, gateway.resolver)

    # The platforms are known once compiled (BUILDKIT_MULTI_PLATFORM without --platform takes
    # the engine's), so the records are read after the compile here.
    built = engine.evaluate(compile_on)
    previous, records = read([record_key(inputs, options, part.id) for part in built.builds])
    parts = [
        _predict(inputs, part.compiled, before, records) for part, before in zip(built.builds, previous, strict=True)
    ]
    return Explanation(
        tuple(step for part in parts for step in part.steps),
        predicted=True,
        dockerfile=parts[0].dockerfile if parts else "Dockerfile",
        has_record=all(part.has_record for part in parts),
    )
