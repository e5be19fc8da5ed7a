"""Temporary siblings of outputs: what a build writes before it moves an output into place.

A temporary path is named `.<dest name>.buildwright-<pid>-<random>.tmp`, beside its destination,
and its owner holds an exclusive `flock` on it while it writes. A process killed with SIGKILL
cannot remove its own; the next build to the same destination removes the ones whose owner is
gone: the pid names no running process AND the lock is free. The lock covers what the pid cannot
(another pid namespace sharing the folder, a pid reused since); the pid spares a fresh sibling
whose owner has not taken its lock yet.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from buildwright._log import get_logger

_log = get_logger(__name__)

_MARK = "buildwright"


def temp_sibling(dest: Path) -> Path:
    """A fresh temporary path beside `dest`, marked with this process's pid."""
    return dest.parent / f".{dest.name}.{_MARK}-{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _owner_pid(dest: Path, name: str) -> int | None:
    match = re.fullmatch(rf"\.{re.escape(dest.name)}\.{_MARK}-(\d+)-[0-9a-f]{{8}}\.tmp", name)
    return int(match.group(1)) if match else None


def _pid_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


class TempLock:
    """An exclusive lock held on a temporary file or directory while its owner writes it."""

    def __init__(self, path: Path) -> None:
        self._fd: int | None = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.release()
            raise

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _lock_free(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def remove_abandoned(dest: Path) -> list[Path]:
    """Remove the temporary siblings of `dest` that dead buildwright processes left; returns them."""
    try:
        names = os.listdir(dest.parent)
    except OSError:
        return []
    removed: list[Path] = []
    for name in sorted(names):
        pid = _owner_pid(dest, name)
        if pid is None or _pid_running(pid):
            continue
        path = dest.parent / name
        if not _lock_free(path):
            continue
        try:
            remove_path(path)
        except OSError as exc:
            _log.warning("abandoned_output_not_removed", path=str(path), error=str(exc))
            continue
        _log.info("abandoned_output_removed", path=str(path), pid=pid)
        removed.append(path)
    return removed


def _make_writable(func: Callable[..., Any], path: str, _exc: object) -> None:
    # rmtree's error hook: a read-only directory from the export must not stop the clean-up.
    parent = os.path.dirname(path)
    with contextlib.suppress(OSError):
        os.chmod(parent, stat.S_IRWXU)
        os.chmod(path, stat.S_IRWXU, follow_symlinks=False)
    with contextlib.suppress(OSError):
        func(path)


def remove_path(path: Path) -> None:
    """Remove a file, link or directory tree (read-only directories included); a missing path is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=_make_writable)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
