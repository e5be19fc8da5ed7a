"""The options of a build, one frozen value per concern, built once from CLI flags or keywords.

- `BuildOptions`: what to build and how (the Dockerfile, target, args, platforms, contexts,
  secrets, RUN settings, cache sources and destinations).
- `OutputOptions`: where the result goes (tags, outputs, push/load, result files, attestations).
- `EngineOptions`: which engine runs it.

The Python API takes these values, or the same names as keywords (`build(ctx, target="app")`),
which `split_keywords` sorts into them, so every option is declared once, here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from buildwright._values import valueclass
from buildwright.client import BuildkitClient, TLSConfig
from buildwright.client.builders import engine_endpoints
from buildwright.client.endpoint import Endpoint
from buildwright.client.outputs import OutputSpec

if TYPE_CHECKING:
    from buildwright.client.session.secrets import SecretSource
    from buildwright.client.session.ssh import SSHAgentSpec

__all__ = ["BuildOptions", "EngineOptions", "OutputOptions", "split_keywords"]


@valueclass
class EngineOptions:
    """Where the engine is: `addr` (buildkitd) or, when None, DOCKER_HOST's dockerd."""

    addr: str | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    env: Mapping[str, str] | None = None
    tls_server_name: str | None = None
    # A named builder (`--builder`); BUILDWRIGHT_BUILDER or `builder use` apply when None.
    builder: str | None = None

    def tls(self) -> TLSConfig | None:
        if not (self.tls_ca or self.tls_cert or self.tls_key or self.tls_server_name):
            return None
        return TLSConfig(ca_cert=self.tls_ca, cert=self.tls_cert, key=self.tls_key, server_name=self.tls_server_name)

    def endpoints(self, platforms: Sequence[str] = ()) -> tuple[Endpoint, ...]:
        """The endpoints to try, in order: `--addr`, else a named builder (its nodes declaring
        `platforms` first), else the environment."""
        return engine_endpoints(self.addr, self.tls(), self.builder, self.env, platforms)

    def open_client(self, platforms: Sequence[str] = ()) -> BuildkitClient:
        """A client connected to the first of `endpoints(platforms)` that answers."""
        return BuildkitClient.connect(self.endpoints(platforms))


@valueclass
class BuildOptions:
    """What to build: the keywords of `buildwright.build` that shape the build itself.

    `dockerfile` is a path (relative paths inside a remote context) or the contents (bytes).
    `platform` is one platform, several (a multi-platform image), or None for the engine's.
    `build_contexts` are `--build-context name=value` entries; `secrets` and `ssh` are
    `SecretSource`/`SSHAgentSpec` values or buildx specs; `allow` grants entitlements. `network`,
    `add_hosts`, `shm_size`, `ulimits` and `cgroup_parent` are every RUN's defaults, as buildx's
    flags of those names. `cache_from`/`cache_to` are buildx cache specs.
    """

    dockerfile: str | Path | bytes | None = None
    target: str | None = None
    build_args: Mapping[str, str] | None = None
    labels: Mapping[str, str] | None = None
    no_cache: bool = False
    platform: str | Sequence[str] | None = None
    build_contexts: Mapping[str, str] | None = None
    no_cache_filter: Sequence[str] = ()
    secrets: Iterable[str | SecretSource] = ()
    ssh: Iterable[str | SSHAgentSpec] = ()
    allow: Iterable[str] = ()
    network: str = "default"
    add_hosts: Iterable[str] = ()
    shm_size: int | str | None = None
    ulimits: Iterable[str] = ()
    cgroup_parent: str | None = None
    pull: bool = False
    cache_from: Iterable[str] = ()
    cache_to: Iterable[str] = ()
    # Keep the build's record either way; with `explain`, the result's `explanation` names why
    # each step ran (see `buildwright.explain`).
    explain: bool = False


@valueclass
class OutputOptions:
    """Where the result goes: the keywords of `buildwright.build` about outputs.

    `outputs` are `OutputSpec`s or buildx `--output` specs; `load` adds a `docker` output, `push`
    a registry one for `tags`. `iidfile`/`metadata_file` get the image id and the exporter's
    response; `output_stream` is where `-` outputs go. `annotations`, `attest`, `provenance` and
    `sbom` are buildx's flags of those names.
    """

    tags: Sequence[str] = ()
    outputs: Sequence[str | OutputSpec] = ()
    push: bool = False
    load: bool = False
    annotations: Sequence[str] = ()
    iidfile: str | Path | None = None
    metadata_file: str | Path | None = None
    output_stream: BinaryIO | None = field(default=None, compare=False)
    attest: Sequence[str] = ()
    provenance: str = ""
    sbom: str = ""


_BUILD_NAMES = frozenset(f.name for f in fields(BuildOptions))
_OUTPUT_NAMES = frozenset(f.name for f in fields(OutputOptions))


def split_keywords(
    keywords: Mapping[str, Any], build: BuildOptions | None = None, output: OutputOptions | None = None
) -> tuple[BuildOptions, OutputOptions]:
    """`keywords` sorted into the two values (over `build` and `output`, when given).

    Raises:
        TypeError: a keyword that is neither, as Python says of an unknown keyword argument.
    """
    unknown = sorted(set(keywords) - _BUILD_NAMES - _OUTPUT_NAMES)
    if unknown:
        raise TypeError(f"build() got an unexpected keyword argument {unknown[0]!r}")
    build_kw = {k: v for k, v in keywords.items() if k in _BUILD_NAMES}
    output_kw = {k: v for k, v in keywords.items() if k in _OUTPUT_NAMES}
    if isinstance(output_kw.get("tags"), str):
        output_kw["tags"] = (output_kw["tags"],)
    return replace(build or BuildOptions(), **build_kw), replace(output or OutputOptions(), **output_kw)
