"""Build outputs on the client: `-o` specs, where exported files land, and the result files.

- `parse_output` reads one `--output` value as buildx does: `PATH` (local directory), `-` (tar on
  stdout), or CSV `type=...,dest=...,key=value` (other keys become exporter attributes).
- `plan_exports` turns outputs, tags and `--load` into the exporter list sent to the engine,
  following buildx: tags name the image-like outputs, `registry` is `image` with `push=true`,
  `cacheonly` exports nothing, `--load` adds a `docker` output that goes into the engine's store.
- `OutputTargets` owns the destinations of `local`/`tar`/`oci`/`docker` outputs during a build:
  the engine's files are written to a temporary path beside each destination and renamed into
  place only after the build succeeded, so a failed build leaves nothing behind. An OCI layout
  directory (`tar=false`) is written through the session's content service (store `export`),
  then its blobs move into the destination and `index.json` names the image.
- `write_file_atomic` and `metadata_document` write `--iidfile` and `--metadata-file`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from buildwright import _specs
from buildwright._golang import parse_bool
from buildwright._log import get_logger
from buildwright._values import valueclass
from buildwright.client.exporters import ExportSpec
from buildwright.client.session.filesend import DirOpener, FileOpener
from buildwright.client.tempfiles import TempLock, remove_abandoned, remove_path, temp_sibling
from buildwright.errors import BuildConfigError, OutputError, UsageError

if TYPE_CHECKING:
    from buildwright.client.session.contentstore import LocalContentStore

_log = get_logger(__name__)

STDOUT = "-"
LOCAL, TAR, OCI, DOCKER, IMAGE, REGISTRY, CACHEONLY = "local", "tar", "oci", "docker", "image", "registry", "cacheonly"
# Exporter response keys (buildkit exptypes).
CONFIG_DIGEST_KEY = "containerimage.config.digest"
IMAGE_DIGEST_KEY = "containerimage.digest"
DESCRIPTOR_KEY = "containerimage.descriptor"
# The content store id the oci/docker exporters write a layout directory through.
EXPORT_STORE_ID = "export"
IMAGE_NAME_ANNOTATION = "io.containerd.image.name"
REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"


@valueclass
class OutputSpec:
    """One `--output`: exporter type, client-side destination, exporter attributes."""

    type: str
    dest: str | None = None
    attrs: Mapping[str, str] = field(default_factory=dict)


def parse_output(spec: str) -> OutputSpec:
    """One `-o` value: `PATH`, `-`, or `type=TYPE[,dest=DEST][,key=value...]`."""
    try:
        parsed = _specs.parse_output_spec(spec)
    except _specs.SpecFieldsError as exc:
        raise UsageError(f"invalid output {spec!r}: {exc}") from exc
    except _specs.SpecError as exc:
        raise UsageError(str(exc)) from exc
    return OutputSpec(parsed.type, parsed.dest, dict(parsed.attrs))


def parse_outputs(specs: Iterable[str]) -> tuple[OutputSpec, ...]:
    return tuple(parse_output(s) for s in specs if s)


def _tar_attr(spec: OutputSpec | ExportSpec) -> bool:
    """Whether an oci/docker output is one tar file (the default) rather than a layout directory."""
    value = spec.attrs.get("tar")
    parsed = None if value is None else parse_bool(value)
    return True if parsed is None else parsed


def plan_exports(
    outputs: Sequence[OutputSpec],
    *,
    tags: Sequence[str] = (),
    load: bool = False,
    push: bool = False,
    iidfile: bool = False,
) -> tuple[ExportSpec, ...]:
    """The exporters for a build, engine-independent (see `resolve_exports` for the engine's part).

    Without outputs (and without `load`), the image goes into the engine's store under `tags`,
    or to their registry with `push`.
    """
    for spec in outputs:
        if spec.type in (LOCAL, TAR) and iidfile:
            raise UsageError("local and tar exporters are incompatible with image ID file")
    if not outputs and not load:
        return (ExportSpec.registry(list(tags)) if push else ExportSpec.default(list(tags)),)
    exports: list[ExportSpec] = []
    stdout_used = False
    for spec in outputs:
        attrs = dict(spec.attrs)
        kind = spec.type
        dest = spec.dest
        wants_dir = kind == LOCAL or (kind in (OCI, DOCKER) and not _tar_attr(spec))
        wants_file = kind == TAR or (kind in (OCI, DOCKER) and _tar_attr(spec))
        if wants_dir:
            if not dest:
                raise BuildConfigError(f"dest is required for {kind} exporter")
            if dest == STDOUT:
                raise BuildConfigError(f"dest cannot be stdout for {kind} exporter")
            if os.path.exists(dest) and not os.path.isdir(dest):
                raise BuildConfigError(f"destination directory {dest} is a file")
        if wants_file:
            if not dest and kind != DOCKER:
                dest = STDOUT
            if dest == STDOUT:
                if stdout_used:
                    raise UsageError("multiple outputs configured to write to stdout")
                stdout_used = True
            elif dest and os.path.isdir(dest):
                raise BuildConfigError(f"destination file {dest} is a directory")
        if kind in (IMAGE, REGISTRY, OCI, DOCKER) and tags:
            attrs["name"] = ",".join(tags)
        if kind == CACHEONLY:
            continue  # opts out of the default image export; the engine is sent no exporter
        if (
            wants_dir
            and kind != LOCAL
            and any(e.dest and e.type in (OCI, DOCKER) and not _tar_attr(e) for e in exports)
        ):
            # The engine writes a layout through the one content store named "export".
            raise UsageError("only one oci or docker output can be a layout directory (tar=false)")
        exports.append(ExportSpec(kind, attrs, dest if (wants_dir or wants_file) else None))
    if push:
        # `--push` makes every image output push; without one, it adds one (buildx's rule).
        # Pushing alone does not unpack the image unless the output says so (buildx's rule).
        pushed = [
            ExportSpec(e.type, {"unpack": "false", **e.attrs, "push": "true"}, e.dest) if e.type == IMAGE else e
            for e in exports
        ]
        if not any(e.type == IMAGE for e in exports):
            name = {"name": ",".join(tags)} if tags else {}
            pushed.append(ExportSpec(IMAGE, {"push": "true", "unpack": "false", **name}))
        exports = pushed
    if load and not any(e.type == DOCKER and e.dest is None for e in exports):
        exports.append(ExportSpec(DOCKER, {"name": ",".join(tags)} if tags else {}))
    return tuple(exports)


def _merge_into(src: Path, dest: Path) -> None:
    """Move everything in `src` into the existing directory `dest`, replacing what clashes
    (the reference receiver merges into an existing directory the same way)."""
    for entry in sorted(os.listdir(src)):
        source, target = src / entry, dest / entry
        source_is_dir = source.is_dir() and not source.is_symlink()
        if target.is_dir() and not target.is_symlink() and source_is_dir:
            mode = stat.S_IMODE(os.lstat(source).st_mode)
            times = os.lstat(source)
            os.chmod(target, mode | stat.S_IRWXU)
            _merge_into(source, target)
            os.chmod(target, mode)
            os.utime(target, ns=(times.st_atime_ns, times.st_mtime_ns))
            continue
        if target.exists() or target.is_symlink():
            remove_path(target)
        os.rename(source, target)
    os.chmod(src, stat.S_IRWXU)
    os.rmdir(src)


class _DirTarget:
    """A directory destination: received into a sibling temp directory, then moved into place."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.temp: Path | None = None
        self._lock: TempLock | None = None

    def open(self) -> Path:
        if self.temp is not None:
            # A multi-platform result comes as one transfer per platform, each into its own
            # `linux_amd64/`... folder (or, with platform-split=false, files the engine checked are
            # disjoint): all go into the one temporary directory (exporter/local/export.go).
            return self.temp
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.temp = temp_sibling(self.dest)
        # 0700 like the directory the reference client creates for a local export.
        os.mkdir(self.temp, 0o700)
        self._lock = TempLock(self.temp)
        return self.temp

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def commit(self) -> None:
        if self.temp is None:
            return
        if self.dest.is_dir() and not self.dest.is_symlink():
            _merge_into(self.temp, self.dest)
        else:
            os.rename(self.temp, self.dest)
        self._unlock()
        self.temp = None

    def discard(self) -> None:
        if self.temp is not None:
            remove_path(self.temp)
            self._unlock()
            self.temp = None


class _FileTarget:
    """A file destination: written to a sibling temp file, renamed over the destination at the end."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.temp: Path | None = None
        self._file: BinaryIO | None = None

    def open(self, metadata: Mapping[str, str]) -> BinaryIO:
        if self.temp is not None:
            raise OutputError(f"{self.dest}: the engine sent this output twice")
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.temp = temp_sibling(self.dest)
        # 0666 less the umask, as a plainly created file gets.
        fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        # The open file holds the owner's lock (tempfiles.py) until it is closed.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file = os.fdopen(fd, "wb")
        return self._file

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def commit(self) -> None:
        self._close()
        if self.temp is not None:
            os.replace(self.temp, self.dest)
            self.temp = None

    def discard(self) -> None:
        self._close()
        if self.temp is not None:
            remove_path(self.temp)
            self.temp = None


class _StreamTarget:
    """`-`: the tar stream goes straight to the given binary stream (it cannot be taken back)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def open(self, metadata: Mapping[str, str]) -> BinaryIO:
        return self._stream

    def commit(self) -> None:
        self._stream.flush()

    def discard(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()


class _LayoutTarget:
    """An OCI layout directory (`type=oci|docker,tar=false`): the engine writes blobs into a
    content store in a sibling temp directory; on success they move into the destination and
    `index.json` records the image under its names, as the reference client does."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        from buildwright.client.session.contentstore import LocalContentStore  # only OCI layout outputs use it

        self.temp = temp_sibling(dest)
        self.store = LocalContentStore(self.temp)
        self._created = False
        self._lock: TempLock | None = None

    def create(self) -> None:
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.store.create()
        self._created = True
        self._lock = TempLock(self.temp)

    def commit(self, exporter_response: Mapping[str, str]) -> None:
        if not self._created:
            return
        descriptor = _descriptor(exporter_response)
        for folder in ("blobs", "ingest"):
            (self.dest / folder).mkdir(parents=True, exist_ok=True)
        blobs = self.temp / "blobs"
        if blobs.is_dir():
            for algorithm in sorted(os.listdir(blobs)):
                (self.dest / "blobs" / algorithm).mkdir(exist_ok=True)
                for name in sorted(os.listdir(blobs / algorithm)):
                    target = self.dest / "blobs" / algorithm / name
                    if not target.exists():  # blobs are named by content: an existing one is the same
                        os.rename(blobs / algorithm / name, target)
        if descriptor is not None:
            names = [n for n in exporter_response.get("image.name", "").split(",") if n]
            write_file_atomic(self.dest / "oci-layout", _go_json({"imageLayoutVersion": "1.0.0"}))
            index_path = self.dest / "index.json"
            index: dict[str, Any] = {}
            if index_path.is_file() and index_path.stat().st_size:
                try:
                    index = json.loads(index_path.read_bytes())
                except ValueError as exc:
                    raise OutputError(f"could not unmarshal {index_path}: {exc}") from exc
            write_file_atomic(index_path, _go_json(index_with_image(index, descriptor, names)))
        self.discard()

    def discard(self) -> None:
        if self._created:
            remove_path(self.temp)
            self._created = False
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _descriptor(exporter_response: Mapping[str, str]) -> dict[str, Any] | None:
    raw = exporter_response.get(DESCRIPTOR_KEY)
    if not raw:
        return None
    value = _decoded(DESCRIPTOR_KEY, raw)
    return value if isinstance(value, dict) else None


def _go_json(value: object) -> bytes:
    # encoding/json's compact form, which the reference writes index.json and oci-layout in.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


# An OCI descriptor's fields in the order Go marshals them.
_DESCRIPTOR_FIELDS = ("mediaType", "digest", "size", "urls", "annotations", "data", "platform", "artifactType")


def index_with_image(index: Mapping[str, Any], descriptor: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """`index` with `descriptor` added once per name (replacing entries of the same name), or once
    under the tag `latest` without names (buildkit client/ociindex `Put`)."""
    out: dict[str, Any] = {
        "schemaVersion": index.get("schemaVersion") or 2,
        "mediaType": index.get("mediaType") or "application/vnd.oci.image.index.v1+json",
        **{k: v for k, v in index.items() if k not in ("schemaVersion", "mediaType")},
    }
    manifests = [m for m in out.get("manifests") or [] if isinstance(m, dict)]
    todo: list[str | None] = list(names) or [None]
    for name in todo:
        annotations = dict(descriptor.get("annotations") or {})
        if name is None:
            image_name, ref_name = "", "latest"
        else:
            image_name, ref_name = name, _oci_ref_name(name)
            annotations[IMAGE_NAME_ANNOTATION] = image_name
        annotations[REF_NAME_ANNOTATION] = ref_name
        manifests = [
            m
            for m in manifests
            if (m.get("annotations") or {}).get(REF_NAME_ANNOTATION) != ref_name
            or (m.get("annotations") or {}).get(IMAGE_NAME_ANNOTATION, "") != image_name
        ]
        entry = {**descriptor, "annotations": dict(sorted(annotations.items()))}
        manifests.append({k: entry[k] for k in _DESCRIPTOR_FIELDS if k in entry})
    out["manifests"] = manifests
    return out


def _oci_ref_name(name: str) -> str:
    # The reference's rule: the tag (and digest) after the repository, else the whole name.
    slash = name.rfind("/")
    tail = name[slash + 1 :]
    at = tail.find("@")
    colon = tail.find(":")
    if colon >= 0 and (at < 0 or colon < at):
        return tail[colon + 1 :]
    if at >= 0:
        return tail[at:]
    return name


class OutputTargets:
    """The client-side destinations of one build's exporters, by exporter index.

    Use as a context manager around the build: `commit()` after success moves every output into
    place; leaving the block without committing removes all temporary files.
    """

    def __init__(self, exports: Sequence[ExportSpec], stdout: BinaryIO | None = None) -> None:
        self._dirs: dict[int, _DirTarget] = {}
        self._files: dict[int, _FileTarget | _StreamTarget] = {}
        self._layout: _LayoutTarget | None = None
        for index, spec in enumerate(exports):
            if spec.dest is None:
                continue
            if spec.type == LOCAL:
                self._dirs[index] = _DirTarget(Path(spec.dest))
            elif spec.type in (OCI, DOCKER) and not _tar_attr(spec):
                if self._layout is not None:
                    raise UsageError("only one oci or docker output can be a layout directory (tar=false)")
                self._layout = _LayoutTarget(Path(spec.dest))
            elif spec.dest == STDOUT:
                if stdout is None:
                    raise BuildConfigError(f"{spec.type} output to stdout needs a stream to write to")
                self._files[index] = _StreamTarget(stdout)
            else:
                self._files[index] = _FileTarget(Path(spec.dest))
        self._committed = False

    @property
    def empty(self) -> bool:
        """Whether no output comes back through FileSend (a layout directory uses `content_stores`)."""
        return not self._dirs and not self._files

    @property
    def destinations(self) -> tuple[Path, ...]:
        """Every client-side path this build writes."""
        files = [t.dest for t in self._files.values() if isinstance(t, _FileTarget)]
        layout = [self._layout.dest] if self._layout is not None else []
        return (*(t.dest for t in self._dirs.values()), *files, *layout)

    @property
    def content_stores(self) -> dict[str, LocalContentStore]:
        """The content store a layout directory is written through, under the id the engine asks for."""
        return {EXPORT_STORE_ID: self._layout.store} if self._layout is not None else {}

    @property
    def dir_openers(self) -> dict[int, DirOpener]:
        return {index: target.open for index, target in self._dirs.items()}

    @property
    def file_openers(self) -> dict[int, FileOpener]:
        return {index: target.open for index, target in self._files.items()}

    def commit(self, exporter_response: Mapping[str, str] | None = None) -> None:
        """Move every received output into place (a layout's index names the exported image)."""
        try:
            for dir_target in self._dirs.values():
                dir_target.commit()
            for file_target in self._files.values():
                file_target.commit()
            if self._layout is not None:
                self._layout.commit(exporter_response or {})
        except OSError as exc:
            raise OutputError(f"failed to write output {exc.filename or ''}: {exc.strerror}") from exc
        self._committed = True

    def discard(self) -> None:
        """Remove whatever was received (the build failed)."""
        for target in (*self._dirs.values(), *self._files.values(), *([self._layout] if self._layout else [])):
            try:
                target.discard()
            except OSError as exc:
                _log.warning("output_cleanup_failed", error=str(exc))

    def __enter__(self) -> OutputTargets:
        # Left by builds killed before they could clean up (SIGKILL, power loss).
        for dest in self.destinations:
            remove_abandoned(dest)
        if self._layout is not None:
            try:
                self._layout.create()
            except OSError as exc:
                raise OutputError(f"cannot create {self._layout.dest}: {exc.strerror}") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._committed:
            self.discard()


def image_id(exporter_response: Mapping[str, str]) -> str:
    """What `--iidfile` holds: the image config digest, else the image digest (buildx's rule)."""
    return exporter_response.get(CONFIG_DIGEST_KEY) or exporter_response.get(IMAGE_DIGEST_KEY) or ""


def metadata_document(exporter_response: Mapping[str, str], *, build_ref: str | None = None) -> dict[str, Any]:
    """The `--metadata-file` content: exporter response values that are base64-encoded JSON
    objects (`containerimage.descriptor`, ...) embedded as JSON, the rest as strings."""
    out: dict[str, Any] = {}
    for key, value in exporter_response.items():
        out[key] = _decoded(key, value)
    if build_ref:
        out["buildx.build.ref"] = build_ref
    return dict(sorted(out.items()))


def _decoded(key: str, value: str) -> Any:
    if key == "result.json":
        raw = value.encode()
    else:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return value
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return value
    if isinstance(parsed, dict) and parsed:
        return parsed
    if isinstance(parsed, list) and parsed and all(isinstance(item, dict) for item in parsed):
        return parsed
    return value


def write_file_atomic(path: str | Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to a temp file beside `path` and rename it over `path`."""
    target = Path(path)
    remove_abandoned(target)
    temp = temp_sibling(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise OutputError(f"failed to write {target}: {exc.strerror}") from exc
