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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import mysql.connector
from mysql.connector.connection import MySQLConnection
from mysql.connector.constants import ClientFlag

from scripts.db import migration_files, sql_shape
from scripts.db.connection import ConnectionLost, is_connection_lost
from scripts.db.migration_batches import BATCH_BYTES, BATCH_STATEMENTS, batches
from scripts.db.migration_files import DEFAULT_OPS_SCHEMA, Migration, MigrationFileError, validate_identifier
from scripts.db.migration_history import Applied, History, HistoryRow, parse_applied
from scripts.db.prefetch import Prefetched
from scripts.db.sql_split import Statement, encoded, printable
from scripts.errors import EXIT_MIGRATION, PlatformError

_log = logging.getLogger(__name__)

STATEMENT_PREVIEW_CHARS = 200
# The connection's character set at the start of every file, as `mariadb --default-character-set`.
CHARSET = "utf8mb4"


class MigrationError(PlatformError, RuntimeError):
    """Applying migrations failed: bad statement, edited applied file, lock timeout."""

    exit_code = EXIT_MIGRATION
    label = "migration"


class HistoryTableError(MigrationError):
    """A migration dropped or changed the runner's history table (it was put back if possible)."""


class OutOfOrder(MigrationError):
    """A pending version is lower than one already applied (allowed with ``out_of_order``)."""


@dataclass(frozen=True)
class RunResult:
    applied: tuple[tuple[Migration, float], ...]  # (migration, duration in ms)
    skipped: int


def preview(text: str) -> str:
    one_line = " ".join(printable(text).split())
    if len(one_line) <= STATEMENT_PREVIEW_CHARS:
        return one_line
    return one_line[: STATEMENT_PREVIEW_CHARS - 3] + "..."


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
        self.history = History(conn, self.schema)
        self.table = self.history.table
        # GET_LOCK names are server-wide; scope it to the history table it guards.
        self.lock_name = f"mysql-platform.migrations.{self.schema}"
        self.lock_timeout_s = lock_timeout_s
        self.progress = progress

    def run(self, migrations: Sequence[Migration], *, out_of_order: bool = False) -> RunResult:
        """Apply what is pending, in version order; every pending file is checked first."""
        migrations = self.own(migrations)
        self.ensure_history()
        with self.locked():
            rows = self.history.rows()  # read *after* the lock: another run may just have finished
            pending = self._pending(migrations, parse_applied(rows), out_of_order)
            results = tuple((m, self._apply(m, rows)) for m in pending)
            return RunResult(applied=results, skipped=len(migrations) - len(pending))

    def pending(self, migrations: Sequence[Migration], *, out_of_order: bool = False) -> list[Migration]:
        """What :meth:`run` would apply now, checked as it would check it; changes nothing."""
        migrations = self.own(migrations)
        return self._pending(migrations, self.history.applied(), out_of_order)

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
            # The read-ahead thread also encodes each round trip's bytes.
            ahead = Prefetched(_payloads(batches(statements, self.batch_statements, BATCH_BYTES)))
            try:
                for batch, payload in ahead:
                    self._execute(migration, batch, payload)
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
        self.history.insert(migration, count=count, duration_ms=duration_ms, kind="migrate", shape=shape)

    def _execute(self, migration: Migration, batch: Sequence[Statement], payload: bytes) -> None:
        done = 0
        try:
            for _result in self.conn.cmd_query_iter(payload):
                if self.conn.unread_result:
                    self.conn.get_rows()
                done += 1
        except mysql.connector.Error as exc:
            if len(batch) > 1 and done >= len(batch):
                raise self._miscounted(migration, batch, done + 1) from None
            # The server stops a batch at its first error: statement number `done` failed. A
            # statement sent alone may give several results (CALL) before its error: still it.
            statement = batch[min(done, len(batch) - 1)]
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
        found = self.history.count()
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

    def ensure_history(self) -> None:
        self.history.ensure()

    def applied(self) -> dict[int, Applied]:
        """The history as it is now; empty when the history table does not exist yet."""
        return self.history.applied()

    def _history_rows(self, version: int | None = None) -> list[HistoryRow]:
        return self.history.rows(version)

    def _put_back(self, rows: Sequence[HistoryRow]) -> str:
        """Restore the history as it was before the migration; say what happened."""
        self._rollback()  # the migration's pending DML must not commit with the restore
        return self.history.put_back(rows)

    def _rollback(self) -> None:
        # If the connection is gone the server rolls the open transaction back itself.
        with suppress(mysql.connector.Error):
            self.conn.rollback()

    def _restore_autocommit(self) -> None:
        with suppress(mysql.connector.Error):
            self.conn.autocommit = True


def _payloads(groups: Iterable[list[Statement]]) -> Iterator[tuple[list[Statement], bytes]]:
    """Each round trip's statements and the bytes sent for them (the file's own bytes)."""
    for batch in groups:
        yield batch, encoded(";\n".join(s.text for s in batch))
