"""Build outputs (exporters) and how they go into a SolveRequest.

dockerd's BuildKit loads images into dockerd's store with the `moby` exporter; a standalone
buildkitd has `image` (plus `oci`, `docker`, `local`, `tar`). `ExportSpec.engine_image()` picks
the right one once the engine is known, and for `image` qualifies the names as image stores
expect. Without names, `moby` still creates an (untagged) image, as buildx's default load on the
docker driver does.

Pushing is the image exporter's `push=true`: `--push` and `type=registry` are that, with
`unpack=false` unless given (buildx's rules). On dockerd an `image` output becomes `moby`, whose
containerd image store pushes it itself; the engine asks the session for registry credentials.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field

from buildwright._golang import parse_bool
from buildwright._pb import control_pb2
from buildwright._values import valueclass
from buildwright.client.connection import EngineInfo
from buildwright.errors import BuildConfigError, LLBError
from buildwright.llb.reference import normalize_image_ref

# A placeholder type resolved per engine by `resolve_exports`.
ENGINE_IMAGE = "engine-image"
# The output of a build given none (`-t` alone, or nothing): dockerd's store on dockerd; a standalone
# buildkitd has no store anyone can read, so there it exports nothing, as buildx's remote driver does.
DEFAULT_IMAGE = "engine-default-image"


@valueclass
class ExportSpec:
    """One output: an exporter type, its attributes (`name`, `push`, ...) and, for outputs the
    engine sends back through the session (`local`, `tar`, `oci`, `docker`), where they go on
    the client: a path, or `-` for stdout. `dest` is never sent to the engine."""

    type: str
    attrs: Mapping[str, str] = field(default_factory=dict)
    dest: str | None = None

    @classmethod
    def engine_image(cls, names: Sequence[str] = (), **attrs: str) -> ExportSpec:
        """An image in the engine's own store: `moby` on dockerd, `image` on buildkitd."""
        merged = dict(attrs)
        if names:
            merged["name"] = ",".join(names)
        return cls(ENGINE_IMAGE, merged)

    @classmethod
    def default(cls, names: Sequence[str] = ()) -> ExportSpec:
        """The output of a build that names none (see DEFAULT_IMAGE)."""
        return cls(DEFAULT_IMAGE, {"name": ",".join(names)} if names else {})

    @classmethod
    def registry(cls, names: Sequence[str] = (), **attrs: str) -> ExportSpec:
        """Push to a registry under `names` (`--push`, `type=registry`), without unpacking by default."""
        merged = {"unpack": "false", **attrs, "push": "true"}
        if names:
            merged["name"] = ",".join(names)
        return cls(ENGINE_IMAGE, merged)

    @property
    def pushes(self) -> bool:
        # strconv.ParseBool; a value it refuses does not push.
        return parse_bool(self.attrs.get("push", "")) is True


def resolve_exports(exports: Sequence[ExportSpec], engine: EngineInfo) -> tuple[ExportSpec, ...]:
    """Replace engine-image placeholders with the engine's exporter type."""
    out: list[ExportSpec] = []
    for spec in exports:
        if spec.type == DEFAULT_IMAGE:
            if engine.is_dockerd:
                out.append(ExportSpec("moby", dict(spec.attrs)))
            continue
        if spec.type == "docker" and spec.dest is None:
            # `--load`: buildx's docker driver loads through `moby`; elsewhere buildx pipes a
            # docker tarball into the local dockerd, which buildwright does not do.
            if not engine.is_dockerd:
                raise BuildConfigError(
                    "loading into docker (--load, type=docker without dest) works on dockerd's BuildKit only;"
                    " use -o type=docker,dest=FILE and `docker load`"
                )
            spec = ExportSpec(ENGINE_IMAGE, dict(spec.attrs))
        if spec.type == "registry":
            spec = ExportSpec.registry(**dict(spec.attrs))
        elif spec.type == "image":
            spec = ExportSpec(ENGINE_IMAGE, dict(spec.attrs))
        if spec.pushes and not spec.attrs.get("name"):
            raise BuildConfigError("tag is needed when pushing to registry")
        if spec.type == ENGINE_IMAGE and engine.is_dockerd:
            out.append(ExportSpec("moby", dict(spec.attrs)))
        elif spec.type == ENGINE_IMAGE:
            attrs = dict(spec.attrs)
            # A push by digest names repositories only: a tag added here would be refused.
            if attrs.get("name") and attrs.get("push-by-digest") != "true":
                attrs["name"] = ",".join(_qualified(name) for name in attrs["name"].split(","))
            out.append(ExportSpec("image", attrs))
        elif spec.type == "moby" and not engine.is_dockerd:
            raise BuildConfigError("the moby exporter exists only on dockerd's BuildKit")
        else:
            out.append(spec)
    return tuple(out)


def no_output_warning(exports: Sequence[ExportSpec], engine: EngineInfo) -> str | None:
    """The warning for a build on a buildkitd that named no output (its result stays in the cache)."""
    defaults = [spec for spec in exports if spec.type == DEFAULT_IMAGE]
    if engine.is_dockerd or not defaults:
        return None
    names = defaults[0].attrs.get("name", "")
    tagged = f" (tagged {names})" if names else ""
    return (
        f"No output specified with a standalone buildkitd, which has no image store: the build result{tagged}"
        " will only remain in its build cache. To push the image into a registry use --push,"
        " to write it to a file use -o type=oci,dest=FILE or -o type=docker,dest=FILE"
    )


def _qualified(name: str) -> str:
    # The image exporter stores names verbatim, while dockerd, nerdctl and ctr look images up by
    # their fully qualified names (`docker.io/library/x:latest`): a short `x:1` would be stored
    # where none of them finds it. The moby exporter qualifies names itself.
    try:
        return normalize_image_ref(name.strip())
    except LLBError as exc:
        raise BuildConfigError(f"invalid tag {name.strip()!r}: {exc.message}") from exc


def apply_exports(request: control_pb2.SolveRequest, exports: Sequence[ExportSpec]) -> None:
    """Set the exporter fields: the deprecated single-exporter fields every daemon reads, and the
    repeated `Exporters` (newer daemons) when there is more than one."""
    if not exports:
        return
    first = exports[0]
    request.ExporterDeprecated = first.type
    request.ExporterAttrsDeprecated.update(first.attrs)
    if len(exports) > 1:
        for spec in exports:
            request.Exporters.add(Type=spec.type, Attrs=dict(spec.attrs))
