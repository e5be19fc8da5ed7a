"""The reference side of integration tests: `docker buildx build` on the private test engine, and
image snapshots (config, history, layers, every file) that two builds can be compared by.

An image is read from `docker save`: its config blob (the exact JSON the builder wrote) and its layer
tars, applied in order with OCI whiteouts. Reading layers rather than a container export keeps runtime
artefacts (/.dockerenv, /etc/hostname, ...) out of the snapshot and lets layers be compared one by one.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shlex
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Final

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
ENGINE_SCRIPT: Final = REPO_ROOT / "scripts" / "engine.sh"

# The image config keys a Dockerfile can set; compared between builds.
CONFIG_KEYS: Final = (
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "Labels",
    "ExposedPorts",
    "OnBuild",
    "Shell",
    "Healthcheck",
    "StopSignal",
    "Volumes",
)

_WHITEOUT_PREFIX: Final = ".wh."
_OPAQUE_MARKER: Final = ".wh..wh..opq"
_BUILD_TIMEOUT_S: Final = 1800


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """Where the test engine listens, and the environment that points docker and buildx at it."""

    docker_host: str
    docker_config: Path
    sock: Path
    docker_cli: str
    env: Mapping[str, str] = field(hash=False)

    def docker(
        self,
        *args: str,
        check: bool = True,
        input_bytes: bytes | None = None,
        timeout: float | None = _BUILD_TIMEOUT_S,
    ) -> subprocess.CompletedProcess[bytes]:
        """Runs the docker client against the engine; with `check`, a failure raises AssertionError."""
        result = subprocess.run(
            [self.docker_cli, *args],
            env=dict(self.env),
            input=input_bytes,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"`docker {shlex.join(args)}` failed with exit code {result.returncode}:\n"
                f"{_tail(result.stderr.decode(errors='replace'))}"
            )
        return result


def engine_up(script: Path = ENGINE_SCRIPT) -> EngineInfo:
    """Starts the engine (a fast no-op when it runs) and describes it."""
    started = subprocess.run(["bash", str(script), "up"], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        raise RuntimeError(f"{script} up failed (exit {started.returncode}):\n{_tail(started.stderr)}")
    return engine_info(script)


def engine_info(script: Path = ENGINE_SCRIPT) -> EngineInfo:
    """Reads the `export` lines of `engine.sh env` into an EngineInfo."""
    printed = subprocess.run(["bash", str(script), "env"], capture_output=True, text=True, check=True)
    exported: dict[str, str] = {}
    for line in printed.stdout.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, _, value = words[1].partition("=")
            exported[name] = value
    # Both builders attach a minimal provenance by default; the comparisons here are of images
    # without it (tests/integration/test_attestations.py compares the defaults themselves).
    env = {**os.environ, **exported, "BUILDX_NO_DEFAULT_ATTESTATIONS": "1"}
    return EngineInfo(
        docker_host=exported["DOCKER_HOST"],
        docker_config=Path(exported["DOCKER_CONFIG"]),
        sock=Path(exported["BUILDWRIGHT_ENGINE_SOCK"]),
        docker_cli=exported["BUILDWRIGHT_DOCKER_CLI"],
        env=MappingProxyType(env),
    )


def buildx_build(
    engine: EngineInfo,
    context: Path,
    *,
    tag: str,
    dockerfile: Path | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    no_cache: bool = False,
    provenance: bool = False,
    extra_args: Sequence[str] = (),
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Builds `context` with the reference builder (buildx, docker driver) into the engine's image store.

    Provenance attestations are off unless asked for: they add an attestation manifest next to the
    image, which buildwright does not produce and image comparisons do not look at. With `check`, a
    failed build raises AssertionError carrying the end of the build log.
    """
    command = [engine.docker_cli, "buildx", "build", "--progress=plain", "--load", "--tag", tag]
    if dockerfile is not None:
        command += ["--file", str(dockerfile)]
    if target is not None:
        command += ["--target", target]
    for name, value in sorted((build_args or {}).items()):
        command += ["--build-arg", f"{name}={value}"]
    if no_cache:
        command.append("--no-cache")
    command.append(f"--provenance={'true' if provenance else 'false'}")
    command += [*extra_args, str(context)]
    result = subprocess.run(
        command, env=dict(engine.env), capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"buildx build of {context} failed (exit {result.returncode}):\n{_tail(result.stderr)}")
    return result


def run_image(engine: EngineInfo, tag: str, *args: str) -> str:
    """`docker run --rm tag args...`; returns what the container printed on stdout."""
    return engine.docker("run", "--rm", tag, *args).stdout.decode(errors="replace")


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One filesystem entry of an image (or of one layer). `mtime` is kept but never compared."""

    path: str
    kind: str  # file, dir, symlink, hardlink, char, block, fifo; in layers also whiteout, opaque
    mode: int  # permission bits with setuid/setgid/sticky
    uid: int
    gid: int
    size: int
    digest: str  # sha256 of a file's content (a hardlink's: its target's); "" otherwise
    linkname: str  # symlink target as stored, hardlink target as a path
    xattrs: tuple[tuple[str, str], ...] = ()
    mtime: int = field(default=0, compare=False)

    def describe(self) -> str:
        text = f"{self.kind} {self.mode:04o} {self.uid}:{self.gid}"
        if self.kind == "file":
            text += f" {self.size}B sha256:{self.digest[:12]}"
        if self.linkname:
            text += f" -> {self.linkname}"
        if self.xattrs:
            text += f" xattrs={dict(self.xattrs)}"
        return text


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One image history entry, without its timestamp."""

    created_by: str
    empty_layer: bool
    comment: str


@dataclass(frozen=True, slots=True)
class ImageSnapshot:
    """What makes two images the same: config, platform, history, layers and files."""

    tag: str
    image_id: str = field(compare=False)
    config: Mapping[str, Any] = field(hash=False)
    os: str
    architecture: str
    layer_count: int
    history: tuple[HistoryEntry, ...]
    files: Mapping[str, FileEntry] = field(hash=False)
    layers: tuple[tuple[FileEntry, ...], ...]


def snapshot_image(engine: EngineInfo, tag: str) -> ImageSnapshot:
    """Reads image `tag` from the engine (`docker save`) into a snapshot."""
    with tempfile.TemporaryDirectory(prefix="bw-snapshot-") as tmp:
        archive = Path(tmp) / "image.tar"
        engine.docker("image", "save", "--output", str(archive), tag)
        return snapshot_archive(archive, tag)


def snapshot_archive(archive: Path, tag: str) -> ImageSnapshot:
    """Builds a snapshot from a `docker save` archive (docker manifest.json layout)."""
    with tarfile.open(archive, "r:") as outer:
        manifest = json.loads(_member_bytes(outer, "manifest.json"))
        if len(manifest) != 1:
            raise AssertionError(f"{archive}: expected one image in manifest.json, found {len(manifest)}")
        config_name: str = manifest[0]["Config"]
        image_config = json.loads(_member_bytes(outer, config_name))
        layers: list[tuple[FileEntry, ...]] = []
        files: dict[str, FileEntry] = {}
        for layer_name in manifest[0]["Layers"] or ():
            stream = outer.extractfile(layer_name)
            if stream is None:
                raise AssertionError(f"{archive}: layer {layer_name} is not a regular member")
            with stream:
                entries = tuple(_read_layer(stream, files))
            _apply_layer(files, entries)
            layers.append(entries)
    raw_config = image_config.get("config") or {}
    history = tuple(
        HistoryEntry(
            created_by=item.get("created_by", ""),
            empty_layer=bool(item.get("empty_layer", False)),
            comment=item.get("comment", ""),
        )
        for item in image_config.get("history") or ()
    )
    return ImageSnapshot(
        tag=tag,
        image_id="sha256:" + Path(config_name).name,
        config=MappingProxyType({key: _normalise(raw_config.get(key)) for key in CONFIG_KEYS}),
        os=image_config.get("os", ""),
        architecture=image_config.get("architecture", ""),
        layer_count=len((image_config.get("rootfs") or {}).get("diff_ids") or ()),
        history=history,
        files=MappingProxyType(dict(sorted(files.items()))),
        layers=tuple(layers),
    )


def assert_same_image(
    expected: ImageSnapshot,
    actual: ImageSnapshot,
    *,
    max_files: int = 20,
    compare_history: bool = True,
    compare_layers: bool = True,
) -> None:
    """Fails with a readable report of every differing config key and the first differing files."""
    problems: list[str] = []
    for key in CONFIG_KEYS:
        want, got = expected.config.get(key), actual.config.get(key)
        if want != got:
            problems.append(f"config {key}: expected {json.dumps(want)}, actual {json.dumps(got)}")
    for name in ("os", "architecture", "layer_count"):
        want, got = getattr(expected, name), getattr(actual, name)
        if want != got:
            problems.append(f"{name}: expected {want}, actual {got}")
    if compare_history and expected.history != actual.history:
        problems.extend(_history_diff(expected.history, actual.history))
    file_lines = _entries_diff(expected.files, actual.files)
    if file_lines:
        problems.append(f"files: {len(file_lines)} differ (first {min(max_files, len(file_lines))} shown)")
        problems.extend("  " + line for line in file_lines[:max_files])
    if compare_layers and expected.layer_count == actual.layer_count:
        for index, (want_layer, got_layer) in enumerate(zip(expected.layers, actual.layers, strict=True)):
            layer_lines = _entries_diff(
                {entry.path: entry for entry in want_layer}, {entry.path: entry for entry in got_layer}
            )
            if layer_lines:
                problems.append(f"layer {index}: {len(layer_lines)} entries differ")
                problems.extend("  " + line for line in layer_lines[: max(1, max_files // 4)])
    if problems:
        header = (
            f"images differ: expected {expected.tag} ({expected.image_id}), actual {actual.tag} ({actual.image_id})"
        )
        raise AssertionError("\n".join([header, *problems]))


def _entries_diff(want: Mapping[str, FileEntry], got: Mapping[str, FileEntry]) -> list[str]:
    lines: list[str] = []
    for path in sorted(want.keys() | got.keys()):
        left, right = want.get(path), got.get(path)
        if left == right:
            continue
        if right is None:
            assert left is not None
            lines.append(f"- {path}: only in expected ({left.describe()})")
        elif left is None:
            lines.append(f"+ {path}: only in actual ({right.describe()})")
        else:
            lines.append(f"~ {path}: expected {left.describe()}, actual {right.describe()}")
    return lines


def _history_diff(want: tuple[HistoryEntry, ...], got: tuple[HistoryEntry, ...]) -> list[str]:
    lines = []
    if len(want) != len(got):
        lines.append(f"history: expected {len(want)} entries, actual {len(got)}")
    for index in range(max(len(want), len(got))):
        left = want[index] if index < len(want) else None
        right = got[index] if index < len(got) else None
        if left != right:
            lines.append(f"history[{index}]: expected {left}, actual {right}")
    return lines


def _normalise(value: Any) -> Any:
    # Go's omitempty makes a missing key, null and an empty value the same thing to the engine.
    if value in (None, "", [], {}):
        return None
    return value


def _member_bytes(archive: tarfile.TarFile, name: str) -> bytes:
    stream = archive.extractfile(name)
    if stream is None:
        raise AssertionError(f"{name} is not a regular file in the saved image")
    with stream:
        return stream.read()


def _clean_path(name: str) -> str:
    parts = [part for part in name.split("/") if part not in ("", ".")]
    return "/".join(parts)


def _open_layer(stream: IO[bytes]) -> tarfile.TarFile:
    head = stream.read(4)
    stream.seek(0)
    if head[:2] == b"\x1f\x8b":
        return tarfile.open(fileobj=gzip.GzipFile(fileobj=stream), mode="r|")
    if head == b"\x28\xb5\x2f\xfd":
        raise AssertionError("zstd-compressed layers are not supported by the snapshot reader")
    return tarfile.open(fileobj=stream, mode="r|")


def _read_layer(stream: IO[bytes], lower: Mapping[str, FileEntry]) -> Iterator[FileEntry]:
    """The entries of one layer tar; hardlinks take their target's digest (from this layer or below)."""
    seen: dict[str, FileEntry] = {}
    with _open_layer(stream) as layer:
        for member in layer:
            path = _clean_path(member.name)
            if not path:
                continue
            entry = _entry(layer, member, path, seen, lower)
            seen[path] = entry
            yield entry


def _entry(
    layer: tarfile.TarFile,
    member: tarfile.TarInfo,
    path: str,
    seen: Mapping[str, FileEntry],
    lower: Mapping[str, FileEntry],
) -> FileEntry:
    parent, _, base = path.rpartition("/")
    if base == _OPAQUE_MARKER:
        return _make(member, parent, "opaque")
    if base.startswith(_WHITEOUT_PREFIX):
        hidden = base.removeprefix(_WHITEOUT_PREFIX)
        return _make(member, f"{parent}/{hidden}" if parent else hidden, "whiteout")
    xattrs = tuple(
        sorted(
            (key.removeprefix("SCHILY.xattr."), value)
            for key, value in member.pax_headers.items()
            if key.startswith("SCHILY.xattr.")
        )
    )
    if member.isreg():
        digest = hashlib.sha256()
        content = layer.extractfile(member)
        assert content is not None
        while chunk := content.read(1 << 20):
            digest.update(chunk)
        return _make(member, path, "file", size=member.size, digest=digest.hexdigest(), xattrs=xattrs)
    if member.islnk():
        target = _clean_path(member.linkname)
        source = seen.get(target) or lower.get(target)
        return _make(
            member,
            path,
            "hardlink",
            size=source.size if source else 0,
            digest=source.digest if source else "",
            linkname=target,
            xattrs=xattrs,
        )
    if member.issym():
        return _make(member, path, "symlink", linkname=member.linkname, xattrs=xattrs)
    if member.ischr() or member.isblk():
        kind = "char" if member.ischr() else "block"
        return _make(member, path, kind, linkname=f"{member.devmajor},{member.devminor}", xattrs=xattrs)
    kind = "dir" if member.isdir() else "fifo" if member.isfifo() else f"type-{member.type!r}"
    return _make(member, path, kind, xattrs=xattrs)


def _make(
    member: tarfile.TarInfo,
    path: str,
    kind: str,
    *,
    size: int = 0,
    digest: str = "",
    linkname: str = "",
    xattrs: tuple[tuple[str, str], ...] = (),
) -> FileEntry:
    return FileEntry(
        path=path,
        kind=kind,
        mode=member.mode & 0o7777,
        uid=member.uid,
        gid=member.gid,
        size=size,
        digest=digest,
        linkname=linkname,
        xattrs=xattrs,
        mtime=int(member.mtime),
    )


def _apply_layer(files: dict[str, FileEntry], entries: Sequence[FileEntry]) -> None:
    """Applies one layer onto the flattened view: whiteouts act on lower layers, then entries land."""
    for entry in entries:
        if entry.kind == "whiteout":
            _remove_tree(files, entry.path, keep_root=False)
        elif entry.kind == "opaque":
            _remove_tree(files, entry.path, keep_root=True)
    for entry in entries:
        if entry.kind in ("whiteout", "opaque"):
            continue
        previous = files.get(entry.path)
        if previous is not None and previous.kind == "dir" and entry.kind != "dir":
            _remove_tree(files, entry.path, keep_root=True)
        files[entry.path] = entry


def _remove_tree(files: dict[str, FileEntry], path: str, *, keep_root: bool) -> None:
    prefix = f"{path}/" if path else ""
    for name in [name for name in files if name.startswith(prefix)]:
        del files[name]
    if not keep_root:
        files.pop(path, None)


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])
