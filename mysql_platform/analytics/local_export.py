"""The local environment's application tables as Parquet, in the folders an RDS export writes.

One consistent snapshot for all tables (a read-only transaction WITH CONSISTENT SNAPSHOT), read
from the connection it is given (the command gives it the replica: like a snapshot export, it
leaves the primary alone). Rows stream: a batch at a time is converted and written as one
Parquet row group, so memory stays at one batch whatever the table's size. The export is built
under a hidden folder and renamed into place at the end: a failed export leaves nothing that
``local query`` would pick up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
from mysql.connector import errors as mysql_errors

from mysql_platform.analytics import arrow_types, layout, partials
from mysql_platform.analytics.arrow_types import Column
from mysql_platform.analytics.display import shown, shown_table
from mysql_platform.analytics.errors import BadInput, NotFound

BATCH_ROWS: Final = 50_000
ROWS_PER_FILE: Final = 1_000_000
GZIP_LEVEL: Final = 3


@dataclass(frozen=True)
class TableExport:
    database: str
    table: str
    name: str
    """The table's name in Athena and in ``local query``."""
    folder: str
    """The table's folder in the export, ``<database folder>/<table folder>``."""
    rows: int
    files: int
    bytes: int


@dataclass(frozen=True)
class ExportSummary:
    export_id: str
    path: Path
    tables: list[TableExport]
    cleanup: partials.Cleanup
    """The stale ``.partial-*`` folders of killed exports this export removed, and those it could not."""


def _rows(cursor: Any, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    cursor.execute(sql, params)
    return list(cursor.fetchall())


def list_tables(conn: Any, database: str) -> list[str]:
    with conn.cursor() as cur:
        found = _rows(
            cur,
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
            "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            (database,),
        )
    return [str(r[0]) for r in found]


def columns_of(conn: Any, database: str, table: str) -> list[Column]:
    with conn.cursor() as cur:
        found = _rows(
            cur,
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
            "ORDER BY ORDINAL_POSITION",
            (database, table),
        )
    return [
        Column(str(n), str(d), str(t), p if p is None else int(p), s if s is None else int(s))
        for n, d, t, p, s in found
    ]


def select_expression(column: Column) -> str:
    """The column as the SELECT reads it: TIME and SET as the server prints them (a TIME may be
    negative or past 24 h; SET members in their declared order), BIT as its number."""
    name = _quoted(column.name)
    kind = column.data_type.lower()
    if kind in ("time", "set"):
        return f"CAST({name} AS CHAR)"
    if kind == "bit":
        return f"CAST({name} AS UNSIGNED)"
    return name


def _arrow_column(values: list[Any], kind: pa.DataType) -> pa.Array:
    """The server's text (raw cursor: bytes, or None) as ``kind``; Arrow's casts parse it in C++."""
    raw = pa.array(values, pa.binary())
    if pa.types.is_binary(kind):
        return raw
    text = raw.cast(pa.string())  # checks UTF-8: the connection's character set is utf8mb4
    return text if pa.types.is_string(kind) else text.cast(kind)


def _batch(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.RecordBatch:
    arrays = [_arrow_column([row[i] for row in rows], field.type) for i, field in enumerate(schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def primary_key(conn: Any, database: str, table: str) -> list[str]:
    with conn.cursor() as cur:
        found = _rows(
            cur,
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = %s "
            "AND TABLE_NAME = %s AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
            (database, table),
        )
    return [str(r[0]) for r in found]


def _after(key: list[str]) -> str:
    """``(a, b) > (?, ?)`` spelt as ranges the optimizer reads: a > ? OR (a = ? AND b > ?)."""
    terms = []
    for i, column in enumerate(key):
        equal = [f"{_quoted(c)} = %s" for c in key[:i]]
        terms.append("(" + " AND ".join([*equal, f"{_quoted(column)} > %s"]) + ")")
    return " OR ".join(terms)


def _after_params(last: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(v for i in range(len(last)) for v in (*last[:i], last[i]))


def read_batches(
    conn: Any, database: str, table: str, columns: list[Column], batch_rows: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows as the server's text, ``batch_rows`` at a time.

    With a primary key, one bounded query per batch in key order (``WHERE key > last ORDER BY key
    LIMIT n``, the ranged reads an RDS export makes too): each answer is read whole, which the
    connector does far faster than row by row. Without one, a single streamed SELECT.
    """
    select = ", ".join(select_expression(c) for c in columns)
    source = f"{_quoted(database)}.{_quoted(table)}"
    key = primary_key(conn, database, table)
    names = [c.name for c in columns]
    if any(select_expression(columns[names.index(k)]) != _quoted(k) for k in key):
        key = []  # a TIME, SET or BIT key is read as text: its order is not the column's
    if not key:
        cur = conn.cursor(raw=True, buffered=False)
        try:
            cur.execute(f"SELECT {select} FROM {source}")
            while chunk := cur.fetchmany(batch_rows):
                yield chunk
        finally:
            # Closed early (interrupted, or a write failed), the stream still has rows: the
            # connector refuses to close the cursor over them ("Unread result found"), and raised
            # while the generator is finalised that is printed as an ignored exception with its
            # traceback. The connection is abandoned then anyway; what went wrong is raised already.
            with suppress(mysql_errors.Error):
                cur.close()
        return
    positions = [names.index(k) for k in key]
    binary = {k for k in key if arrow_types.arrow_type(columns[names.index(k)]) == pa.binary()}
    order = ", ".join(_quoted(k) for k in key)
    last: tuple[Any, ...] | None = None
    with conn.cursor(raw=True, buffered=True) as cur:
        while True:
            where = "" if last is None else f" WHERE {_after(key)}"
            cur.execute(f"SELECT {select} FROM {source}{where} ORDER BY {order} LIMIT {int(batch_rows)}",
                        () if last is None else _after_params(last))  # fmt: skip
            chunk = cur.fetchall()
            if not chunk:
                return
            yield chunk
            if len(chunk) < batch_rows:
                return
            tail = chunk[-1]
            last = tuple(
                bytes(tail[p]) if k in binary else bytes(tail[p]).decode()
                for k, p in zip(key, positions, strict=True)
            )


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class _Files:
    """part-00000, part-00001, ... of one table, a new file every ``rows_per_file`` rows."""

    def __init__(self, folder: Path, schema: pa.Schema, rows_per_file: int) -> None:
        self.folder, self.schema, self.rows_per_file = folder, schema, rows_per_file
        self.writer: pq.ParquetWriter | None = None
        self.paths: list[Path] = []
        self.rows_in_file = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if self.writer is None or self.rows_in_file >= self.rows_per_file:
            self.close()
            path = self.folder / layout.part_file(1, len(self.paths), uuid.uuid4().hex)
            path.parent.mkdir(parents=True, exist_ok=True)
            # gzip: the codec RDS exports use (.gz.parquet), read by Athena and DuckDB alike. At
            # level 3: pyarrow's default level 9 took 2.0 s for 100,000 orders where 3 takes
            # 0.06 s, for a file 0.1 % smaller.
            self.writer = pq.ParquetWriter(
                path, self.schema, compression="gzip", compression_level=GZIP_LEVEL
            )
            self.paths.append(path)
            self.rows_in_file = 0
        self.writer.write_batch(batch)
        self.rows_in_file += batch.num_rows

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def finish(self) -> int:
        self.close()
        if not self.paths:  # an empty table is still a table: one file with its schema
            self.paths.append(self.folder / layout.part_file(1, 0, uuid.uuid4().hex))
            self.paths[0].parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(self.schema.empty_table(), self.paths[0], compression="gzip")
        return len(self.paths)


def export_table(
    conn: Any,
    names: layout.TableNames,
    root: Path,
    *,
    batch_rows: int = BATCH_ROWS,
    rows_per_file: int = ROWS_PER_FILE,
    on_rows: Callable[[str, int], None] = lambda _t, _n: None,
) -> TableExport:
    """Write ``names``' table to its folder under ``root`` (the export's folder)."""
    database, table = names.database, names.table
    folder = root / names.database_folder / names.folder
    if not folder.resolve().is_relative_to(root.resolve()):  # layout.names() rules this out
        raise BadInput(
            f"table '{shown_table(database, table)}': its folder {shown(str(folder))} is outside the export"
        )
    columns = columns_of(conn, database, table)
    schema = arrow_types.schema(columns)
    files = _Files(folder, schema, rows_per_file)
    rows = 0
    try:
        for chunk in read_batches(conn, database, table, columns, batch_rows):
            files.write(_batch(chunk, schema))
            rows += len(chunk)
            on_rows(table, rows)
    finally:
        files.close()
    count = files.finish()
    size = sum(p.stat().st_size for p in files.paths)
    where = f"{names.database_folder}/{names.folder}"
    return TableExport(database, table, names.athena, where, rows, count, size)


@contextmanager
def _snapshot(conn: Any) -> Iterator[None]:
    with conn.cursor() as cur:
        cur.execute("SET SESSION time_zone = '+00:00'")
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    try:
        yield
    except BaseException:
        # An interrupted read leaves the connection unusable (an unread answer, a shut socket): the
        # ROLLBACK's error would replace the interruption, and the server rolls back when it goes.
        with suppress(Exception), conn.cursor() as cur:
            cur.execute("ROLLBACK")
        raise
    with conn.cursor() as cur:
        cur.execute("ROLLBACK")


def _chosen_tables(conn: Any, database: str, only: tuple[str, ...]) -> list[str]:
    present = list_tables(conn, database)
    if not present:
        raise NotFound(f"database '{shown(database)}' has no tables to export (has the bootstrap run?)")
    if not only:
        return present
    wanted = []
    for name in only:
        db_name, table = layout.split_folder_name(name)
        if db_name != database:
            raise BadInput(
                f"--tables: '{shown(name)}' is not in database '{shown(database)}', the one being exported"
            )
        if table not in present:
            raise NotFound(
                f"--tables: '{shown(name)}': database '{shown(database)}' has no table '{shown(table)}' "
                f"(it has: {', '.join(shown(p) for p in present)})"
            )
        wanted.append(table)
    return wanted


def export_database(
    conn: Any,
    database: str,
    root: Path,
    export_id: str,
    *,
    only: tuple[str, ...] = (),
    batch_rows: int = BATCH_ROWS,
    rows_per_file: int = ROWS_PER_FILE,
    on_rows: Callable[[str, int], None] = lambda _t, _n: None,
) -> ExportSummary:
    """Export ``database`` (or the ``only`` tables) to ``root/<export_id>``.

    The export is written to ``root/.partial-<export_id>`` while this process holds the lock on
    ``root/.partial-<export_id>.lock``, and renamed into place at the end; stale partial folders
    of killed exports are removed first (:func:`partials.remove_stale`).
    """
    layout.check_export_id(export_id)
    final = root / export_id
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot create the exports folder {shown(str(root))}: {exc.strerror}") from None
    cleanup = partials.remove_stale(root)
    with partials.claimed(root, export_id) as partial:
        # Under the lock: another export of the same id (started in the same microsecond) has
        # either renamed its folder into place by now, or cannot until this one is done.
        if final.exists():
            raise BadInput(f"export '{export_id}' already exists in {shown(str(root))}: export again")
        with _snapshot(conn):
            chosen = _chosen_tables(conn, database, only)
            done = [
                export_table(conn, n, partial, batch_rows=batch_rows, rows_per_file=rows_per_file,
                             on_rows=on_rows)
                for n in layout.names_of((database, t) for t in chosen)
            ]  # fmt: skip
        info = {"export_id": export_id, "database": database, "tables": [asdict(t) for t in done]}
        (partial / layout.EXPORT_INFO.format(export_id=export_id)).write_text(json.dumps(info, indent=2))
        try:
            partial.rename(final)
        except OSError as exc:
            raise BadInput(
                f"cannot rename {shown(str(partial))} to {shown(str(final))} ({exc.strerror}): export again"
            ) from None
    return ExportSummary(export_id, final, done, cleanup)
