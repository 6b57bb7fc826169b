"""The hidden ``.partial-<export id>`` folders a local export writes before renaming them into place,
and the removal of those a killed export left behind.

Each export holds an exclusive ``flock(2)`` on ``.partial-<export id>.lock`` (beside the folder)
from before it creates the folder until after the folder is renamed or removed. The kernel drops
the lock when the process ends, however it ends (a SIGKILL or a power cut included), so a lock
that another process can take means no running export is writing that folder: the folder is
stale and is removed. A lock that cannot be taken belongs to a running export, and its folder is
left alone. A pid file could not tell that: a pid is reused after the process ends, and a pid
from another container or host means nothing here. The lock is advisory and local: exports that
share one state dir on one machine respect it, which is how the state dir is used.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from mysql_platform.analytics.errors import BadInput

PREFIX: Final = ".partial-"
LOCK_SUFFIX: Final = ".lock"


def _lock_path(root: Path, folder_name: str) -> Path:
    return root / f"{folder_name}{LOCK_SUFFIX}"


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding ``path``'s exclusive lock, or None when another process holds it.

    The lock is on the file the descriptor opened; if another process removed that file (the
    stale-lock removal) before the lock was taken, the path now names another file or none, and
    the lock is taken again on what the path names now.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if _same_file(fd, path):
            return fd
        os.close(fd)


def remove_stale(root: Path) -> list[str]:
    """Remove every partial folder (and lock file) under ``root`` whose lock no process holds."""
    removed = []
    entries = sorted(p for p in root.iterdir() if p.name.startswith(PREFIX))
    folders = [p for p in entries if p.is_dir() and not p.is_symlink()]
    # A lock file alone: its export was killed between the rename and removing the lock.
    orphans = [p for p in entries if p.name.endswith(LOCK_SUFFIX) and not p.with_suffix("").exists()]
    for folder in folders:
        lock = _lock_path(root, folder.name)
        fd = _try_lock(lock)
        if fd is None:
            continue  # a running export is writing it
        try:
            shutil.rmtree(folder, ignore_errors=True)
            lock.unlink(missing_ok=True)
        finally:
            os.close(fd)
        removed.append(folder.name)
    for lock in orphans:
        fd = _try_lock(lock)
        if fd is not None:
            lock.unlink(missing_ok=True)
            os.close(fd)
    return removed


@contextmanager
def claimed(root: Path, export_id: str) -> Iterator[Path]:
    """``root/.partial-<export_id>``, empty, under this process's lock; removed if the body raises.

    The lock is taken before the folder exists and let go after the body renamed or removed it, so
    :func:`remove_stale` never sees the folder unlocked while this export writes it.
    """
    name = f"{PREFIX}{export_id}"
    lock = _lock_path(root, name)
    fd = _try_lock(lock)
    if fd is None:
        raise BadInput(f"export '{export_id}' is being written by another process ({lock} is locked)")
    partial = root / name
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        try:
            yield partial
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)
