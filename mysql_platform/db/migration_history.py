"""The migration history table: its columns, reading and writing its rows, putting them back.

One row per applied migration (version, checksum, duration, who and when), and for ``baseline``
one per file marked as applied. Its column types bound what a file may be (see
:data:`mysql_platform.db.migration_files.MAX_VERSION` and ``MAX_DESCRIPTION_CHARS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mysql.connector
from mysql.connector import errorcode
from mysql.connector.connection import MySQLConnection

from mysql_platform.db.migration_files import Migration

# The history table. Its column types bound what a file may be: see
# mysql_platform.db.migration_files.MAX_VERSION and MAX_DESCRIPTION_CHARS.
HISTORY_DDL = (
    "CREATE TABLE IF NOT EXISTS {table} ("
    " version INT UNSIGNED NOT NULL PRIMARY KEY,"
    " description VARCHAR(200) NOT NULL,"
    " script VARCHAR(255) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " statements INT UNSIGNED NOT NULL,"
    " duration_ms INT UNSIGNED NOT NULL,"
    " applied_by VARCHAR(288) NOT NULL,"
    " applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
    " kind VARCHAR(16) NOT NULL DEFAULT 'migrate',"
    " shape CHAR(64) NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
)
# Columns added after the first release, with their DDL: an older history table gets them (MySQL 8
# has no ADD COLUMN IF NOT EXISTS, so the runner asks information_schema first). ``kind`` is
# 'migrate' or 'baseline'; ``shape`` is the checksum of the statements with whitespace and comments
# ignored (see mysql_platform.db.sql_shape), so ``repair`` can tell a reformatted file from an edited one.
ADDED_COLUMNS = {
    "kind": "kind VARCHAR(16) NOT NULL DEFAULT 'migrate'",
    "shape": "shape CHAR(64) NULL",
}
HISTORY_COLUMNS = (
    "version", "description", "script", "checksum", "statements", "duration_ms", "applied_by", "kind", "shape"
)  # fmt: skip


@dataclass(frozen=True)
class Applied:
    """One history row, as read back."""

    version: int
    script: str
    checksum: str
    description: str = ""
    statements: int = 0
    duration_ms: int = 0
    applied_by: str = ""
    applied_at: Any = None  # a datetime as the connector returns it
    kind: str = "migrate"
    shape: str | None = None


# One history row, every column, as read: what is put back if a migration drops the table.
HistoryRow = tuple[Any, ...]  # as the connector returns the values, sent back unchanged
ROW_COLUMNS = (*HISTORY_COLUMNS, "applied_at")
# The history table or its schema is gone.
MISSING_ERRNOS = frozenset({errorcode.ER_NO_SUCH_TABLE, errorcode.ER_BAD_DB_ERROR})


class History:
    """The history table in ``schema``, over the caller's connection."""

    def __init__(self, conn: MySQLConnection, schema: str) -> None:
        self.conn = conn
        self.schema = schema
        self.table = f"`{schema}`.`schema_history`"

    def ensure(self, also: Sequence[str] = ()) -> None:
        """The schema and the history table with every column; then the statements in ``also``
        (the other tables the tool keeps in this schema)."""
        with self.conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{self.schema}` CHARACTER SET utf8mb4")
            cur.execute(HISTORY_DDL.format(table=self.table))
            for statement in also:
                cur.execute(statement)
            cur.execute(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS"
                " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = 'schema_history'",
                (self.schema,),
            )
            have = {str(row[0]).lower() for row in cur.fetchall()}  # type: ignore[index]
            for column, ddl in ADDED_COLUMNS.items():
                if column not in have:
                    cur.execute(f"ALTER TABLE {self.table} ADD COLUMN {ddl}")

    def applied(self) -> dict[int, Applied]:
        """The history as it is now; empty when the history table does not exist yet."""
        try:
            return parse_applied(self.rows())
        except mysql.connector.Error as exc:
            if exc.errno in MISSING_ERRNOS:
                return {}
            raise

    def rows(self, version: int | None = None) -> list[HistoryRow]:
        where, params = ("WHERE version = %s", (version,)) if version is not None else ("", ())
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT {', '.join(ROW_COLUMNS)} FROM {self.table} {where} ORDER BY version", params)
            return [tuple(row) for row in cur.fetchall()]

    def count(self) -> int | None:
        """Rows in the history table as this transaction sees them; None if it (or its schema) is gone."""
        return count_rows(self.conn, self.table)

    def put_back(self, rows: Sequence[HistoryRow]) -> str:
        """Restore ``rows`` (what the history held before a migration damaged it); say what happened."""
        try:
            self.ensure()  # DDL, so it commits: nothing of the migration is pending now
            values = ", ".join(["%s"] * len(ROW_COLUMNS))
            sql = f"INSERT IGNORE INTO {self.table} ({', '.join(ROW_COLUMNS)}) VALUES ({values})"
            with self.conn.cursor() as cur:
                cur.executemany(sql, rows)
            self.conn.commit()
        except mysql.connector.Error as exc:
            versions = ", ".join(str(row[0]) for row in rows) or "none"
            return (
                f"putting its {len(rows)} rows back failed (error {exc.errno}: {exc.msg}): restore the "
                f"rows of versions {versions} before the next run, or it applies them all again"
            )
        return f"the runner put back the {len(rows)} rows it had before"

    def insert(
        self, migration: Migration, *, count: int, duration_ms: float, kind: str, shape: str | None
    ) -> None:
        """One row for ``migration`` (applied_by is the session's CURRENT_USER())."""
        columns = ", ".join(HISTORY_COLUMNS)
        values = "%s, %s, %s, %s, %s, %s, CURRENT_USER(), %s, %s"  # the order of HISTORY_COLUMNS
        with self.conn.cursor() as cur:
            cur.execute(
                f"INSERT INTO {self.table} ({columns}) VALUES ({values})",
                (
                    migration.version,
                    migration.description,
                    migration.script,
                    migration.checksum,
                    count,
                    round(duration_ms),
                    kind,
                    shape,
                ),
            )


def count_rows(conn: MySQLConnection, table: str) -> int | None:
    """Rows in ``table`` as the connection's transaction sees them; None if it (or its schema) is gone."""
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            row = cur.fetchone()
    except mysql.connector.Error as exc:
        if exc.errno in MISSING_ERRNOS:
            return None
        raise
    return int(str(row[0])) if isinstance(row, tuple) else 0


def parse_applied(rows: Sequence[HistoryRow]) -> dict[int, Applied]:
    out: dict[int, Applied] = {}
    for row in rows:
        # The order of ROW_COLUMNS.
        version, description, script, checksum_, statements, duration_ms, applied_by, kind, shape, at = row
        out[int(str(version))] = Applied(
            version=int(str(version)),
            script=str(script),
            checksum=str(checksum_),
            description=str(description),
            statements=int(str(statements)),
            duration_ms=int(str(duration_ms)),
            applied_by=str(applied_by),
            applied_at=at,
            kind=str(kind),
            shape=None if shape is None else str(shape),
        )
    return out


@dataclass
class TableGuard:
    """Another table of the tool's that no file may touch, and its rows as the run knows them.

    The runner checks it as it checks the history (:class:`History.count`) before every record,
    and puts ``rows`` back when a file dropped or changed it; ``rows`` follows the runner's own
    writes (:meth:`refresh`, in the transaction of a record).
    """

    table: str  # `schema`.`name`
    columns: tuple[str, ...]
    ddl: str  # CREATE TABLE IF NOT EXISTS for it
    rows: list[HistoryRow]

    def read(self, conn: MySQLConnection) -> list[HistoryRow]:
        with conn.cursor() as cur:
            cur.execute(f"SELECT {', '.join(self.columns)} FROM {self.table} ORDER BY 1")
            return [tuple(row) for row in cur.fetchall()]

    def damage(self, conn: MySQLConnection) -> str | None:
        """What a file did to the table, or None."""
        found = count_rows(conn, self.table)
        if found is None:
            return f"dropped the table {self.table}"
        if found == len(self.rows):
            return None
        return f"changed the rows of the table {self.table} ({found} rows, expected {len(self.rows)})"

    def put_back(self, conn: MySQLConnection) -> str:
        """Restore ``rows``; say what happened (as :meth:`History.put_back`)."""
        try:
            with conn.cursor() as cur:
                cur.execute(self.ddl)  # DDL: it commits, nothing of the file is pending now
                cur.execute(f"DELETE FROM {self.table}")
                values = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({values})"
                cur.executemany(sql, self.rows)
            conn.commit()
        except mysql.connector.Error as exc:
            return (
                f"putting the {len(self.rows)} rows of {self.table} back failed (error {exc.errno}: "
                f"{exc.msg}): the files they name are applied again by the next run"
            )
        return f"the runner put back the {len(self.rows)} rows {self.table} had before"
