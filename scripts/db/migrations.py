"""Applying versioned SQL migrations: history, a named lock, apply-once.

The files (names, placeholders, checksums) are :mod:`scripts.db.migration_files`; which
statements share a round trip is :mod:`scripts.db.migration_batches`.

What "consistent" means here. MySQL/MariaDB commit DDL implicitly, so a migration
cannot be rolled back as a whole. The runner guarantees instead that:

- the history row of a migration is written only after *all* of its statements
  succeeded, in the same transaction as its last DML statements (statements run with
  autocommit off and one COMMIT at the end), so DML after the last DDL commits
  atomically with the history row;
- a migration that fails (bad statement, lost connection) gets no history row and
  is therefore retried, from its first statement, by the next run.

So write migrations that converge when re-run after a crash part-way through:
``CREATE ... IF NOT EXISTS``, ``CREATE OR REPLACE``, ``DROP ... IF EXISTS``,
``INSERT IGNORE``/``ON DUPLICATE KEY UPDATE`` on natural keys, and keep DML that must
not repeat after the migration's last DDL statement.

Round trips: the server must run exactly the statements the splitter produced, as
the ``mariadb`` client does, never re-parse several of them as one. Consecutive
statements whose grammar cannot contain a ``;`` of their own (INSERT, UPDATE, DELETE,
SELECT, SET, DROP, CREATE/ALTER TABLE, CREATE INDEX ...: see :func:`batchable`) are sent
in batches of up to :data:`BATCH_STATEMENTS` in one ``COM_QUERY`` (the connector enables
CLIENT_MULTI_STATEMENTS by default). Everything else goes alone, exactly as split:
DELIMITER blocks, ``CALL`` (several result sets), executable comments, and any statement
that could open a compound statement (``CREATE PROCEDURE``, ``BEGIN NOT ATOMIC``, ``IF``
...): a body with ``;`` written without DELIMITER reaches the server in pieces and fails
on its first piece, as in the client, instead of being re-joined into a valid block. The
server runs a batch's statements in order and stops at the first error; the runner
counts the results, so an error names the exact statement and its line. A batch whose
result count differs from the number of statements sent (which the rule above should
make impossible) fails naming the file and the batch's lines, before anything is
recorded. ``batch_statements=1`` turns batching off.

History: the runner owns the history table. A migration that drops it (or its schema) or
changes its row count is stopped before it is recorded, the rows read before it are put
back, and the run fails naming the file; without that, every later run would find an
empty history and apply every migration again. The files are checked to fit its columns
(:data:`scripts.db.migration_files.MAX_VERSION`) when they are loaded.

Concurrency: every run takes the server-wide named lock ``GET_LOCK`` (per history
table) with a timeout and re-reads the history after acquiring it, so concurrent
bootstraps apply each migration once; ``version`` is also the history's primary key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import mysql.connector
from mysql.connector import errorcode
from mysql.connector.connection import MySQLConnection
from mysql.connector.constants import ClientFlag

from scripts.db import migration_files, sql_shape
from scripts.db.connection import ConnectionLost, is_connection_lost
from scripts.db.migration_batches import BATCH_BYTES, BATCH_STATEMENTS, batches
from scripts.db.migration_files import DEFAULT_OPS_SCHEMA, Migration, MigrationFileError, validate_identifier
from scripts.db.prefetch import Prefetched
from scripts.db.sql_split import Statement, encoded, printable
from scripts.errors import EXIT_MIGRATION, PlatformError

_log = logging.getLogger(__name__)

STATEMENT_PREVIEW_CHARS = 200
# The connection's character set at the start of every file, as `mariadb --default-character-set`.
CHARSET = "utf8mb4"

# The history table. Its column types bound what a file may be: see
# scripts.db.migration_files.MAX_VERSION and MAX_DESCRIPTION_CHARS.
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
# ignored (see scripts.db.sql_shape), so ``repair`` can tell a reformatted file from an edited one.
ADDED_COLUMNS = {
    "kind": "kind VARCHAR(16) NOT NULL DEFAULT 'migrate'",
    "shape": "shape CHAR(64) NULL",
}
HISTORY_COLUMNS = (
    "version", "description", "script", "checksum", "statements", "duration_ms", "applied_by", "kind", "shape"
)  # fmt: skip


class MigrationError(PlatformError, RuntimeError):
    """Applying migrations failed: bad statement, edited applied file, lock timeout."""

    exit_code = EXIT_MIGRATION
    label = "migration"


class HistoryTableError(MigrationError):
    """A migration dropped or changed the runner's history table (it was put back if possible)."""


class OutOfOrder(MigrationError):
    """A pending version is lower than one already applied (allowed with ``out_of_order``)."""


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


@dataclass(frozen=True)
class RunResult:
    applied: tuple[tuple[Migration, float], ...]  # (migration, duration in ms)
    skipped: int


def preview(text: str) -> str:
    one_line = " ".join(printable(text).split())
    if len(one_line) <= STATEMENT_PREVIEW_CHARS:
        return one_line
    return one_line[: STATEMENT_PREVIEW_CHARS - 3] + "..."


# One history row, every column, as read: what is put back if a migration drops the table.
HistoryRow = tuple[Any, ...]  # as the connector returns the values, sent back unchanged
_ROW_COLUMNS = (*HISTORY_COLUMNS, "applied_at")
# The history table or its schema is gone.
_MISSING_ERRNOS = frozenset({errorcode.ER_NO_SUCH_TABLE, errorcode.ER_BAD_DB_ERROR})


class Runner:
    """Applies migrations over one connection. The caller owns (and closes) the connection."""

    def __init__(
        self,
        conn: MySQLConnection,
        *,
        history_schema: str = DEFAULT_OPS_SCHEMA,
        lock_timeout_s: int = 120,
        progress: Callable[[str], None] = _log.info,
        batch_statements: int = BATCH_STATEMENTS,
    ) -> None:
        self.conn = conn
        multi = bool(conn.client_flags & ClientFlag.MULTI_STATEMENTS)
        self.batch_statements = max(1, batch_statements) if multi else 1
        self.schema = validate_identifier(history_schema, "history schema")
        self.table = f"`{self.schema}`.`schema_history`"
        # GET_LOCK names are server-wide; scope it to the history table it guards.
        self.lock_name = f"mysql-platform.migrations.{self.schema}"
        self.lock_timeout_s = lock_timeout_s
        self.progress = progress

    def run(self, migrations: Sequence[Migration], *, out_of_order: bool = False) -> RunResult:
        """Apply what is pending, in version order; every pending file is checked first."""
        migrations = self.own(migrations)
        self.ensure_history()
        with self.locked():
            rows = self._history_rows()  # read *after* the lock: another run may just have finished
            pending = self._pending(migrations, _applied(rows), out_of_order)
            results = tuple((m, self._apply(m, rows)) for m in pending)
            return RunResult(applied=results, skipped=len(migrations) - len(pending))

    def pending(self, migrations: Sequence[Migration], *, out_of_order: bool = False) -> list[Migration]:
        """What :meth:`run` would apply now, checked as it would check it; changes nothing."""
        migrations = self.own(migrations)
        return self._pending(migrations, self.applied(), out_of_order)

    def own(self, migrations: Sequence[Migration]) -> list[Migration]:
        # ${ops_schema} is where this runner keeps its history, whatever the loader assumed.
        return [m.with_ops_schema(self.schema) for m in migrations]

    def _pending(
        self, migrations: Sequence[Migration], applied: dict[int, Applied], out_of_order: bool
    ) -> list[Migration]:
        self._verify(migrations, applied)
        pending = [m for m in migrations if m.version not in applied]
        if pending and applied and not out_of_order:
            newest = max(applied.values(), key=lambda a: a.version)
            if pending[0].version < newest.version:
                raise OutOfOrder(
                    f"migration {pending[0].script} (version {pending[0].version}) is pending but version "
                    f"{newest.version} ({newest.script}) is already applied: applying it now would run it "
                    "after a later one; renumber it above the newest, or pass --out-of-order"
                )
        # Every pending file that runs in a transaction is read through once before the first
        # statement runs: a bad line anywhere stops the run with nothing applied. A file with
        # executeInTransaction=false is applied as the mariadb client applies it, statement by
        # statement (a bad line stops it there): it accepts partial application anyway.
        return [migration_files.check(m) if m.config.execute_in_transaction else m for m in pending]

    def ensure_history(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{self.schema}` CHARACTER SET utf8mb4")
            cur.execute(HISTORY_DDL.format(table=self.table))
            cur.execute(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS"
                " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = 'schema_history'",
                (self.schema,),
            )
            have = {str(row[0]).lower() for row in cur.fetchall()}  # type: ignore[index]
            for column, ddl in ADDED_COLUMNS.items():
                if column not in have:
                    cur.execute(f"ALTER TABLE {self.table} ADD COLUMN {ddl}")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the migration lock (server-wide, per history schema) for the block."""
        self._lock()
        try:
            yield
        finally:
            self._unlock()

    def _lock(self) -> None:
        if self._get_lock(0):
            return
        # Say why nothing happens for a while: another bootstrap is applying migrations.
        self.progress(f"waiting up to {self.lock_timeout_s} s for the migration lock '{self.lock_name}'")
        if not self._get_lock(self.lock_timeout_s):
            raise MigrationError(
                f"could not take the migration lock '{self.lock_name}' within {self.lock_timeout_s} s "
                "(another bootstrap is probably applying migrations; retry when it is done)"
            )

    def _get_lock(self, timeout_s: int) -> bool:
        with self.conn.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, %s)", (self.lock_name, timeout_s))
            row = cur.fetchone()
        return isinstance(row, tuple) and row[0] == 1

    def _unlock(self) -> None:
        # A dead connection has released its locks already.
        with suppress(mysql.connector.Error), self.conn.cursor() as cur:
            cur.execute("SELECT RELEASE_LOCK(%s)", (self.lock_name,))
            cur.fetchall()

    def applied(self) -> dict[int, Applied]:
        """The history as it is now; empty when the history table does not exist yet."""
        try:
            return _applied(self._history_rows())
        except mysql.connector.Error as exc:
            if exc.errno in _MISSING_ERRNOS:
                return {}
            raise

    def _history_rows(self, version: int | None = None) -> list[HistoryRow]:
        where, params = ("WHERE version = %s", (version,)) if version is not None else ("", ())
        with self.conn.cursor() as cur:
            cur.execute(
                f"SELECT {', '.join(_ROW_COLUMNS)} FROM {self.table} {where} ORDER BY version", params
            )
            return [tuple(row) for row in cur.fetchall()]

    def _verify(self, migrations: Sequence[Migration], applied: dict[int, Applied]) -> None:
        by_version = {m.version: m for m in migrations}
        for version, row in applied.items():
            migration = by_version.get(version)
            if migration is None:
                raise MigrationError(
                    f"history has version {version} ('{row.script}') but no such file in the "
                    "migrations directory; applied migrations must not be removed"
                )
            if not migration.matches(row.checksum):
                raise MigrationError(
                    f"migration '{migration.path}' was edited after it was applied "
                    f"(checksum {migration.checksum[:12]}, applied {row.checksum[:12]}); "
                    "applied migrations are immutable: add a new V<NNN> file instead"
                )

    def _apply(self, migration: Migration, rows: list[HistoryRow]) -> float:
        """Run one migration and record it; ``rows`` (the history so far) gains its row."""
        started = time.perf_counter()
        shape = sql_shape.ShapeHash()
        count = 0
        # Each file starts with the default character set: a SET NAMES in the one before must
        # not change how this one's bytes are read.
        self._set_names()
        # executeInTransaction=false (the file's .conf): every statement commits as it runs.
        self.conn.autocommit = not migration.config.execute_in_transaction
        try:
            statements = shape.track(migration.iter_statements())
            ahead = Prefetched(batches(statements, self.batch_statements, BATCH_BYTES))
            try:
                for batch in ahead:
                    self._execute(migration, batch)
                    count += len(batch)
            finally:
                ahead.close()  # a failed statement stops the reading too
            self._check_history(migration, rows)
            self._set_names()
            self.conn.autocommit = False  # the history row, read back in the same transaction
            duration_ms = (time.perf_counter() - started) * 1000
            self._record(migration, count, duration_ms, shape.hexdigest())
            new_rows = self._history_rows(migration.version)  # in the transaction: sees its own row
            self.conn.commit()
        except MigrationError as exc:
            self._rollback()
            # A statement after the one that dropped the history failed: the history is gone all the same.
            raise self._with_history_check(migration, rows, exc) from None
        except MigrationFileError as exc:
            self._rollback()
            raise self._with_history_check(migration, rows, MigrationError(str(exc))) from None
        except BaseException:
            self._rollback()
            raise
        finally:
            self._restore_autocommit()
        rows.extend(new_rows)
        self.progress(f"applied {migration.script} ({count} statements) in {duration_ms:.0f} ms")
        return duration_ms

    def _set_names(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"SET NAMES {CHARSET}")

    def _record(self, migration: Migration, count: int, duration_ms: float, shape: str) -> None:
        insert_row(
            self.conn,
            self.table,
            migration,
            count=count,
            duration_ms=duration_ms,
            kind="migrate",
            shape=shape,
        )

    def _execute(self, migration: Migration, batch: Sequence[Statement]) -> None:
        done = 0
        try:
            for _result in self.conn.cmd_query_iter(encoded(";\n".join(s.text for s in batch))):
                if self.conn.unread_result:
                    self.conn.get_rows()
                done += 1
        except mysql.connector.Error as exc:
            if len(batch) > 1 and done >= len(batch):
                raise self._miscounted(migration, batch, done + 1) from None
            # The server stops a batch at its first error: statement number `done` failed.
            statement = batch[done]
            where = f"{migration.path}:{statement.line}"
            server = f"error {exc.errno}: {exc.msg}"
            if is_connection_lost(exc):
                raise ConnectionLost(
                    f"lost the connection while applying {where} ({server}); no history row was "
                    f"written for {migration.script}, so a rerun applies it again"
                ) from None
            raise MigrationError(
                f"migration failed at {where}: {server}\n  statement: {preview(statement.text)}"
            ) from None
        # Batched statements give one result each; a statement sent alone (CALL, a DELIMITER
        # block) gives what the client would get too, so only batches are counted.
        if len(batch) > 1 and done != len(batch):
            raise self._miscounted(migration, batch, done)

    def _miscounted(self, migration: Migration, batch: Sequence[Statement], results: int) -> MigrationError:
        # Which statement the server read differently cannot be told from a count: name them all.
        lines = f"{batch[0].line}-{batch[-1].line}"
        return MigrationError(
            f"migration failed at {migration.path}:{lines}: the server returned {results} results for "
            f"the {len(batch)} statements sent together from lines {lines}, so it did not end them "
            "where the splitter did (an executable comment holding ';', or a string under "
            "NO_BACKSLASH_ESCAPES?); some of them ran, no history row was written"
            f"\n  first statement: {preview(batch[0].text)}"
        )

    def _check_history(self, migration: Migration, rows: Sequence[HistoryRow]) -> None:
        """Stop a migration that dropped or changed the history table before it is recorded."""
        damage = self._history_damage(rows)
        if damage is not None:
            raise self._history_error(migration, rows, damage)

    def _with_history_check(
        self, migration: Migration, rows: Sequence[HistoryRow], failure: MigrationError
    ) -> MigrationError:
        """``failure``, or the history damage it hides (with ``failure`` appended)."""
        if isinstance(failure, HistoryTableError):
            return failure
        try:
            damage = self._history_damage(rows)
        except mysql.connector.Error:
            return failure  # the statement's error is what the user needs first
        if damage is None:
            return failure
        return self._history_error(migration, rows, damage, later=str(failure))

    def _history_damage(self, rows: Sequence[HistoryRow]) -> str | None:
        found = self._history_count()
        if found == len(rows):
            return None
        if found is None:
            return f"dropped the history table {self.table}"
        return f"changed the rows of the history table {self.table} ({found} rows, expected {len(rows)})"

    def _history_error(
        self, migration: Migration, rows: Sequence[HistoryRow], damage: str, later: str | None = None
    ) -> HistoryTableError:
        also = f"\n  it also failed afterwards: {later}" if later else ""
        return HistoryTableError(
            f"migration '{migration.path}' {damage}; {self._put_back(rows)}; {migration.script} was "
            "not recorded and nothing after it ran: a migration must not touch the history (the runner "
            "reads it to skip what was applied, so without it every migration runs again); remove that "
            f"statement and rerun{also}"
        )

    def _history_count(self) -> int | None:
        """Rows in the history table as this transaction sees them; None if it (or its schema) is gone."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(f"SELECT COUNT(*) FROM {self.table}")
                row = cur.fetchone()
        except mysql.connector.Error as exc:
            if exc.errno in _MISSING_ERRNOS:
                return None
            raise
        return int(str(row[0])) if isinstance(row, tuple) else 0

    def _put_back(self, rows: Sequence[HistoryRow]) -> str:
        """Restore the history as it was before the migration; say what happened."""
        try:
            self._rollback()  # the migration's pending DML must not commit with the restore
            self.ensure_history()  # DDL, so it commits: nothing of the migration is pending now
            values = ", ".join(["%s"] * len(_ROW_COLUMNS))
            sql = f"INSERT IGNORE INTO {self.table} ({', '.join(_ROW_COLUMNS)}) VALUES ({values})"
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

    def _rollback(self) -> None:
        # If the connection is gone the server rolls the open transaction back itself.
        with suppress(mysql.connector.Error):
            self.conn.rollback()

    def _restore_autocommit(self) -> None:
        with suppress(mysql.connector.Error):
            self.conn.autocommit = True


def _applied(rows: Sequence[HistoryRow]) -> dict[int, Applied]:
    out: dict[int, Applied] = {}
    for row in rows:
        # The order of _ROW_COLUMNS.
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


def insert_row(
    conn: MySQLConnection,
    table: str,
    migration: Migration,
    *,
    count: int,
    duration_ms: float,
    kind: str,
    shape: str | None,
) -> None:
    """One history row for ``migration`` (applied_by is the session's CURRENT_USER())."""
    columns = ", ".join(HISTORY_COLUMNS)
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, CURRENT_USER(), %s, %s)",
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
