"""The typed options of one Dockerfile compilation, and what it produces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING

from buildwright._values import valueclass
from buildwright.frontend.contexts import NamedContext
from buildwright.frontend.run_options import RunDefaults
from buildwright.llb.platform import Platform

if TYPE_CHECKING:
    from buildwright.llb import Definition, State


@valueclass
class FrontendOptions:
    """Everything a compilation depends on besides the Dockerfile and the engine's answers.

    `build_platforms` are the engine's worker platforms (first = the build platform);
    `target_platform` is None when the user did not ask for one (the build platform is used).
    """

    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    target_platform: Platform | None = None
    build_platforms: tuple[Platform, ...] = (Platform("linux", "amd64"),)
    session_id: str = ""
    context_name: str = "context"
    ignore_patterns: tuple[str, ...] = ()
    no_cache: bool = False
    no_cache_stages: tuple[str, ...] = ()
    llb_caps: frozenset[str] | None = None
    image_resolve_mode: str = "default"
    # Named build contexts by normalised name (see frontend.contexts).
    named_contexts: Mapping[str, NamedContext] = field(default_factory=dict)
    # Build-wide RUN settings (--network, --add-host, --shm-size, --ulimit, --cgroup-parent).
    run_defaults: RunDefaults = field(default_factory=RunDefaults)
    # One of several platforms of a multi-platform result (frontend.platforms): step names and
    # base image resolutions carry the platform.
    multi_platform: bool = False
    # A remote build context (a git checkout, a downloaded archive) standing for the local one: the
    # reference uses it as it is, with no .dockerignore and no narrowing to the paths read.
    context_state: State | None = None
    # Dispatch every stage, not only those the target needs (a check without a target); the LLB
    # is still the target's.
    all_stages: bool = False


@valueclass
class StagePlan:
    """How the stages of a compilation relate: for `buildwright llb`/`graph` and tests."""

    target: str
    reachable: tuple[str, ...]
    pruned: tuple[str, ...]


@valueclass
class CompiledBuild:
    """The result of compiling a Dockerfile: the LLB to solve and the image config to return."""

    definition: Definition
    image_config: bytes
    stages: StagePlan
    # The config of the image the target stage starts from (None for scratch): the engine's exporter
    # uses it to leave the base image's history as it is (e.g. with SOURCE_DATE_EPOCH).
    base_image_config: bytes | None = None
