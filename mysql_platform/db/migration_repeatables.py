"""Repeatable migrations (``R__<name>.sql``): their table in the ops schema, their states.

A repeatable file is applied after every versioned file of a run, in the order of the
descriptions, when it was never applied or its checksum differs from the one recorded: views,
functions, procedures and triggers kept as ``CREATE OR REPLACE`` in files. An edit is never an
error, it is the point. The versioned history keys its rows by ``version INT UNSIGNED``, which a
repeatable has not, so the tool keeps them in a table of their own beside it,
``<ops schema>.repeatable_history``, one row per script (the newest application), written in the
transaction of the file's last statements like a versioned row.

States: ``pending`` (never applied), ``applied`` (its checksum is the one recorded), ``outdated``
(changed since: the next ``migrate`` applies it again), ``missing`` (a row whose file is gone:
``repair`` drops it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.db.migration_apply import Outcome, Recording
from mysql_platform.db.migration_files import Migration
from mysql_platform.db.migration_history import MISSING_ERRNOS, History, HistoryRow, TableGuard

TABLE = "repeatable_history"
REPEATABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS {schema}.repeatable_history ("
    " script VARCHAR(255) NOT NULL PRIMARY KEY,"
    " description VARCHAR(200) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " statements INT UNSIGNED NOT NULL,"
    " duration_ms INT UNSIGNED NOT NULL,"
    " applied_by VARCHAR(288) NOT NULL,"
    " applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
    " shape CHAR(64) NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
)
COLUMNS = (
    "script",
    "description",
    "checksum",
    "statements",
    "duration_ms",
    "applied_by",
    "applied_at",
    "shape",
)

PENDING = "pending"
APPLIED = "applied"
OUTDATED = "outdated"
MISSING = "missing"


@dataclass(frozen=True)
class RepeatableRow:
    script: str
    description: str
    checksum: str
    statements: int
    duration_ms: int
    applied_by: str
    applied_at: Any  # a datetime as the connector returns it
    shape: str | None


@dataclass(frozen=True)
class RepeatableStatus:
    script: str
    description: str
    state: str
    file_checksum: str | None
    applied: RepeatableRow | None

    def as_dict(self) -> dict[str, Any]:
        row = self.applied
        return {
            "script": self.script,
            "description": self.description,
            "state": self.state,
            "checksum": self.file_checksum,
            "applied_checksum": None if row is None else row.checksum,
            "applied_at": None if row is None or row.applied_at is None else str(row.applied_at),
            "applied_by": None if row is None else row.applied_by,
            "duration_ms": None if row is None else row.duration_ms,
            "statements": None if row is None else row.statements,
        }


def table(schema: str) -> str:
    return f"`{schema}`.`{TABLE}`"


def read(conn: MySQLConnection, schema: str) -> dict[str, RepeatableRow]:
    """The rows by script; empty when the table (or its schema) does not exist yet."""
    return parse(guard(conn, schema).rows)


def parse(rows: Sequence[HistoryRow]) -> dict[str, RepeatableRow]:
    """Rows as read (the order of COLUMNS), by script."""
    out = {}
    for script, description, checksum, statements, duration_ms, applied_by, at, shape in rows:
        out[str(script)] = RepeatableRow(
            str(script),
            str(description),
            str(checksum),
            int(str(statements)),
            int(str(duration_ms)),
            str(applied_by),
            at,
            None if shape is None else str(shape),
        )
    return out


def _write(history: History, migration: Migration, outcome: Outcome) -> None:
    # REPLACE: the row of the previous application (if any) gives way to this one.
    with history.conn.cursor() as cur:
        cur.execute(
            f"REPLACE INTO {table(history.schema)}"
            " (script, description, checksum, statements, duration_ms, applied_by, shape)"
            " VALUES (%s, %s, %s, %s, %s, CURRENT_USER(), %s)",
            (
                migration.script,
                migration.description,
                migration.checksum,
                outcome.count,
                round(outcome.duration_ms),
                outcome.shape,
            ),
        )


RECORDING = Recording(_write, refresh_guard=True)


def guard(conn: MySQLConnection, schema: str) -> TableGuard:
    """The repeatable history, guarded: its rows now (none when the table does not exist yet)."""
    ddl = REPEATABLE_DDL.format(schema=f"`{schema}`")
    found = TableGuard(table(schema), COLUMNS, ddl, [])
    try:
        found.rows = found.read(conn)
    except mysql.connector.Error as exc:
        if exc.errno not in MISSING_ERRNOS:
            raise
    return found


def statuses(files: Sequence[Migration], rows: dict[str, RepeatableRow]) -> list[RepeatableStatus]:
    """One status per repeatable file (in the order they apply), then the rows whose file is gone."""
    out = []
    for m in files:
        row = rows.get(m.script)
        state = PENDING if row is None else APPLIED if m.matches(row.checksum) else OUTDATED
        out.append(RepeatableStatus(m.script, m.description, state, m.checksum, row))
    named = {m.script for m in files}
    for script, row in sorted(rows.items()):
        if script not in named:
            out.append(RepeatableStatus(script, row.description, MISSING, None, row))
    return out


def pending(files: Sequence[Migration], rows: dict[str, RepeatableRow]) -> list[Migration]:
    """The files a run applies: never applied, or changed since."""
    return [m for m in files if (row := rows.get(m.script)) is None or not m.matches(row.checksum)]


def problems(found: Sequence[RepeatableStatus]) -> list[str]:
    return [
        f"{s.script} is in {TABLE} but its file is gone (repair drops the row)"
        for s in found
        if s.state == MISSING
    ]


def lines(found: Sequence[RepeatableStatus]) -> list[str]:
    """``info``'s text for the repeatable files: a header and one aligned line each."""
    header = ("repeatable", "state", "applied at", "ms", "checksum")
    rows = [header] + [
        (
            s.script,
            s.state,
            "" if s.applied is None or s.applied.applied_at is None else str(s.applied.applied_at)[:19],
            "" if s.applied is None else str(s.applied.duration_ms),
            (s.file_checksum or (s.applied.checksum if s.applied else ""))[:12],
        )
        for s in found
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def drop_rows(conn: MySQLConnection, schema: str, scripts: Sequence[str]) -> None:
    """Delete the rows of ``scripts`` (repair: their files are gone); in the caller's transaction."""
    with conn.cursor() as cur:
        for script in scripts:
            cur.execute(f"DELETE FROM {table(schema)} WHERE script = %s", (script,))
