"""Applying one migration file in a session of its own, and recording it.

:class:`FileSession` runs a file's statements on a connection opened for that file alone (the
session rules are in :mod:`mysql_platform.db.migrations`), in the round trips
:mod:`mysql_platform.db.migration_batches` groups them into, then records it in the transaction of its
last statements as its :class:`Recording` says (a versioned history row, a repeatable row, the
deletion of an undone version's row, or nothing for a callback). It stops a file that damaged
the history table before it is recorded, and puts the rows back.

Statements larger than the server's ``max_allowed_packet`` are refused before they are sent:
the server would close the connection on them (error 1153, or a lost connection), and a rerun
would fail the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.db import sql_shape
from mysql_platform.db.connection import ConnectionLost, is_connection_lost
from mysql_platform.db.migration_batches import BATCH_BYTES, batches
from mysql_platform.db.migration_errors import HistoryTableError, MigrationError, PacketTooLarge
from mysql_platform.db.migration_files import Migration, MigrationFileError
from mysql_platform.db.migration_history import History, HistoryRow, TableGuard
from mysql_platform.db.migration_lock import HeldLock
from mysql_platform.db.prefetch import Prefetched
from mysql_platform.db.sql_split import Statement, encoded, printable

STATEMENT_PREVIEW_CHARS = 200
# The connection's character set at the start of every file, as `mariadb --default-character-set`.
CHARSET = "utf8mb4"
# How to raise the limit, by where the server runs. RDS: max_allowed_packet is a dynamic parameter
# of the DB parameter group (MySQL's range, 1024 to 1073741824 bytes; "Parameters for MySQL", RDS
# User Guide); a new value reaches new connections, so a rerun picks it up.
# Session values a file may leave that the record step would inherit; DEFAULT is the global value.
SESSION_FOR_RECORD = "SET SESSION timestamp = DEFAULT, SESSION sql_select_limit = DEFAULT"
RAISE_PACKET_LIMIT = (
    "raise max_allowed_packet (RDS: the DB parameter group's max_allowed_packet, up to 1073741824, "
    "applied to new connections without a reboot; MariaDB or MySQL of your own: "
    "SET GLOBAL max_allowed_packet = ... and the server's option file) or split the statement"
)


def preview(text: str) -> str:
    one_line = " ".join(printable(text).split())
    if len(one_line) <= STATEMENT_PREVIEW_CHARS:
        return one_line
    return one_line[: STATEMENT_PREVIEW_CHARS - 3] + "..."


@dataclass(frozen=True)
class Outcome:
    """What running one file's statements gave, for the step that records it."""

    count: int  # statements run
    duration_ms: float
    shape: str  # mysql_platform.db.sql_shape of its statements


@dataclass(frozen=True)
class Recording:
    """How a file is recorded: ``write`` runs in the transaction of its last statements (on the
    file's own session) after they succeeded; ``done`` is the verb of the progress line."""

    write: Callable[[History, Migration, Outcome], None]
    done: str = "applied"
    # The versioned history's rows after ``write``, from those before (read in the transaction).
    rows_after: Callable[[History, Migration, list[HistoryRow]], list[HistoryRow]] = (
        lambda _history, _migration, rows: rows
    )
    # ``write`` changed the guarded table (the repeatable history): read its rows again.
    refresh_guard: bool = False


def record_versioned(history: History, migration: Migration, outcome: Outcome) -> None:
    """A versioned file's history row (``migrate``)."""
    history.insert(
        migration, count=outcome.count, duration_ms=outcome.duration_ms, kind="migrate", shape=outcome.shape
    )


VERSIONED = Recording(
    record_versioned,
    rows_after=lambda history, migration, rows: [*rows, *history.rows(migration.version)],
)
# Callbacks: nothing is recorded.
UNRECORDED = Recording(lambda _history, _migration, _outcome: None, done="ran callback")


def megabytes(size: int) -> str:
    return f"{size / 1048576:.1f} MiB ({size} bytes)"


class FileSession:
    """One file's session: ``conn`` is the caller's, opened for this file; the caller closes it."""

    def __init__(
        self,
        conn: MySQLConnection,
        schema: str,
        *,
        batch_statements: int,
        max_packet: int,
        progress: Callable[[str], None],
        lock: HeldLock | None = None,
        guard: TableGuard | None = None,
    ) -> None:
        self.conn = conn
        self.history = History(conn, schema)
        self.batch_statements = batch_statements
        self.max_packet = max_packet
        self.progress = progress
        self.lock = lock
        self.guard = guard  # another table of the tool's that the file must leave alone

    def apply(self, migration: Migration, rows: list[HistoryRow], recording: Recording = VERSIONED) -> float:
        """Run ``migration`` and record it as ``recording`` says; ``rows`` (the versioned history
        so far) becomes the history as it is after the commit."""
        started = time.perf_counter()
        shape = sql_shape.ShapeHash()
        count = 0
        self._set_names()
        # executeInTransaction=false (the file's .conf): every statement commits as it runs.
        self.conn.autocommit = not migration.config.execute_in_transaction
        try:
            statements = shape.track(migration.iter_statements())
            # Batches stay well under the packet limit; a statement alone may not (checked when sent).
            limit = min(BATCH_BYTES, self.max_packet // 2)
            # The read-ahead thread also encodes each round trip's bytes.
            ahead = Prefetched(_payloads(batches(statements, self.batch_statements, limit)))
            try:
                for batch, payload in ahead:
                    self._execute(migration, batch, payload)
                    count += len(batch)
            finally:
                ahead.close()  # a failed statement stops the reading too
            self._check_history(migration, rows)
            duration_ms = (time.perf_counter() - started) * 1000
            new_rows = self._record(
                migration, rows, recording, Outcome(count, duration_ms, shape.hexdigest())
            )
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
        rows[:] = new_rows
        self.progress(f"{recording.done} {migration.script} ({count} statements) in {duration_ms:.0f} ms")
        return duration_ms

    def _set_names(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"SET NAMES {CHARSET}")

    def _record(
        self, migration: Migration, rows: list[HistoryRow], recording: Recording, outcome: Outcome
    ) -> list[HistoryRow]:
        """Write the record in the transaction of the file's last statements, under the lock; commit."""
        try:
            # What the file may have left in its session that the record would inherit: the
            # connection's character set, a fixed TIMESTAMP (applied_at) and a row limit
            # (reading the row back). Setting them opens no transaction and commits nothing.
            self._set_names()
            with self.conn.cursor() as cur:
                cur.execute(SESSION_FOR_RECORD)
            self.conn.autocommit = False  # the history row, read back in the same transaction
            if self.lock is not None:
                self.lock.check(self.conn, migration)
            recording.write(self.history, migration, outcome)
            new_rows = recording.rows_after(self.history, migration, rows)  # in the transaction
            guarded = self.guard.read(self.conn) if self.guard and recording.refresh_guard else None
            self.conn.commit()
            if self.guard is not None and guarded is not None:
                self.guard.rows = guarded
        except mysql.connector.Error as exc:
            if is_connection_lost(exc):
                raise
            raise MigrationError(
                f"{migration.script} ran, but recording it failed (error {exc.errno}: {exc.msg}): its last "
                "statements left the session where the record cannot be written (LOCK TABLES without "
                "UNLOCK TABLES, SET SESSION TRANSACTION READ ONLY, a statement time limit ...); end the "
                "file with the matching reset. Nothing was recorded and its last transaction was rolled "
                "back, so a rerun applies it again"
            ) from None
        return new_rows

    def _execute(self, migration: Migration, batch: Sequence[Statement], payload: bytes) -> None:
        # COM_QUERY is one byte of command and the text; the server refuses a packet over its limit.
        if len(payload) + 1 >= self.max_packet:  # the server refuses a packet of exactly its limit too
            if len(batch) > 1:
                for statement in batch:
                    self._execute(migration, [statement], encoded(statement.text))
                return
            raise self._too_large(migration, batch[0], len(payload) + 1)
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

    def _too_large(self, migration: Migration, statement: Statement, size: int) -> PacketTooLarge:
        return PacketTooLarge(
            f"migration failed at {migration.path}:{statement.line}: the statement is {megabytes(size)}, "
            f"over the server's max_allowed_packet of {megabytes(self.max_packet)}, so the server would "
            "drop the connection on it, on every run; it was not sent and no history row was written "
            f"for {migration.script} (statements before it in the file may have run). To apply it, "
            f"{RAISE_PACKET_LIMIT}\n  statement: {preview(statement.text[:1000])}"
        )

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
            return self.guard.damage(self.conn) if self.guard is not None else None
        table = self.history.table
        if found is None:
            return f"dropped the history table {table}"
        return f"changed the rows of the history table {table} ({found} rows, expected {len(rows)})"

    def _history_error(
        self, migration: Migration, rows: Sequence[HistoryRow], damage: str, later: str | None = None
    ) -> HistoryTableError:
        also = f"\n  it also failed afterwards: {later}" if later else ""
        self._rollback()  # the migration's pending DML must not commit with the restore
        restored = self.history.put_back(rows)
        if self.guard is not None:
            restored += f"; {self.guard.put_back(self.conn)}"
        return HistoryTableError(
            f"migration '{migration.path}' {damage}; {restored}; {migration.script} "
            "was not recorded and nothing after it ran: a migration must not touch the history (the "
            "runner reads it to skip what was applied, so without it every migration runs again); "
            f"remove that statement and rerun{also}"
        )

    def _rollback(self) -> None:
        # If the connection is gone the server rolls the open transaction back itself.
        with suppress(mysql.connector.Error):
            self.conn.rollback()


def _payloads(groups: Iterable[list[Statement]]) -> Iterator[tuple[list[Statement], bytes]]:
    """Each round trip's statements and the bytes sent for them (the file's own bytes)."""
    for batch in groups:
        yield batch, encoded(";\n".join(s.text for s in batch))
