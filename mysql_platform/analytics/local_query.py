"""DuckDB over a local export: each table a view named as Athena names it.

The SQL is the user's own and runs with the user's file access: DuckDB's functions read and write
any file the user can (``read_csv('/etc/...')``, ``COPY ... TO``). For a command a user runs on
their own exports that is no more than their shell allows; it is not a sandbox for others' SQL.

DuckDB reads Parquet as a stream of row groups (projection and filter pushed into the scan), so
a query's memory follows its result and its aggregates, not the files' size; the connection's
``memory_limit`` caps it, spilling to a temporary directory beyond that. One machine is where
this stops: past that, Athena is the engine.

Raw landing files (``--landing NAME=FILE``) are views too, read as text (CSV: every column
VARCHAR): nothing is checked when they land, and the query's casts decide what a value means.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb

from mysql_platform.analytics import layout
from mysql_platform.analytics.display import printable, shown, shown_table
from mysql_platform.analytics.errors import BadInput, NotFound, TaskFailed

IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LANDING_READERS: Final = {
    ".csv": "read_csv({path}, header = true, all_varchar = true)",
    ".json": "read_json({path}, format = 'newline_delimited')",
    ".jsonl": "read_json({path}, format = 'newline_delimited')",
    ".ndjson": "read_json({path}, format = 'newline_delimited')",
}


@dataclass(frozen=True)
class LocalResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def exports(root: Path) -> list[Path]:
    """Finished exports under ``root``, oldest first (hidden ``.partial-*`` folders are not)."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    finished = [p for p in found if (p / layout.EXPORT_INFO.format(export_id=p.name)).is_file()]
    return sorted(
        finished, key=lambda p: (p / layout.EXPORT_INFO.format(export_id=p.name)).stat().st_mtime_ns
    )


def choose_export(root: Path, export_id: str | None) -> Path:
    found = exports(root)
    if export_id is not None:
        for path in found:
            if path.name == export_id:
                return path
        names = ", ".join(p.name for p in found) or "none"
        raise NotFound(
            f"no export '{shown(export_id)}' in {shown(str(root))} (exports there: {shown(names)})"
        )
    if not found:
        raise NotFound(f"no export in {root}: run `mysql-platform local export` first")
    return found[-1]


def _info(export_dir: Path) -> dict[str, Any]:
    path = export_dir / layout.EXPORT_INFO.format(export_id=export_dir.name)
    try:
        info = json.loads(path.read_text())
        tables = info["tables"]
        if not isinstance(tables, list):
            raise TypeError("'tables' is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"export {export_dir.name}: {path.name} is unreadable ({exc}); export again") from None
    return dict(info)


def _folder(export_dir: Path, entry: dict[str, Any]) -> Path:
    """A table's folder, as the export recorded it; an export made before ``folder`` was recorded
    used ``<database>/<database>.<table>``, which must still lie inside the export."""
    names = layout.names(str(entry["database"]), str(entry["table"]))
    relative = entry.get("folder") or f"{names.database}/{names.database}.{names.table}"
    folder = export_dir / str(relative)
    if "\0" in str(relative):  # no path holds one; resolve() would fail on it
        raise BadInput(
            f"export {export_dir.name}: table '{shown_table(names.database, names.table)}' has a folder "
            f"'{shown(str(relative))}' with a NUL character, expected a path inside the export; export again"
        )
    if not folder.resolve().is_relative_to(export_dir.resolve()):
        raise BadInput(
            f"export {export_dir.name}: table '{shown_table(names.database, names.table)}' has its "
            "folder outside the export; export again"
        )
    return folder


def table_files(export_dir: Path) -> dict[str, list[Path]]:
    """Query name -> the table's Parquet files, for every table the export's info lists.

    The names come from the one mapping (:func:`layout.names_of`), so two tables never share one
    (an export made before the mapping, with ``sales-2024`` beside ``sales_2024``, reads as two).
    The files are listed here, so that DuckDB is given each file, never a pattern.
    """
    entries = _info(export_dir)["tables"]
    try:
        found = layout.names_of((str(e["database"]), str(e["table"])) for e in entries)
        folders = [_folder(export_dir, e) for e in entries]
    except (KeyError, TypeError) as exc:
        raise BadInput(f"export {export_dir.name}: a table entry has no {exc}; export again") from None
    files = {}
    for names, folder in zip(found, folders, strict=True):
        parts = sorted(folder.glob(f"*/*{layout.PARQUET_SUFFIX}"))
        if not parts:
            raise NotFound(f"export {export_dir.name}: table '{shown_table(names.database, names.table)}' "
                           f"has no Parquet file in {shown(str(folder))}; export again")  # fmt: skip
        files[names.athena] = parts
    return files


# What DuckDB may read as a pattern in a path: its glob characters, and a backslash, which DuckDB
# takes for a folder separator once the path holds a glob character.
PATTERN_CHARS: Final = re.compile(r"[*?\[\]{}\\]")


def link_folder() -> Path:
    """A new private folder (mode 0700) for the links DuckDB reads through: see :class:`Links`."""
    try:
        folder = Path(tempfile.mkdtemp(prefix="mysql-platform-query-"))
    except OSError as exc:
        raise BadInput(
            f"cannot create a folder in the temporary folder {shown(tempfile.gettempdir())} "
            f"({exc.strerror}): set TMPDIR to a writable folder"
        ) from None
    if PATTERN_CHARS.search(str(folder)):
        folder.rmdir()
        raise BadInput(
            f"the temporary folder {shown(str(folder))} has a character DuckDB reads as a pattern "
            "(* ? [ ] { } \\): set TMPDIR to a folder without them"
        )
    return folder


class Links:
    """DuckDB reads every file path as a glob, even in a list of files, and once a path holds a glob
    character it reads ``\\`` as a folder separator, so no escaping makes every path read as
    itself. DuckDB is given none of the user's paths: each file is a symbolic link in a private
    folder whose own path holds no pattern character, named ``<n><suffix>``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.targets: dict[str, str] = {}
        """Each link's path, and the path of the user's file it stands for."""

    def named(self, message: str) -> str:
        """``message`` (DuckDB's) with each link's path replaced by the user's file's, escaped."""
        for link in sorted(self.targets, key=len, reverse=True):
            message = message.replace(link, self.targets[link])
        return printable(message)

    def to(self, target: Path, suffix: str) -> str:
        link = self.folder / f"{self.count}{suffix}"
        self.count += 1
        try:
            link.symlink_to(target.resolve())
        except (OSError, ValueError) as exc:  # a full or read-only TMPDIR; a NUL in the path
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise BadInput(
                f"cannot link {shown(str(target))} in {shown(str(self.folder))} ({why}): "
                "expected a writable TMPDIR with room for a link"
            ) from None
        self.targets[str(link)] = str(target)
        return str(link)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _kind(path: Path) -> str | None:
    """What ``path`` is when it is there but is not a regular file; None when it is not there."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):  # missing, a dangling link, a NUL in the name
        return None
    kinds = {stat.S_ISDIR: "a folder", stat.S_ISFIFO: "a FIFO", stat.S_ISSOCK: "a socket",
             stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device"}  # fmt: skip
    return next((what for test, what in kinds.items() if test(mode)), "not a regular file")


def parse_landing(pairs: list[str]) -> dict[str, Path]:
    landing: dict[str, Path] = {}
    for pair in pairs:
        name, eq, file = pair.partition("=")
        if not eq or not IDENTIFIER.fullmatch(name):
            raise BadInput(f"--landing '{shown(pair)}': expected NAME=FILE with NAME a plain identifier")
        same = next((other for other in landing if other.casefold() == name.casefold()), None)
        if same is not None:
            raise BadInput(
                f"--landing {name}: {same} is given already (DuckDB's names ignore case): one file a name"
            )
        path = Path(file)
        if path.suffix.lower() not in LANDING_READERS:
            raise BadInput(f"--landing {name}: '{shown(file)}' is not .csv, .json, .jsonl or .ndjson")
        if not path.is_file():
            kind = _kind(path)
            if kind is None:
                raise NotFound(f"--landing {name}: no file '{shown(file)}'")
            raise BadInput(f"--landing {name}: '{shown(file)}' is {kind}, expected a regular file")
        landing[name] = path
    return landing


def _linked(files: list[Path], links: Links) -> list[str]:
    """The paths DuckDB reads ``files`` by: one link to the table's folder when every path below it is
    free of pattern characters (an export's always are), so a table of thousands of files costs one
    link, not thousands; a link per file otherwise."""
    folder = files[0].parent.parent  # <table folder>/<batch>/part-*.gz.parquet
    below = [f.relative_to(folder).as_posix() if f.is_relative_to(folder) else "*" for f in files]
    if any(PATTERN_CHARS.search(path) for path in below):
        return [links.to(f, ".parquet") for f in files]
    base = links.to(folder, "")
    return [f"{base}/{path}" for path in below]


def _create_view(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], links: Links) -> None:
    listed = ", ".join(_literal(path) for path in _linked(files, links))
    try:
        con.execute(f"CREATE VIEW {_identifier(name)} AS SELECT * FROM read_parquet([{listed}])")
    except duckdb.Error as exc:
        raise TaskFailed(
            f"reading table {name} from {shown(str(files[0].parent.parent))}: {links.named(_first_line(exc))}"
        ) from None


@contextmanager
def session(
    export_dir: Path | None, landing: dict[str, Path], *, memory_limit: str = "1GB"
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Links]]:
    """:func:`connect` and its links (for :func:`run`'s messages), closed and removed when the block
    ends."""
    folder = link_folder()
    try:
        links = Links(folder)
        con = connect(export_dir, landing, links, memory_limit=memory_limit)
        try:
            yield con, links
        finally:
            con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # links only: the files they name stay


def connect(
    export_dir: Path | None, landing: dict[str, Path], links: Links, *, memory_limit: str = "1GB"
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per exported table and per landing file, read through
    ``links``, which must outlive the connection (DuckDB reads the files when a query runs)."""
    # DuckDB spills past memory_limit to temp_directory, by default `.tmp` in the current folder: made
    # 0755, left behind, and a `.tmp` link planted there would choose where query data goes. The
    # links' folder is private (0700) and removed with the session.
    spill = links.folder / "spill"
    spill.mkdir(mode=0o700, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit,
        "temp_directory": str(spill),
    }
    con = duckdb.connect(":memory:", config=config)
    # Results need not keep the files' order, which lets scans stream in parallel.
    con.execute("SET preserve_insertion_order = false")
    views = table_files(export_dir) if export_dir is not None else {}
    for name, files in views.items():
        _create_view(con, name, files, links)
    if landing:
        # DuckDB 2.0's type pushdown moves a TRY_CAST over a CSV column into the CSV reader, where
        # it becomes a strict conversion that fails the scan; the text must reach the query's cast.
        con.execute("SET disabled_optimizers = 'type_pushdown'")
    taken = {view.casefold() for view in views}  # DuckDB's identifiers ignore case
    for name, path in landing.items():
        if name.casefold() in taken:
            raise BadInput(
                f"--landing {name}: the export already has a table of that name (DuckDB's names ignore "
                "case): choose another NAME"
            )
        suffix = path.suffix.lower()
        reader = LANDING_READERS[suffix].format(path=_literal(links.to(path, suffix)))
        try:
            con.execute(f"CREATE VIEW {_identifier(name)} AS SELECT * FROM {reader}")
        except duckdb.Error as exc:
            raise TaskFailed(
                f"--landing {name}: reading {shown(str(path))}: {links.named(_first_line(exc))}"
            ) from None
    return con


def _one_line(exc: BaseException) -> str:
    """DuckDB's message on one line: its lines joined, without the SQL it quotes (``LINE 1:`` and
    the caret under it), which the user has."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    quoted = next((i for i, line in enumerate(lines) if re.match(r"LINE \d+:", line)), len(lines))
    return " ".join(lines[:quoted]) or type(exc).__name__


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def run(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int, links: Links | None = None) -> LocalResult:
    """Run ``sql``; Ctrl-C and SIGTERM interrupt DuckDB at once (:func:`_interrupted_by_signals`).
    DuckDB's message (syntax, unknown table, failed cast) becomes a TaskFailed."""
    with _interrupted_by_signals(con):
        return _run(con, sql, max_rows, links or Links(Path()))


@contextmanager
def _interrupted_by_signals(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While the query runs in this thread, a SIGINT or SIGTERM calls ``con.interrupt()``.

    A Python signal handler runs only between bytecodes of the main thread, and DuckDB, busy in a
    query, looks for it rarely (a query whose output was not a terminal saw it tens of seconds
    later). The C-level handler writes the signal's number to the wakeup fd at once
    (``signal.set_wakeup_fd``); a thread that only reads that fd interrupts the query, and the
    Python handler then runs as the query returns. The query itself stays in this thread: a thread
    that ran DuckDB and was still ending when the interpreter finalised aborted the process
    ("FATAL: exception not rethrown").
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:  # no handlers can be set here: nothing to wake
        os.close(read_end)
        os.close(write_end)
        yield
        return
    watcher = threading.Thread(
        target=_interrupt_on_wakeup, args=(con, read_end), name="query-signals", daemon=True
    )
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        os.close(write_end)  # the watcher reads the end of the pipe and returns
        watcher.join()
        os.close(read_end)


def _interrupt_on_wakeup(con: duckdb.DuckDBPyConnection, read_end: int) -> None:
    while data := os.read(read_end, 64):
        if signal.SIGINT in data or signal.SIGTERM in data:
            con.interrupt()


def _run(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int, links: Links) -> LocalResult:
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(max_rows + 1) if columns else []
    except duckdb.Error as exc:
        raise TaskFailed(f"query failed: {links.named(_one_line(exc))}") from None
    return LocalResult(columns, rows[:max_rows], len(rows) > max_rows)


def views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        str(r[0])
        for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()
    ]
