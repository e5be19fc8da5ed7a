"""Cache import and export (`--cache-from`, `--cache-to`): parsing, checks, and the client's part.

Specs are written as buildx takes them: `type=registry,ref=host/repo:tag,mode=max`,
`type=local,dest=DIR` / `type=local,src=DIR[,tag=T]`, `type=inline`, or a bare reference, which
means a registry cache (`user/app:cache`; several comma-separated references are several caches).

The engine does the exporting and importing; the client
- for `type=local`, serves the directory as a content store in the session (`local:<dir>`),
  looks the import's manifest up in the directory's `index.json` (the `tag`, default `latest`)
  and, after an export, records the manifest the engine reports (`cache.manifest`) there;
- passes the imports on every gateway Solve (a client-side frontend's solves are where the
  engine loads imported cache) and in the build's frontend attributes (`cache-imports`);
- refuses exports other than `inline` on a dockerd whose image store is not containerd's, where
  the engine cannot export cache (the same check and wording as buildx's docker driver).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildwright import _specs
from buildwright._golang import parse_bool
from buildwright._log import get_logger
from buildwright._pb import control_pb2, gateway_pb2
from buildwright._values import valueclass
from buildwright.client.connection import Connection
from buildwright.client.ocilayout import IndexUnreadable, find_tag, put_tag
from buildwright.errors import BuildConfigError, OutputError, UsageError

if TYPE_CHECKING:
    from buildwright.client.session.contentstore import LocalContentStore

_log = get_logger(__name__)

# The exporter response key holding the exported cache manifest's descriptor (JSON).
CACHE_MANIFEST_KEY = "cache.manifest"
# The frontend attribute that carries the imports, as buildx's client sets it for gateway builds.
CACHE_IMPORTS_ATTR = "cache-imports"
STORE_PREFIX = "local:"
DEFAULT_TAG = "latest"
# Set on a dockerd worker that uses the containerd image store (snapshotters), which can export cache.
SNAPSHOTTER_LABEL = "org.mobyproject.buildkit.worker.snapshotter"
BACKENDS_DOCS = "https://docs.docker.com/go/build-cache-backends/"


@valueclass
class CacheEntry:
    """One cache source or destination: a backend type and its attributes."""

    type: str
    attrs: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.type == "registry" and set(self.attrs) == {"ref"}:
            return self.attrs["ref"]
        return ",".join([f"type={self.type}", *(f"{k}={v}" for k, v in sorted(self.attrs.items()))])

    def to_json(self) -> dict[str, Any]:
        """The shape the engine records in the `cache-imports` attribute."""
        return {"Type": self.type, "Attrs": dict(sorted(self.attrs.items()))}


def parse_cache_specs(specs: Iterable[str]) -> tuple[CacheEntry, ...]:
    """`--cache-from`/`--cache-to` values, in order; empty values are skipped.

    Raises:
        BuildConfigError: a field without `=` in a typed spec, or no `type=`.
    """
    out: list[CacheEntry] = []
    for spec in (specs,) if isinstance(specs, str) else specs:
        if not spec:
            continue
        try:
            if "=" not in spec:
                # Only references: each one is a registry cache.
                out.extend(CacheEntry("registry", {"ref": ref}) for ref in _specs.spec_fields(spec))
                continue
            parsed = _specs.parse_cache_spec(spec)
        except _specs.SpecFieldsError as exc:
            raise UsageError(f"invalid cache spec {spec!r}: {exc}") from exc
        except _specs.SpecError as exc:
            raise UsageError(str(exc)) from exc
        out.append(CacheEntry(parsed.type, dict(parsed.attrs)))
    return tuple(out)


def inline_cache_from_build_args(build_args: Mapping[str, str]) -> tuple[CacheEntry, ...]:
    """`BUILDKIT_INLINE_CACHE=1` asks for inline cache, as buildx reads it."""
    value = build_args.get("BUILDKIT_INLINE_CACHE")
    # Anything strconv.ParseBool refuses counts as false.
    if value is not None and parse_bool(value) is True:
        return (CacheEntry("inline"),)
    return ()


def check_cache_export(exports: Sequence[CacheEntry], *, is_dockerd: bool, worker_labels: Mapping[str, str]) -> None:
    """Refuse what the engine cannot export, before the build starts.

    dockerd exports cache (other than inline) only with the containerd image store; buildx's
    docker driver refuses the same builds with this message.
    """
    if not is_dockerd or SNAPSHOTTER_LABEL in worker_labels:
        return
    if any(entry.type != "inline" for entry in exports):
        raise BuildConfigError(
            "Cache export is not supported for the docker driver.\n"
            "Switch to a different driver, or turn on the containerd image store, and try again.\n"
            f"Learn more at {BACKENDS_DOCS}"
        )


def prepare_cache(conn: Connection, exports: Sequence[CacheEntry], imports: Sequence[CacheEntry]) -> CachePlan:
    """Check the exports against the engine, then `plan_cache`."""
    if conn.info.is_dockerd and any(entry.type != "inline" for entry in exports):
        check_cache_export(exports, is_dockerd=True, worker_labels=conn.info.worker_labels)
    return plan_cache(exports, imports)


def stores_attestations(conn: Connection) -> bool:
    """Whether the engine can keep attestations: any buildkitd, a dockerd with the containerd store."""
    return not conn.info.is_dockerd or SNAPSHOTTER_LABEL in conn.info.worker_labels


@valueclass
class CachePlan:
    """The cache side of one build, ready for the engine.

    Attributes:
        exports: what the engine exports after the build.
        imports: what it may load; local imports carry the manifest `digest` from index.json.
        stores: local directories served in the session, by store id (`local:<dir>`).
        index_updates: (directory, tag) to record the exported manifest under.
    """

    exports: tuple[CacheEntry, ...] = ()
    imports: tuple[CacheEntry, ...] = ()
    stores: Mapping[str, LocalContentStore] = field(default_factory=dict)
    index_updates: tuple[tuple[Path, str], ...] = ()

    def apply(self, request: control_pb2.SolveRequest) -> None:
        """Fill `SolveRequest.Cache`."""
        for entry in self.exports:
            request.Cache.Exports.add(Type=entry.type, Attrs=dict(entry.attrs))
        for entry in self.imports:
            request.Cache.Imports.add(Type=entry.type, Attrs=dict(entry.attrs))

    def frontend_attrs(self) -> dict[str, str]:
        if not self.imports:
            return {}
        return {CACHE_IMPORTS_ATTR: json.dumps([e.to_json() for e in self.imports], separators=(",", ":"))}

    def gateway_imports(self) -> tuple[gateway_pb2.CacheOptionsEntry, ...]:
        return tuple(gateway_pb2.CacheOptionsEntry(Type=e.type, Attrs=dict(e.attrs)) for e in self.imports)

    def finish(self, exporter_response: Mapping[str, str]) -> None:
        """After the build: record the exported cache manifest in each local directory's index.

        Raises:
            OutputError: the engine's descriptor is not JSON, or an index cannot be written.
        """
        raw = exporter_response.get(CACHE_MANIFEST_KEY)
        if not raw or not self.index_updates:
            return
        try:
            descriptor = json.loads(raw)
        except ValueError as exc:
            raise OutputError(f"the engine reported an unreadable cache manifest: {exc}") from exc
        if not isinstance(descriptor, dict):
            raise OutputError("the engine reported an unreadable cache manifest")
        for directory, tag in self.index_updates:
            put_tag(directory, descriptor, tag)
            _log.debug("cache_index_updated", dir=str(directory), tag=tag, digest=descriptor.get("digest"))


def plan_cache(exports: Sequence[CacheEntry], imports: Sequence[CacheEntry]) -> CachePlan:
    """Check the entries and prepare local directories, as buildx's client does before a build.

    A local import whose directory or index.json cannot be read is left out with a warning (the
    build runs without it); one whose index has no such tag is an error.

    Raises:
        BuildConfigError: a required attribute is missing, or an export directory cannot be made.
    """
    stores: dict[str, LocalContentStore] = {}
    updates: list[tuple[Path, str]] = []
    for entry in exports:
        if entry.type == "local":
            dest = entry.attrs.get("dest", "")
            if not dest:
                raise BuildConfigError("local cache exporter requires dest")
            from buildwright.client.session.contentstore import LocalContentStore

            store = LocalContentStore(Path(dest))
            try:
                store.create()
            except OSError as exc:
                raise BuildConfigError(f"cannot create cache directory {dest}: {exc.strerror}") from exc
            stores[STORE_PREFIX + dest] = store
            updates.append((Path(dest), entry.attrs.get("tag", DEFAULT_TAG)))
        elif entry.type == "registry" and not entry.attrs.get("ref"):
            raise BuildConfigError("registry cache exporter requires ref")
    planned_imports: list[CacheEntry] = []
    for entry in imports:
        if entry.type == "local":
            local = _local_import(entry)
            if local is None:
                continue
            from buildwright.client.session.contentstore import LocalContentStore

            stores[STORE_PREFIX + local.attrs["src"]] = LocalContentStore(Path(local.attrs["src"]))
            entry = local
        elif entry.type == "registry" and not entry.attrs.get("ref"):
            raise BuildConfigError("registry cache importer requires ref")
        planned_imports.append(entry)
    return CachePlan(tuple(exports), tuple(planned_imports), stores, tuple(updates))


def _local_import(entry: CacheEntry) -> CacheEntry | None:
    src = entry.attrs.get("src", "")
    if not src:
        raise BuildConfigError("local cache importer requires src")
    if entry.attrs.get("digest"):
        return entry
    tag = entry.attrs.get("tag", DEFAULT_TAG)
    try:
        descriptor = find_tag(Path(src), tag)
    except IndexUnreadable as exc:
        _log.warning("cache_import_skipped", src=src, reason=str(exc))
        return None
    digest = descriptor.get("digest") if descriptor else None
    if not isinstance(digest, str) or not digest:
        raise BuildConfigError(
            f'local cache importer requires either explicit digest, "latest" tag or custom tag on index.json ({src})'
        )
    return CacheEntry(entry.type, {**entry.attrs, "digest": digest})
