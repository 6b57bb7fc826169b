"""Reading a migration file: a regular file only, in chunks cut at line ends, hashed on the way.

Bytes, not text: a file is applied byte for byte, as the ``mariadb`` client does. A UTF-8 byte order
mark and CRLF line ends are not part of the checksum, so adding or removing them is not an edit.
Only regular files are opened (:func:`open_regular`): a FIFO would block the reader until something
writes to it, a device might never end.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mysql_platform.db.migration_errors import MigrationFileError

# Read this much at a time (then cut at the last line end): memory follows this, not the file.
CHUNK_BYTES = 1 << 20

BOM = b"\xef\xbb\xbf"


def checksum(data: bytes) -> str:
    """A whole file's checksum, as :class:`SqlFile` computes it while reading."""
    return hashlib.sha256(data.removeprefix(BOM).replace(b"\r\n", b"\n")).hexdigest()


class SqlFile:
    """Reads a migration file in chunks that end at line ends, hashing it on the way."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digest = hashlib.sha256()
        self._legacy: hashlib._Hash | None = None

    @property
    def checksum(self) -> str:
        """sha256 of what was read, without a leading BOM and with CRLF as LF."""
        return self._digest.hexdigest()

    @property
    def legacy_checksum(self) -> str | None:
        """The checksum as it was computed with the BOM counted; None without a BOM."""
        return None if self._legacy is None else self._legacy.hexdigest()

    def byte_chunks(self) -> Iterator[bytes]:
        try:
            with open_regular(self.path) as handle:
                first = True
                for raw in _line_chunks(handle):
                    if first and raw.startswith(BOM):
                        self._legacy = hashlib.sha256(BOM)
                        raw = raw[len(BOM) :]
                    first = False
                    raw = raw.replace(b"\r\n", b"\n")
                    self._digest.update(raw)
                    if self._legacy is not None:
                        self._legacy.update(raw)
                    yield raw
        except OSError as exc:
            raise MigrationFileError(f"migration file '{self.path}': cannot read: {exc.strerror}") from None

    def text_chunks(self) -> Iterator[str]:
        """The chunks as text; bytes that are not UTF-8 become lone surrogates (surrogateescape)."""
        for raw in self.byte_chunks():
            yield raw.decode("utf-8", "surrogateescape")


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file (symlinks followed); a FIFO or device
    is refused without blocking: opening a FIFO waits for a writer, reading a device may never end."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise MigrationFileError(
                f"migration file '{path}': not a regular file ({kind_of(mode)}); not read"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def kind_of(mode: int) -> str:
    """What a file that is not a regular one is, for a message."""
    kinds: list[tuple[Callable[[int], bool], str]] = [
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _line_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """About :data:`CHUNK_BYTES` at a time, each ending with a line end (the last may not)."""
    pending: list[bytes] = []
    while block := handle.read(CHUNK_BYTES):
        cut = block.rfind(b"\n") + 1
        if cut == 0:  # a line longer than a block: keep reading
            pending.append(block)
            continue
        pending.append(block[:cut])
        yield b"".join(pending)
        pending = [block[cut:]] if cut < len(block) else []
    if pending:
        yield b"".join(pending)
