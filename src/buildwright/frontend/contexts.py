"""Named build contexts (`--build-context name=value`): how a name is matched, and the LLB it becomes.

A named context overrides, by name, a stage (`FROM ... AS name`: the stage's instructions are
skipped), a base image (`FROM name`) or a `COPY --from=name` source. Names are compared in the
familiar image-reference form without `:latest` (`docker.io/library/alpine:latest` is `alpine`),
on both sides, as buildx and the reference frontend do; `scratch` and `context` are never looked up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from buildwright import llb
from buildwright._values import valueclass
from buildwright.errors import BuildConfigError, DockerfileError, LLBError
from buildwright.frontend.gitref import parse_git_ref
from buildwright.frontend.http_source import has_http_scheme

DOCKER_IMAGE_PREFIX = "docker-image://"
OCI_LAYOUT_PREFIX = "oci-layout://"
LOCAL_PREFIX = "local:"
_NEVER_LOOKED_UP = frozenset({"scratch", "context"})
_DOCKER_HUB = "docker.io/"
_OFFICIAL = "docker.io/library/"


@valueclass
class LayoutImage:
    """The image of an `oci-layout://` context: a descriptor of an OCI layout directory the client
    serves in the session as content store `oci:<store_id>`, and its image configs, read by the
    client (by platform, `linux/arm64`; one entry keyed "" when the descriptor is one manifest)."""

    store_id: str
    digest: str
    configs: Mapping[str, bytes] = field(default_factory=dict)

    def config_for(self, platform: str) -> bytes | None:
        """The config of the image for `platform` (`os/arch[/variant]`), None when there is none."""
        if "" in self.configs:
            return self.configs[""]
        found = self.configs.get(platform)
        if found is None and platform.count("/") == 1:
            # An image of the platform's default variant (`linux/arm64/v8` for `linux/arm64`).
            found = next((c for p, c in self.configs.items() if p.startswith(platform + "/")), None)
        return found


@valueclass
class NamedContext:
    """One named context as the frontend receives it.

    `value` is `docker-image://<ref>`, `local:<session dir name>`, a git URL or an HTTP(S) URL;
    `excludes` are the .dockerignore patterns of a local context's own directory.
    """

    name: str
    value: str
    excludes: tuple[str, ...] = ()
    # Set for an `oci-layout://` context (the value is then `oci-layout://<store>@<digest>`).
    layout: LayoutImage | None = None

    @property
    def image_ref(self) -> str | None:
        """The image of a `docker-image://` context, else None."""
        if self.value.startswith(DOCKER_IMAGE_PREFIX):
            return self.value[len(DOCKER_IMAGE_PREFIX) :]
        return None

    @property
    def local_name(self) -> str | None:
        """The session directory name of a `local:` context, else None."""
        if self.value.startswith(LOCAL_PREFIX):
            return self.value[len(LOCAL_PREFIX) :]
        return None


def remote_state(named: NamedContext) -> llb.State | None:
    """The state of a git or HTTP(S) context, None for other kinds.

    A URL the git parser recognises is a repository. The engine's frontend (1.19) means to download
    any other HTTP(S) URL as one file, but fails on it with "invalid argument" (the git parser's
    answer), so that is the answer here too; raises DockerfileError without a location.
    """
    value = named.value
    if not (value.startswith(("git@", "git://", "ssh://")) or has_http_scheme(value)):
        return None
    parsed = parse_git_ref(value)
    if parsed.error is not None:
        raise DockerfileError(f"build context {named.name}={value} is no git repository: {parsed.error}")
    if parsed.ref is not None and parsed.is_git:
        ref = parsed.ref
        return llb.git(
            ref.remote,
            "",
            ref=ref.ref,
            subdir=ref.subdir or None,
            keep_git_dir=bool(ref.keep_git_dir),
            checksum=ref.checksum or None,
            skip_submodules=ref.submodules is False,
            custom_name=f"[internal] load git source {value}",
        )
    raise DockerfileError(f"invalid git context {value}")


def context_name(name: str) -> str:
    """The familiar form of `name` without `:latest`; raises BuildConfigError if it is no image name."""
    try:
        normalized = llb.normalize_image_ref(name)
    except LLBError as exc:
        raise BuildConfigError(f"invalid context name {name}: {exc}") from exc
    if normalized.startswith(_OFFICIAL) and "/" not in normalized[len(_OFFICIAL) :].partition(":")[0]:
        normalized = normalized[len(_OFFICIAL) :]
    elif normalized.startswith(_DOCKER_HUB):
        normalized = normalized[len(_DOCKER_HUB) :]
    return normalized.removesuffix(":latest")


def find_context(contexts: Mapping[str, NamedContext], name: str) -> NamedContext | None:
    """The context overriding `name` (a stage name or an image reference), if any."""
    if not contexts or name.lower() in _NEVER_LOOKED_UP:
        return None
    try:
        key = context_name(name)
    except BuildConfigError:
        return None
    return contexts.get(key)
