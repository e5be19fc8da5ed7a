"""FileSend.DiffCopy, receiving side: the engine hands exported files back to the client.

The engine's exporters call this one method in two ways, told apart by the exporter the call is
for (gRPC metadata `buildkit-attachable-exporter-id`, the exporter's index in the solve request):

- a directory (`local` exporter): fsutil's protocol with the roles of the context upload swapped.
  The engine streams a STAT per entry in walk order (parents first) and an empty STAT at the end;
  the client asks for each regular file's contents with REQ{ID} (ID = index of its STAT), gets
  DATA{ID, chunk}... and an empty DATA{ID}, then sends FIN once everything is written and the
  engine answers FIN (buildkit session/filesync `syncTargetDiffCopy`, fsutil `receive.go`).
- a file (`tar`, `oci`, `docker` exporters): a byte stream of `BytesMessage{data}` messages that
  ends when the engine closes its side; `exporter-md-<key>` metadata describe it
  (`CopyFileWriter`, `writeTargetFile`).

Entries are owned by the client's user (the reference receiver resets uid/gid the same way).
"""

from __future__ import annotations

import contextlib
import os
import stat as stat_mod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

import grpc

from buildwright._log import get_logger
from buildwright._pb import stat_pb2, wire_pb2
from buildwright.client.session.fswalk import (
    MODE_CHAR_DEVICE,
    MODE_DEVICE,
    MODE_DIR,
    MODE_NAMED_PIPE,
    MODE_SETGID,
    MODE_SETUID,
    MODE_STICKY,
    MODE_SYMLINK,
    MODE_TYPE,
)
from buildwright.client.session.grpcframes import FrameError, bytes_message_data
from buildwright.client.session.h2server import Router, RpcAbort, ServerStream

_log = get_logger(__name__)

_SERVICE = "/moby.filesync.v1.FileSend"
EXPORTER_ID_KEY = "buildkit-attachable-exporter-id"
EXPORTER_MD_PREFIX = "exporter-md-"

_STAT = wire_pb2.Packet.PACKET_STAT
_REQ = wire_pb2.Packet.PACKET_REQ
_DATA = wire_pb2.Packet.PACKET_DATA
_FIN = wire_pb2.Packet.PACKET_FIN
_ERR = wire_pb2.Packet.PACKET_ERR

# Where a directory export goes: called once, returns the (existing, empty) directory to fill.
DirOpener = Callable[[], Path]
# Where a file export goes: called once with the exporter's metadata, returns a binary writer.
FileOpener = Callable[[Mapping[str, str]], BinaryIO]


def unix_mode(go_mode: int) -> int:
    """Permission and setuid/setgid/sticky bits of a Go os.FileMode, as chmod takes them."""
    mode = go_mode & 0o777
    if go_mode & MODE_SETUID:
        mode |= stat_mod.S_ISUID
    if go_mode & MODE_SETGID:
        mode |= stat_mod.S_ISGID
    if go_mode & MODE_STICKY:
        mode |= stat_mod.S_ISVTX
    return mode


def _safe_relpath(path: str) -> str:
    # The engine is trusted, but a path must never leave the destination all the same.
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid path in export: {path!r}")
    return "/".join(parts)


def _set_times(path: str, mtime_ns: int, *, follow: bool) -> None:
    os.utime(path, ns=(mtime_ns, mtime_ns), follow_symlinks=follow)


def _set_xattrs(path: str, xattrs: Mapping[str, bytes]) -> None:
    # Best effort, as in the reference writer: a filesystem without xattrs still gets the files.
    for key, value in xattrs.items():
        with contextlib.suppress(OSError):
            os.setxattr(path, key, value, follow_symlinks=False)


class DirReceiver:
    """One directory export: writes the engine's STAT/DATA stream under `root`."""

    def __init__(self, stream: ServerStream, root: Path) -> None:
        self._stream = stream
        self._root = str(root)
        self._index = 0
        # ID -> (open fd, path, stat) of files whose contents were requested and are still arriving.
        self._open: dict[int, tuple[int, str, stat_pb2.Stat]] = {}
        # Directory metadata is applied last, deepest first: writing children changes a
        # directory's mtime, and a read-only mode would stop the writes.
        self._dirs: list[tuple[str, stat_pb2.Stat]] = []
        self._stats_done = False
        self.entries = 0
        self.bytes_received = 0

    def _target(self, rel: str) -> str:
        return os.path.join(self._root, rel)

    async def _on_stat(self, st: stat_pb2.Stat) -> None:
        file_id = self._index
        self._index += 1
        rel = _safe_relpath(st.path)
        path = self._target(rel)
        mode = st.mode
        self.entries += 1
        if mode & MODE_DIR:
            os.mkdir(path, 0o700)
            _set_xattrs(path, st.xattrs)
            self._dirs.append((path, st))
            return
        if mode & MODE_SYMLINK:
            os.symlink(st.linkname, path)
            _set_xattrs(path, st.xattrs)
            _set_times(path, st.modTime, follow=False)
            return
        if mode & (MODE_DEVICE | MODE_NAMED_PIPE):
            kind = stat_mod.S_IFIFO
            if mode & MODE_CHAR_DEVICE:
                kind = stat_mod.S_IFCHR
            elif not mode & MODE_NAMED_PIPE:
                kind = stat_mod.S_IFBLK
            os.mknod(path, kind | unix_mode(mode), os.makedev(st.devmajor, st.devminor))
            self._finish_metadata(path, st)
            return
        if mode & MODE_TYPE:
            # Sockets and irregular files carry no content; the reference writer skips nothing
            # else, and neither can be recreated meaningfully.
            _log.debug("export_entry_skipped", path=rel)
            return
        if st.linkname:
            os.link(self._target(_safe_relpath(st.linkname)), path)
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        self._open[file_id] = (fd, path, st)
        await self._stream.send(wire_pb2.Packet(type=_REQ, ID=file_id).SerializeToString())

    def _on_data(self, file_id: int, data: bytes) -> None:
        item = self._open.get(file_id)
        if item is None:
            raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid file request {file_id}")
        fd, path, st = item
        if data:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            self.bytes_received += len(data)
            return
        del self._open[file_id]
        os.close(fd)
        self._finish_metadata(path, st)

    @staticmethod
    def _finish_metadata(path: str, st: stat_pb2.Stat) -> None:
        _set_xattrs(path, st.xattrs)
        os.chmod(path, unix_mode(st.mode), follow_symlinks=False)
        _set_times(path, st.modTime, follow=False)

    def _finish_dirs(self) -> None:
        for path, st in reversed(self._dirs):
            os.chmod(path, unix_mode(st.mode))
            _set_times(path, st.modTime, follow=True)

    async def run(self) -> None:
        try:
            while True:
                message = await self._stream.recv()
                if message is None:
                    raise RpcAbort(grpc.StatusCode.ABORTED, "export stream ended before it was complete")
                packet = wire_pb2.Packet.FromString(message)
                if packet.type == _STAT:
                    if not packet.HasField("stat"):
                        self._stats_done = True
                    else:
                        await self._on_stat(packet.stat)
                elif packet.type == _DATA:
                    self._on_data(packet.ID, packet.data)
                elif packet.type == _ERR:
                    raise RpcAbort(
                        grpc.StatusCode.ABORTED, f"error from sender: {packet.data.decode('utf-8', 'replace')}"
                    )
                elif packet.type == _FIN:
                    return
                if self._stats_done and not self._open:
                    self._finish_dirs()
                    await self._stream.send(wire_pb2.Packet(type=_FIN).SerializeToString())
                    # The engine answers FIN; anything after it is ignored until its side closes.
                    await self._drain()
                    return
        finally:
            for fd, _, _ in self._open.values():
                os.close(fd)
            self._open.clear()

    async def _drain(self) -> None:
        while True:
            message = await self._stream.recv()
            if message is None:
                return
            if wire_pb2.Packet.FromString(message).type == _FIN:
                return


class FileSendAttachable:
    """Receives the engine's exports: directories and files, by exporter index."""

    def __init__(self, dirs: Mapping[int, DirOpener], files: Mapping[int, FileOpener]) -> None:
        self._dirs = dict(dirs)
        self._files = dict(files)

    @staticmethod
    def _exporter_id(stream: ServerStream) -> int:
        for key, value in stream.metadata:
            if key.lower() == EXPORTER_ID_KEY:
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0

    async def _diff_copy(self, stream: ServerStream) -> None:
        exporter_id = self._exporter_id(stream)
        dir_opener = self._dirs.get(exporter_id)
        if dir_opener is not None:
            receiver = DirReceiver(stream, dir_opener())
            await receiver.run()
            _log.debug("export_dir_received", exporter=exporter_id, entries=receiver.entries)
            return
        file_opener = self._files.get(exporter_id)
        if file_opener is None:
            raise RpcAbort(grpc.StatusCode.NOT_FOUND, f"exporter {exporter_id} not found")
        md = {
            key.lower()[len(EXPORTER_MD_PREFIX) :]: value
            for key, value in stream.metadata
            if key.lower().startswith(EXPORTER_MD_PREFIX)
        }
        writer = file_opener(md)
        size = 0

        def write(message: memoryview) -> None:
            # Straight from the frame the message arrived in to the file: no task switch and no
            # copy per message (an exported tar is ~32,000 messages per GiB).
            nonlocal size
            data = bytes_message_data(message)
            writer.write(data)
            size += len(data)

        stream.set_sink(write)
        while await stream.recv() is not None:
            pass  # every message went to the sink
        if stream.sink_error is not None:
            error = stream.sink_error
            if isinstance(error, FrameError):
                raise RpcAbort(grpc.StatusCode.INVALID_ARGUMENT, f"export stream: {error}") from error
            raise error
        writer.flush()
        _log.debug("export_file_received", exporter=exporter_id, bytes=size)

    def register(self, router: Router) -> None:
        router.add_stream(f"{_SERVICE}/DiffCopy", self._diff_copy)
