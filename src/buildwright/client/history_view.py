"""What `history ls` and `history inspect` show of a record, derived as buildx derives it.

The name comes from the frontend attributes and the local record of where the build came from;
the inspection sorts the attributes into the fields buildx prints (context, target, platforms,
build args, labels, configuration) and reads the engine's content store for the materials of the
provenance attestation and the exported descriptors.
"""

from __future__ import annotations

import base64
import json
import os
import posixpath
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from typing import Any

from google.protobuf.message import DecodeError

from buildwright._pb import control_pb2, rpc_status_pb2
from buildwright._values import valueclass
from buildwright.client.boundary import engine_errors
from buildwright.client.connection import Connection
from buildwright.client.events import BuildEvent, LogChunk, StatusConverter, VertexFailed, VertexQueued
from buildwright.client.history import BlobDescriptor, BlobReader, HistoryRecord, ResultInfo
from buildwright.client.localrefs import LocalBuild
from buildwright.errors import BuildConfigError, EngineError
from buildwright.llb.platform import Platform

_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_ERROR_LOG_LINES = 16


def build_name(attrs: Mapping[str, str], local: LocalBuild | None) -> str:
    """The NAME column of `history ls`: an explicit build name, else the context folder (with the
    Dockerfile when it is not the default one) and the target in parentheses."""
    explicit = attrs.get("build-arg:BUILDKIT_BUILD_NAME", "")
    if explicit:
        return explicit
    target = attrs.get("target", "")
    context_path = attrs.get("context", "")
    if not context_path and attrs.get("vcs:localdir:context", ".") != ".":
        context_path = attrs["vcs:localdir:context"]
    dockerfile = attrs["filename"] if attrs.get("filename", "Dockerfile") != "Dockerfile" else ""
    if attrs.get("vcs:localdir:dockerfile", ".") != ".":
        dockerfile = posixpath.join(attrs["vcs:localdir:dockerfile"], dockerfile)
    local_path = ""
    if local is not None and "://" not in local.context:
        if local.context not in ("", "-"):
            local_path = local.context
        if local.dockerfile not in ("", "-", "Dockerfile"):
            dockerfile = local.dockerfile
    default_name = dockerfile == "" or dockerfile.endswith("/Dockerfile")
    dockerfile = dockerfile.removesuffix("/Dockerfile")
    name = ""
    if dockerfile.startswith(local_path) and len(dockerfile) > len(local_path):
        name = dockerfile[local_path.rfind("/") + 1 :]
    else:
        base = dockerfile or local_path
        if base:
            cut = base.rfind("/")
            name = base[cut + 1 :]
            if not default_name:
                parent = posixpath.basename(base[:cut]) if cut != -1 else posixpath.basename(base)
                name = posixpath.join(parent, name)
    if context_path:
        name = context_path
    if target:
        name = f"{name} ({target})" if name else target
    if not name:
        return attrs.get("vcs:source", "")
    return name


@valueclass
class Attachment:
    digest: str
    platform: str
    type: str


@valueclass
class Material:
    uri: str
    digests: tuple[str, ...]


@valueclass
class FailedStep:
    """The step a failed build stopped at and its last log lines."""

    name: str
    logs: tuple[str, ...]


@valueclass
class Inspection:
    """Everything `history inspect` prints, in buildx's field order (values already derived)."""

    record: HistoryRecord
    name: str
    context: str = ""
    dockerfile: str = ""
    vcs_repository: str = ""
    vcs_revision: str = ""
    target: str = ""
    platforms: tuple[str, ...] = ()
    keep_git_dir: bool = False
    named_contexts: tuple[tuple[str, str], ...] = ()
    build_args: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    # (buildx JSON key, text label, value) in print order; lists are joined by the printer.
    config: tuple[tuple[str, str, Any], ...] = ()
    rest: tuple[tuple[str, str], ...] = ()
    materials: tuple[Material, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    failed_step: FailedStep | None = None
    # The Dockerfile excerpts the engine attached to the error, each printed as buildx prints it.
    error_sources: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default_factory=tuple)


def _prefixed(attrs: dict[str, str], prefix: str) -> tuple[tuple[str, str], ...]:
    found = sorted((k.removeprefix(prefix), v) for k, v in attrs.items() if k.startswith(prefix))
    for key, _ in found:
        attrs.pop(prefix + key, None)
    return tuple(found)


def _bool(value: str, errors: list[str]) -> bool:
    lowered = value.lower()
    if lowered in ("1", "t", "true"):
        return True
    if lowered not in ("0", "f", "false"):
        errors.append(f'failed to parse {value}: (strconv.ParseBool: parsing "{value}": invalid syntax)')
    return False


def _platforms(value: str, default: str, errors: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in value.split(","):
        try:
            out.append(str(Platform.parse(item).normalized()))
        except BuildConfigError as exc:
            errors.append(f"failed to parse {value}: ({exc})")
            return ()
    return tuple(out) or ((default,) if default else ())


def _config(attrs: dict[str, str], errors: list[str]) -> tuple[tuple[str, str, Any], ...]:
    def take(key: str) -> str | None:
        return attrs.pop(key, None)

    config: list[tuple[str, str, Any]] = []

    def put(json_key: str, label: str, value: Any) -> None:
        if value:
            config.append((json_key, label, value))

    network = take("force-network-mode")
    hostname = take("hostname")
    cgroup = take("cgroup-parent")
    resolve = take("image-resolve-mode")
    multi = False
    for key in ("build-arg:BUILDKIT_MULTI_PLATFORM", "multi-platform"):
        raw = take(key)
        if raw is not None:
            multi = _bool(raw, errors)
    no_cache_raw = take("no-cache")
    hosts_raw = take("add-hosts")
    hosts = tuple(h for h in hosts_raw.split(",") if h) if hosts_raw else ()
    put("Network", "Network", network)
    put("Hostname", "Hostname", hostname)
    put("ExtraHosts", "Extra Hosts", hosts)
    put("CgroupParent", "Cgroup Parent", cgroup)
    put("ImageResolveMode", "Image Resolve Mode", resolve)
    put("MultiPlatform", "Multi-Platform", multi)
    # buildx reads `no-cache` once, as the flag: a filter list there is never shown.
    put("NoCache", "No Cache", no_cache_raw == "")
    for json_key, label, key in (
        ("ShmSize", "Shm Size", "shm-size"),
        ("Ulimit", "Resource Limits", "ulimit"),
        ("CacheMountNS", "Cache Mount Namespace", "build-arg:BUILDKIT_CACHE_MOUNT_NS"),
        ("DockerfileCheckConfig", "Dockerfile Check Config", "build-arg:BUILDKIT_DOCKERFILE_CHECK"),
        ("SourceDateEpoch", "Source Date Epoch", "build-arg:SOURCE_DATE_EPOCH"),
        ("SandboxHostname", "Sandbox Hostname", "build-arg:SANDBOX_HOSTNAME"),
    ):
        put(json_key, label, take(key))
    return tuple(config)


def inspect_record(
    conn: Connection,
    record: HistoryRecord,
    local: LocalBuild | None,
    *,
    cwd: str | None = None,
) -> Inspection:
    """Derive `history inspect`'s fields; reads attestations and, for a failed build, its logs."""
    attrs = dict(record.frontend_attrs)
    attrs.pop("frontend.caps", None)
    errors: list[str] = []
    context, dockerfile = _paths(local, cwd or os.getcwd())
    if not context and "context" in attrs:
        context = attrs.pop("context")
    if not dockerfile and "filename" in attrs:
        dockerfile = attrs["filename"]
        if "vcs:localdir:dockerfile" in attrs:
            dockerfile = os.path.join(attrs["vcs:localdir:dockerfile"], dockerfile)
    attrs.pop("filename", None)
    name = build_name(record.frontend_attrs, local)
    vcs_repository = vcs_revision = ""
    if "context" not in attrs:
        vcs_repository = attrs.get("vcs:source", "")
        vcs_revision = attrs.get("vcs:revision", "")
    target = attrs.pop("target", "")
    default_platform = str(conn.info.worker_platforms[0]) if conn.info.worker_platforms else ""
    platform_raw = attrs.pop("platform", None)
    platforms = _platforms(platform_raw, default_platform, errors) if platform_raw is not None else ()
    keep_raw = attrs.pop("build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR", None)
    keep_git_dir = _bool(keep_raw, errors) if keep_raw is not None else False
    named_contexts = _prefixed(attrs, "context:")
    # Build args and labels are listed whole; the configuration takes a few of them again.
    build_args = tuple(
        sorted((k.removeprefix("build-arg:"), v) for k, v in attrs.items() if k.startswith("build-arg:"))
    )
    labels = _prefixed(attrs, "label:")
    config = _config(attrs, errors)
    skipped = ("vcs:", "build-arg:", "label:", "context:", "attest:")
    rest = tuple(sorted((k, v) for k, v in attrs.items() if not k.startswith(skipped)))
    reader = BlobReader(conn)
    attachments = _attachments(reader, record)
    return Inspection(
        record=record,
        name=name,
        context=context,
        dockerfile=dockerfile,
        vcs_repository=vcs_repository,
        vcs_revision=vcs_revision,
        target=target,
        platforms=platforms,
        keep_git_dir=keep_git_dir,
        named_contexts=named_contexts,
        build_args=build_args,
        labels=labels,
        config=config,
        rest=rest,
        materials=_materials(reader, attachments),
        attachments=tuple(Attachment(d.digest, p, d.type) for p, d in attachments),
        failed_step=failed_step(conn, record.ref) if record.status == "failed" else None,
        error_sources=_error_sources(reader, record.external_error) if record.external_error else (),
        errors=tuple(errors),
    )


_SOURCE_DETAIL = "errdefs.Source+json"


def _error_sources(reader: BlobReader, blob: BlobDescriptor) -> tuple[str, ...]:
    """The source excerpts in the record's full error (a google.rpc.Status whose details carry
    BuildKit's typed errors as JSON)."""
    try:
        status = rpc_status_pb2.Status.FromString(reader.read(blob.digest))
    except (EngineError, DecodeError):
        return ()
    out: list[str] = []
    for detail in status.details:
        if not detail.type_url.endswith(_SOURCE_DETAIL):
            continue
        try:
            source = json.loads(detail.value)
            info = source.get("info") or {}
            data = base64.b64decode(info.get("data") or "").decode("utf-8", "replace")
            ranges = [
                (int((r.get("start") or {}).get("line", 0)), int((r.get("end") or {}).get("line", 0)))
                for r in source.get("ranges") or ()
            ]
        except (ValueError, TypeError, AttributeError):
            continue
        excerpt = source_excerpt(str(info.get("filename", "")), data, ranges)
        if excerpt:
            out.append(excerpt)
    return tuple(out)


def source_excerpt(filename: str, data: str, ranges: list[tuple[int, int]]) -> str:
    """A located error's lines as BuildKit prints a source: the file and first line, the lines
    around the range (two more each side, four for a single line), the range marked `>>>`."""
    if not ranges:
        return ""
    lines = data.split("\n")
    start = min(first for first, _ in ranges)
    end = max(max(first, last) for first, last in ranges)
    if start > len(lines) or start < 1:
        return ""
    end = min(end, len(lines))
    pad = 4 if end == start else 2
    first_marked = start
    added = 0
    while added < pad:
        if start > 1:
            start -= 1
            added += 1
        if end != len(lines):
            end += 1
            added += 1
        added += 1

    def marked(number: int) -> bool:
        return any(first <= number <= max(first, last) for first, last in ranges)

    out = [f"{filename}:{first_marked}", "-" * 20]
    for number in range(start, end + 1):
        out.append(f" {number:3d} | {'>>>' if marked(number) else '   '} {lines[number - 1]}")
    out.append("-" * 20)
    return "\n".join(out) + "\n"


def _paths(local: LocalBuild | None, cwd: str) -> tuple[str, str]:
    if local is None:
        return "", ""
    context, dockerfile = local.context, local.dockerfile
    if dockerfile not in ("", "-"):
        rel = os.path.relpath(dockerfile, context) if context else dockerfile
        if not rel.startswith(".." + os.sep):
            dockerfile = rel
    if context:
        rel = os.path.relpath(context, cwd)
        if not rel.startswith(".." + os.sep):
            context = rel
    return context, dockerfile


def _attachments(reader: BlobReader, record: HistoryRecord) -> list[tuple[str, BlobDescriptor]]:
    found: list[tuple[str, BlobDescriptor]] = []

    def add(info: ResultInfo, platform: str) -> None:
        found.extend((platform, a) for a in info.attestations)
        for result in info.results:
            _walk(reader, result, platform, found)

    if record.result is not None:
        add(record.result, "")
    for key, info in record.platform_results.items():
        add(info, key)
    # Records without a platform first, then by platform and type (buildx's order).
    found.sort(key=lambda item: (item[0] != "", item[0], item[1].type))
    return found


def _walk(reader: BlobReader, desc: BlobDescriptor, platform: str, out: list[tuple[str, BlobDescriptor]]) -> None:
    if not reader.exists(desc.digest):
        return
    if desc.annotations.get("vnd.docker.reference.type") != "attestation-manifest":
        out.append((platform, desc))
    if desc.media_type not in _INDEX_TYPES:
        return
    try:
        index = json.loads(reader.read(desc.digest))
    except ValueError:
        return
    for entry in index.get("manifests") or ():
        plat = entry.get("platform")
        child_platform = platform
        if isinstance(plat, dict) and plat.get("os"):
            child_platform = "/".join(p for p in (plat.get("os"), plat.get("architecture"), plat.get("variant")) if p)
        child = BlobDescriptor(
            str(entry.get("mediaType", "")),
            str(entry.get("digest", "")),
            int(entry.get("size", 0)),
            dict(entry.get("annotations") or {}),
        )
        _walk(reader, child, child_platform, out)


def _materials(reader: BlobReader, attachments: list[tuple[str, BlobDescriptor]]) -> tuple[Material, ...]:
    provenance = next((d for _, d in attachments if d.type.startswith("https://slsa.dev/provenance/")), None)
    if provenance is None:
        return ()
    try:
        predicate = json.loads(reader.read(provenance.digest))
    except ValueError:
        return ()
    if provenance.type.endswith("/v0.2"):
        entries = predicate.get("materials") or []
    else:
        entries = (predicate.get("buildDefinition") or {}).get("resolvedDependencies") or []
    out: list[Material] = []
    for entry in entries:
        digests = entry.get("digest") or {}
        out.append(Material(str(entry.get("uri", "")), tuple(f"{k}:{v}" for k, v in digests.items())))
    return tuple(out)


def replay_events(conn: Connection, ref: str) -> Iterator[BuildEvent]:
    """The build's progress events as the engine kept them, in the order they happened.

    A finished build's status comes back in a few large messages holding every vertex, sub-task
    and log in its final state; they are split into one message per moment (each vertex's start
    and end, each sub-task's start and end, each log chunk) so that the renderers see what they
    would have seen live (durations included)."""
    converter = StatusConverter()
    with engine_errors("read build status", str(conn.endpoint)):
        responses = list(conn.control.Status(control_pb2.StatusRequest(Ref=ref)))
    for message in chronological(responses):
        yield from converter.convert(message)


def _stamp(message: Any, name: str) -> int | None:
    if not message.HasField(name):
        return None
    ts = getattr(message, name)
    return int(ts.seconds) * 1_000_000_000 + int(ts.nanos)


def chronological(responses: Iterable[control_pb2.StatusResponse]) -> list[control_pb2.StatusResponse]:
    """Status messages split into single facts, grouped by vertex (in the order the vertices
    started, as buildx's printer shows a batch of updates) and in time order within each vertex."""
    moments: list[tuple[int, int, int, control_pb2.StatusResponse]] = []
    rank: dict[str, int] = {}

    def add(digest: str, at: int | None, message: control_pb2.StatusResponse) -> None:
        moments.append((rank.get(digest, len(rank)), at if at is not None else 0, len(moments), message))

    responses = list(responses)
    # A vertex is sent again each time it changes: its final state, from its first start.
    final: dict[str, control_pb2.Vertex] = {}
    first_start: dict[str, int] = {}
    for response in responses:
        for vertex in response.vertexes:
            final[vertex.digest] = vertex
            started = _stamp(vertex, "started")
            if started is not None:
                first_start[vertex.digest] = min(started, first_start.get(vertex.digest, started))

    # The vertices in the order they started (one that never did: when it completed).
    def began(digest: str) -> int:
        return first_start.get(digest) or _stamp(final[digest], "completed") or 0

    for digest in sorted(final, key=began):
        rank[digest] = len(rank)
    for digest, last in final.items():
        vertex = control_pb2.Vertex()
        vertex.CopyFrom(last)
        if digest in first_start:
            vertex.started.FromNanoseconds(first_start[digest])
        started, completed = _stamp(vertex, "started"), _stamp(vertex, "completed")
        if started is not None and completed is not None:
            begun = control_pb2.Vertex()
            begun.CopyFrom(vertex)
            begun.ClearField("completed")
            begun.ClearField("error")
            begun.cached = False
            add(digest, started, control_pb2.StatusResponse(vertexes=[begun]))
        add(digest, completed if completed is not None else started, control_pb2.StatusResponse(vertexes=[vertex]))
    for response in responses:
        for status in response.statuses:
            started, completed = _stamp(status, "started"), _stamp(status, "completed")
            if started is not None and completed is not None:
                begun_status = control_pb2.VertexStatus()
                begun_status.CopyFrom(status)
                begun_status.ClearField("completed")
                begun_status.timestamp.CopyFrom(status.started)
                begun_status.current = 0
                add(status.vertex, started, control_pb2.StatusResponse(statuses=[begun_status]))
            add(status.vertex, _stamp(status, "timestamp"), control_pb2.StatusResponse(statuses=[status]))
        for log in response.logs:
            add(log.vertex, _stamp(log, "timestamp"), control_pb2.StatusResponse(logs=[log]))
        for warning in response.warnings:
            add(warning.vertex, None, control_pb2.StatusResponse(warnings=[warning]))
    moments.sort(key=lambda m: m[:3])
    return [message for *_, message in moments]


def failed_step(conn: Connection, ref: str) -> FailedStep | None:
    """The failed step's name and last log lines, replayed from the engine's status of `ref`."""
    names: dict[str, str] = {}
    logs: dict[str, list[str]] = {}
    open_lines: dict[tuple[str, int], bool] = {}
    failed = ""
    for event in replay_events(conn, ref):
        if isinstance(event, VertexQueued):
            names[event.digest] = event.name
        elif isinstance(event, VertexFailed):
            failed = event.digest
        elif isinstance(event, LogChunk):
            key = (event.vertex, event.stream)
            lines = logs.setdefault(event.vertex, [])
            open_lines[key] = _append_log(lines, event.data, open_lines.get(key, False))
    if not failed:
        return None
    return FailedStep(names.get(failed, ""), tuple(logs.get(failed, [])[-_ERROR_LOG_LINES:]))


def _append_log(lines: list[str], data: bytes, line_open: bool) -> bool:
    """Add a chunk's lines (its first part continues an open line); says whether one stays open."""
    text = data.decode("utf-8", "replace")
    parts = text.split("\n")
    if line_open and lines:
        lines[-1] += parts[0]
        parts = parts[1:]
    lines.extend(p for p in parts if p)
    return not text.endswith("\n")
