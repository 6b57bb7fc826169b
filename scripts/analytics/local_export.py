"""The local environment's application tables as Parquet, in the folders an RDS export writes.

One consistent snapshot for all tables (a read-only transaction WITH CONSISTENT SNAPSHOT), read
from the connection it is given (the command gives it the replica: like a snapshot export, it
leaves the primary alone). Rows stream: a batch at a time is converted and written as one
Parquet row group, so memory stays at one batch whatever the table's size. The export is built
under a hidden folder and renamed into place at the end: a failed export leaves nothing that
``local query`` would pick up.
"""

from __future__ import annotations

import decimal
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from scripts.analytics import arrow_types, layout
from scripts.analytics.arrow_types import Column
from scripts.analytics.errors import BadInput, NotFound

BATCH_ROWS: Final = 50_000
ROWS_PER_FILE: Final = 1_000_000


@dataclass(frozen=True)
class TableExport:
    database: str
    table: str
    name: str
    """The table's name in Athena and in ``local query``."""
    rows: int
    files: int
    bytes: int


@dataclass(frozen=True)
class ExportSummary:
    export_id: str
    path: Path
    tables: list[TableExport]


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


def _converter(kind: pa.DataType) -> Callable[[Any], Any] | None:
    """What turns the connector's value into one Arrow takes for ``kind``; None: as it comes."""
    if pa.types.is_decimal(kind):
        return lambda v: v if v is None or isinstance(v, decimal.Decimal) else decimal.Decimal(v)
    if pa.types.is_string(kind):
        return lambda v: v.decode() if isinstance(v, bytes | bytearray) else v
    if pa.types.is_binary(kind):
        return lambda v: bytes(v) if isinstance(v, bytearray) else v
    return None


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


def _batch(
    rows: list[tuple[Any, ...]], schema: pa.Schema, converters: list[Callable[[Any], Any] | None]
) -> pa.RecordBatch:
    arrays = []
    for index, field in enumerate(schema):
        values = [row[index] for row in rows]
        convert = converters[index]
        if convert is not None:
            values = [convert(v) for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


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
            # gzip: the codec RDS exports use (.gz.parquet), read by Athena and DuckDB alike.
            self.writer = pq.ParquetWriter(path, self.schema, compression="gzip")
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
    database: str,
    table: str,
    folder: Path,
    *,
    batch_rows: int = BATCH_ROWS,
    rows_per_file: int = ROWS_PER_FILE,
    on_rows: Callable[[str, int], None] = lambda _t, _n: None,
) -> TableExport:
    columns = columns_of(conn, database, table)
    schema = arrow_types.schema(columns)
    converters = [_converter(f.type) for f in schema]
    files = _Files(folder, schema, rows_per_file)
    rows = 0
    select = ", ".join(select_expression(c) for c in columns)
    cur = conn.cursor(buffered=False)
    try:
        cur.execute(f"SELECT {select} FROM {_quoted(database)}.{_quoted(table)}")
        while chunk := cur.fetchmany(batch_rows):
            files.write(_batch(chunk, schema, converters))
            rows += len(chunk)
            on_rows(table, rows)
    finally:
        cur.close()
        files.close()
    count = files.finish()
    size = sum(p.stat().st_size for p in files.paths)
    return TableExport(database, table, layout.athena_name(database, table), rows, count, size)


@contextmanager
def _snapshot(conn: Any) -> Iterator[None]:
    with conn.cursor() as cur:
        cur.execute("SET SESSION time_zone = '+00:00'")
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute("ROLLBACK")


def _chosen_tables(conn: Any, database: str, only: tuple[str, ...]) -> list[str]:
    present = list_tables(conn, database)
    if not present:
        raise NotFound(f"database '{database}' has no tables to export (has the bootstrap run?)")
    if not only:
        return present
    wanted = []
    for name in only:
        db_name, table = layout.split_folder_name(name)
        if db_name != database:
            raise BadInput(f"--tables: '{name}' is not in database '{database}', the one being exported")
        if table not in present:
            raise NotFound(
                f"--tables: '{name}': database '{database}' has no table '{table}' "
                f"(it has: {', '.join(present)})"
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
    """Export ``database`` (or the ``only`` tables) to ``root/<export_id>``."""
    layout.check_export_id(export_id)
    final = root / export_id
    if final.exists():
        raise BadInput(f"export '{export_id}' already exists in {root}")
    partial = root / f".partial-{export_id}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with _snapshot(conn):
            tables = _chosen_tables(conn, database, only)
            done = [
                export_table(
                    conn,
                    database,
                    t,
                    partial / layout.table_folder(export_id, database, t).relative_to(export_id),
                    batch_rows=batch_rows,
                    rows_per_file=rows_per_file,
                    on_rows=on_rows,
                )
                for t in tables
            ]
        info = {"export_id": export_id, "database": database, "tables": [asdict(t) for t in done]}
        (partial / layout.EXPORT_INFO.format(export_id=export_id)).write_text(json.dumps(info, indent=2))
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return ExportSummary(export_id, final, done)
