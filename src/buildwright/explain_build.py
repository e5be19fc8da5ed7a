"""Cache misses explained, for the api layer: the tracker of one build, and the prediction.

`tracker_for` gives `run_dockerfile_build` the `cachemiss.BuildTracker` that keeps the build's
record (and, with `explain`, explains it); `explain` (exported as `buildwright.explain`) is the
prediction: the Dockerfile compiled on the engine and compared with the last record and the
engine's cache records, nothing built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildwright.cachemiss import BuildKey, Cause, CauseKind, Explanation, StepExplanation, arg_names, build_key
from buildwright.cachemiss.graph import read_graph
from buildwright.cachemiss.predict import predict_build
from buildwright.cachemiss.record import BuildRecord, RecordStore
from buildwright.cachemiss.tracker import BuildTracker
from buildwright.client import GatewayContext
from buildwright.client.diskusage import UsageRecord
from buildwright.errors import BuildConfigError
from buildwright.frontend import CompiledBuild, compile_dockerfile
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
        BuildConfigError, DockerfileError: as `build`, and for a remote context or several
            platforms (no record is kept of those); EngineUnavailableError: no engine answered.
    """
    from buildwright.engine import engine_for  # the engine runs builds, which use this module

    with engine_for(engine) as opened:
        return predict_dockerfile_build(opened, context, split_keywords(keywords, options)[0])


def record_key(inputs: BuildInputs, options: BuildOptions) -> BuildKey:
    """The record a build of these inputs is compared with (see `cachemiss.record`)."""
    local = local_build(inputs.context, options.dockerfile, inputs.target)
    return build_key(local.context, local.dockerfile, local.target, str(inputs.platform or ""))


def tracker_for(inputs: BuildInputs, options: BuildOptions, local_dirs: Mapping[str, Path]) -> BuildTracker | None:
    """The tracker of a build, or None: records are kept for a local context built for one
    platform, where what the session sends is known."""
    if inputs.remote is not None or inputs.multi_platform:
        return None
    return BuildTracker(
        record_key(inputs, options),
        local_dirs=local_dirs,
        build_args=inputs.build_args,
        arg_names=arg_names(inputs.dockerfile),
        no_cache=inputs.no_cache,
        explain=options.explain,
        dockerfile_name=inputs.dockerfile.filename or "Dockerfile",
    )


def predict_dockerfile_build(engine: Engine, context: str | Path, options: BuildOptions) -> Explanation:
    """Which steps a build of `context` with `options` would run, and why (see the module docstring)."""
    inputs = read_inputs(context, options)
    if inputs.remote is not None:
        raise BuildConfigError("explain needs a local context directory: builds of a remote context keep no record")
    if inputs.multi_platform:
        raise BuildConfigError("explain predicts a build for one platform: give one --platform")
    key = record_key(inputs, options)

    def read_record_and_cache() -> tuple[BuildRecord | None, Sequence[UsageRecord]]:
        previous = RecordStore.default().load(key)
        # Without a record every step is new: the engine's cache is never asked about, so the
        # cache records (a listing of the whole engine cache) are not fetched.
        return previous, engine.disk_usage() if previous is not None else ()

    def compile_on(gateway: GatewayContext) -> CompiledBuild:
        # Dockerfile errors come located from the frontend, as in `compile`.
        return compile_dockerfile(inputs.dockerfile, inputs.frontend_options(gateway), gateway.resolver)

    # The record is read and the cache records listed while the Dockerfile compiles: the
    # compile waits on the engine most of its time.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(read_record_and_cache)
        compiled = engine.evaluate(compile_on)
        previous, records = pending.result()
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
