"""Cache misses explained: the record of each build, and why a step ran or will run.

`tracker.BuildTracker` keeps a build's record (`record.py`) and explains it (`build --explain`);
`predict.predict_build` says what a build would run (`buildwright explain`). The graph is read
back from the compiled definition (`graph.py`), the context from what the session sent
(`context.py`), and the engine's cache from its records (`engine_cache.py`).
"""

from __future__ import annotations

from buildwright.cachemiss.causes import Cause, CauseKind
from buildwright.cachemiss.record import BuildKey
from buildwright.cachemiss.report import Explanation, StepExplanation
from buildwright.dockerfile import ArgInstruction, Dockerfile

__all__ = ["BuildKey", "Cause", "CauseKind", "Explanation", "StepExplanation", "arg_names", "build_key"]


def arg_names(dockerfile: Dockerfile) -> frozenset[str]:
    """Every name an ARG declares (global or in a stage): env entries by these names are build args."""
    names: set[str] = set()
    for instruction in dockerfile.instructions:
        if isinstance(instruction, ArgInstruction):
            names.update(arg.key for arg in instruction.args)
    return frozenset(names)


def build_key(context: str, dockerfile: str, target: str, platform: str) -> BuildKey:
    """The record key of a build (`dockerfile` "" for the context's default one, "-" for stdin)."""
    return BuildKey(context, dockerfile, target, platform)
