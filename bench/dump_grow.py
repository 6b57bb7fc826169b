"""A bigger dump made of a real one: copies of its data tables appended (``orders`` ->
``orders_r7``), streaming, so the benchmark can apply a dump of N GB.

    .venv/bin/python -m bench.dump_corpus grow IN.sql OUT.sql --gb 1
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import BinaryIO

from bench.corpus_schema import DATA_TABLES

_CREATE_RE = re.compile(rb"^CREATE TABLE `([^`]+)` \(")
_LOCK_RE = re.compile(rb"^LOCK TABLES `([^`]+)` WRITE;")
# The first line of mariadb-dump's footer (restores the session): copies go before it.
_FOOTER_PREFIXES = (b"/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;", b"/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;")


def _rename_ddl(create: bytes, suffix: str) -> bytes:
    """CREATE TABLE of a copy: its name, its constraints' names and the tables it references."""
    sfx = suffix.encode()
    out = _CREATE_RE.sub(lambda m: b"CREATE TABLE `" + m.group(1) + sfx + b"` (", create, count=1)
    out = re.sub(rb"CONSTRAINT `([^`]+)`", lambda m: b"CONSTRAINT `" + m.group(1) + sfx + b"`", out)
    names = b"|".join(re.escape(t.encode()) for t in DATA_TABLES)
    return re.sub(
        rb"REFERENCES `(" + names + rb")`", lambda m: b"REFERENCES `" + m.group(1) + sfx + b"`", out
    )


def _scan(dump_path: Path) -> tuple[dict[str, bytes], dict[str, tuple[int, int]], int]:
    """One streaming pass: CREATE TABLE text and data section (offsets) per data table, footer offset."""
    creates: dict[str, bytes] = {}
    sections: dict[str, tuple[int, int]] = {}
    footer = -1
    creating: str | None = None
    buf: list[bytes] = []
    locked: tuple[str, int] | None = None
    offset = 0
    with open(dump_path, "rb") as f:
        for line in f:
            start, offset = offset, offset + len(line)
            if creating is not None:
                buf.append(line)
                if line.startswith(b")") and line.rstrip().endswith(b";"):
                    creates[creating] = b"".join(buf)
                    creating, buf = None, []
                continue
            m = _CREATE_RE.match(line)
            if m and m.group(1).decode() in DATA_TABLES:
                creating, buf = m.group(1).decode(), [line]
                continue
            m = _LOCK_RE.match(line)
            if m and m.group(1).decode() in DATA_TABLES:
                locked = (m.group(1).decode(), start)
                continue
            if line.startswith(b"UNLOCK TABLES;") and locked is not None:
                sections[locked[0]] = (locked[1], offset)
                locked = None
                continue
            if footer < 0 and line.startswith(_FOOTER_PREFIXES):
                footer = start
    missing = [t for t in DATA_TABLES if t not in creates or t not in sections]
    if missing:
        raise ValueError(f"{dump_path}: no CREATE TABLE or data section for {missing}")
    return creates, sections, (footer if footer >= 0 else offset)


def grow(dump_path: Path, out_path: Path, target_bytes: int) -> int:
    """Write ``dump_path`` plus rounds of copies ``<table>_r1``, ``_r2``... of its data tables until
    the file has at least ``target_bytes``; streaming (a line at a time in memory). Returns the size.

    Each copy is ``DROP TABLE IF EXISTS`` + the renamed CREATE TABLE (constraint names and
    references renamed too: InnoDB wants unique constraint names per schema) + the table's
    data section (LOCK TABLES ... extended INSERTs ... UNLOCK TABLES) with the name changed.
    mariadb-dump escapes newlines in values, so every line of a data section is structural.
    """
    creates, sections, footer = _scan(dump_path)
    copy = 0
    with open(dump_path, "rb") as src, open(out_path, "wb") as out:
        _copy_range(src, out, 0, footer)
        tail = src.seek(0, os.SEEK_END) - footer
        while out.tell() + tail < target_bytes:
            copy += 1  # whole rounds, so every copy's foreign keys name tables that exist
            for table in DATA_TABLES:
                _write_copy(src, out, table, f"_r{copy}", creates[table], sections[table])
        _copy_range(src, out, footer, None)
        return out.tell()


def _write_copy(
    src: BinaryIO, out: BinaryIO, table: str, suffix: str, create: bytes, section: tuple[int, int]
) -> None:
    old, new = f"`{table}`".encode(), f"`{table}{suffix}`".encode()
    out.write(b"DROP TABLE IF EXISTS " + new + b";\n" + _rename_ddl(create, suffix))
    prefixes = (b"LOCK TABLES " + old, b"INSERT INTO " + old, b"/*!40000 ALTER TABLE " + old)
    src.seek(section[0])
    remaining = section[1] - section[0]
    while remaining > 0:
        line = src.readline()
        if not line:
            break
        remaining -= len(line)
        if line.startswith(prefixes):
            line = line.replace(old, new, 1)
        out.write(line)


def _copy_range(src: BinaryIO, out: BinaryIO, start: int, end: int | None) -> None:
    src.seek(start)
    left = None if end is None else end - start
    while left is None or left > 0:
        chunk = src.read(1 << 20 if left is None else min(1 << 20, left))
        if not chunk:
            break
        out.write(chunk)
        if left is not None:
            left -= len(chunk)
