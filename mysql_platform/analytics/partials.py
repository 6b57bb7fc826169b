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

import errno
import fcntl
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from mysql_platform.analytics.display import shown
from mysql_platform.analytics.errors import BadInput

PREFIX: Final = ".partial-"
LOCK_SUFFIX: Final = ".lock"
# O_NOFOLLOW: a symbolic link planted as the lock is refused, not followed to create or lock another
# file; O_NONBLOCK: a FIFO planted there does not block the open (open(2)).
LOCK_FLAGS: Final = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
# How long claimed() waits for its own new lock: remove_stale() in another export may hold it for
# the moment it takes to unlink a lock file it found alone.
CLAIM_TRIES: Final = 50
CLAIM_PAUSE_S: Final = 0.02
pause: Callable[[float], None] = time.sleep


@dataclass
class Cleanup:
    """What :func:`remove_stale` did: the folders it removed, and those it could not, with why."""

    removed: list[str] = field(default_factory=list)
    not_removed: list[tuple[Path, str]] = field(default_factory=list)
    """Each folder left, and why (the error and the file it was about)."""


def _lock_path(root: Path, folder_name: str) -> Path:
    return root / f"{folder_name}{LOCK_SUFFIX}"


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
    except FileNotFoundError:
        return False


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _open_lock(path: Path) -> int:
    """``path`` opened as a lock file: a regular file, never through a symbolic link."""
    where = shown(str(path))
    try:
        fd = os.open(path, LOCK_FLAGS, 0o600)
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise BadInput(
                f"{where} is a folder, not an export's lock file: remove it when no export runs"
            ) from None
        if exc.errno == errno.ELOOP:
            raise BadInput(
                f"{where} is a symbolic link, not an export's lock file: remove it (rm {where})"
            ) from None
        raise BadInput(
            f"cannot open the lock file {where}: {_why(exc)}; run the export as the user who owns the "
            f"exports folder, or remove the file (rm {where}) when no export runs"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BadInput(
            f"{where} is not a regular file, not an export's lock file: remove it when no export runs"
        )
    return fd


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding ``path``'s exclusive lock, or None when another process holds it.

    The lock is on the file the descriptor opened; if another process removed that file (the
    stale-lock removal) before the lock was taken, the path now names another file or none, and
    the lock is taken again on what the path names now.
    """
    while True:
        fd = _open_lock(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if _same_file(fd, path):
            return fd
        os.close(fd)


def _removed(folder: Path) -> str | None:
    """Remove ``folder``; None when it is gone, else why it is not (the first error, and its file)."""
    failed: list[str] = []

    def note(path: str, exc: BaseException) -> None:
        if isinstance(exc, FileNotFoundError):
            return  # gone already: what was asked
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        failed.append(f"{why}: {shown(path)}")

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=lambda _f, path, exc: note(str(path), exc))
    else:  # onerror: the whole path, where an OSError's filename may be the last part alone
        shutil.rmtree(folder, onerror=lambda _f, path, info: note(str(path), info[1]))
    return failed[0] if failed else None


def remove_stale(root: Path) -> Cleanup:
    """Remove every partial folder (and lock file) under ``root`` whose lock no process holds."""
    done = Cleanup()
    try:
        entries = sorted(p for p in root.iterdir() if p.name.startswith(PREFIX))
    except OSError as exc:
        raise BadInput(f"cannot list the exports folder {shown(str(root))}: {_why(exc)}") from None
    # An export id has no dot, so ``.partial-<id>.lock`` is never an export's folder.
    locks = [p for p in entries if p.name.endswith(LOCK_SUFFIX)]
    folders = [p for p in entries if p.is_dir() and not p.is_symlink() and p not in locks]
    # A lock file alone: its export was killed between the rename and removing the lock.
    orphans = [p for p in locks if not p.with_suffix("").exists()]
    for folder in folders:
        lock = _lock_path(root, folder.name)
        fd = _try_lock(lock)
        if fd is None:
            continue  # a running export is writing it
        # Its export may have renamed it into place and let go of its lock after the listing: then
        # the lock this took is one it made, on a folder that is no longer there.
        present = folder.is_dir() and not folder.is_symlink()
        try:
            why = _removed(folder) if present else None
            if why is None:
                lock.unlink(missing_ok=True)
        finally:
            os.close(fd)
        if why is not None:
            done.not_removed.append((folder, why))
        elif present:
            done.removed.append(folder.name)
    for lock in orphans:
        fd = _try_lock(lock)
        if fd is not None:
            lock.unlink(missing_ok=True)
            os.close(fd)
    return done


def _claim_lock(lock: Path, export_id: str) -> int:
    for _ in range(CLAIM_TRIES):
        fd = _try_lock(lock)
        if fd is not None:
            return fd
        pause(CLAIM_PAUSE_S)
    raise BadInput(f"export '{export_id}' is being written by another process ({shown(str(lock))} is locked)")


@contextmanager
def claimed(root: Path, export_id: str) -> Iterator[Path]:
    """``root/.partial-<export_id>``, empty, under this process's lock; removed if the body raises.

    The lock is taken before the folder exists and let go after the body renamed or removed it, so
    :func:`remove_stale` never sees the folder unlocked while this export writes it. Another
    export's :func:`remove_stale` may hold the new lock for a moment (it sees a lock file with no
    folder yet), so the lock is tried for up to a second before giving up.
    """
    name = f"{PREFIX}{export_id}"
    lock = _lock_path(root, name)
    fd = _claim_lock(lock, export_id)
    partial = root / name
    try:
        why = _removed(partial) if partial.exists() else None
        if why is not None:
            raise BadInput(
                f"could not remove {shown(str(partial))} ({why}): remove it by hand (rm -rf) and export again"
            )
        try:
            partial.mkdir()
        except OSError as exc:
            raise BadInput(f"cannot create {shown(str(partial))}: {_why(exc)}") from None
        try:
            yield partial
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)
