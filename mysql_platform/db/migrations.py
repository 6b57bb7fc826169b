"""Applying versioned SQL migrations: history, a named lock, apply-once.

The files (names, placeholders, checksums) are :mod:`mysql_platform.db.migration_files`; the other
kinds (repeatable, undo, callbacks) :mod:`mysql_platform.db.migration_kinds`; the order of a run and
``--target`` :mod:`mysql_platform.db.migration_plan`; which statements share a round trip is
:mod:`mysql_platform.db.migration_batches`.

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
(:data:`mysql_platform.db.migration_files.MAX_VERSION`) when they are loaded.

Sessions: each file runs in a session of its own, opened for it and closed after it, as
``mariadb < file`` is a new session per file: no default database, and the server's defaults
for ``sql_mode``, ``time_zone``, ``foreign_key_checks``, ``unique_checks`` and every other
session variable; no user variables, temporary tables or prepared statements. A ``USE`` or
``SET sql_mode=''`` in one file cannot change what the next one does. A new connection is the
only way to get that on the same server: ``COM_RESET_CONNECTION`` keeps the default database
and releases the ``GET_LOCK`` below, and neither a database nor user variables can be unset by
statements. It costs one connect per pending file (TCP, TLS, login: a few milliseconds on
loopback, a round trip or three to RDS); nothing when nothing is pending. The lock and the
history reads stay on the caller's connection; a file's history row is written in its own
session, in the transaction of its last statements.

Concurrency: every run takes the server-wide named lock ``GET_LOCK`` (per history
table) with a timeout and re-reads the history after acquiring it, so concurrent
bootstraps apply each migration once; ``version`` is also the history's primary key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from mysql.connector.connection import MySQLConnection
from mysql.connector.constants import ClientFlag

from mysql_platform.db import (
    migration_files,
    migration_lock,
    migration_plan,
    migration_repeatables,
    ops_tables,
)
from mysql_platform.db.connection import close_quietly
from mysql_platform.db.migration_apply import CHARSET as CHARSET
from mysql_platform.db.migration_apply import UNRECORDED, VERSIONED, FileSession, Recording
from mysql_platform.db.migration_apply import preview as preview
from mysql_platform.db.migration_batches import BATCH_STATEMENTS
from mysql_platform.db.migration_errors import HistoryTableError as HistoryTableError
from mysql_platform.db.migration_errors import MigrationError as MigrationError
from mysql_platform.db.migration_errors import OutOfOrder as OutOfOrder
from mysql_platform.db.migration_files import DEFAULT_OPS_SCHEMA, Migration, validate_identifier
from mysql_platform.db.migration_history import Applied, History, HistoryRow, TableGuard, parse_applied
from mysql_platform.db.migration_kinds import MigrationSet, as_set
from mysql_platform.db.migration_plan import Step

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    applied: tuple[tuple[Migration, float], ...]  # versioned: (migration, duration in ms)
    skipped: int  # versioned files applied before
    repeatables: tuple[tuple[Migration, float], ...] = ()  # repeatable files applied (again)
    callbacks: tuple[str, ...] = ()  # the callback files run, in order
    above_target: int = 0  # versioned files left pending by --target
    newest: int | None = None  # the newest version in the history after the run


RECORDINGS = {
    migration_plan.VERSIONED: VERSIONED,
    migration_plan.REPEATABLE: migration_repeatables.RECORDING,
    migration_plan.CALLBACK: UNRECORDED,
}


# Opens a new session on the same server as the runner's connection, with the same login.
SessionOpener = Callable[[], MySQLConnection]


class Runner:
    """Applies migrations: the lock and the history on ``conn``, each file in a session from
    ``open_session`` (see "Sessions" above). The caller owns (and closes) ``conn``; the runner
    closes the sessions it opens."""

    def __init__(
        self,
        conn: MySQLConnection,
        *,
        open_session: SessionOpener,
        history_schema: str = DEFAULT_OPS_SCHEMA,
        lock_timeout_s: int = 120,
        progress: Callable[[str], None] = _log.info,
        batch_statements: int = BATCH_STATEMENTS,
    ) -> None:
        self.conn = conn
        self.open_session = open_session
        multi = bool(conn.client_flags & ClientFlag.MULTI_STATEMENTS)
        self.batch_statements = max(1, batch_statements) if multi else 1
        self.schema = validate_identifier(history_schema, "history schema")
        self.history = History(conn, self.schema)
        self.table = self.history.table
        # GET_LOCK names are server-wide; scope it to the history table it guards.
        self.lock_name = migration_lock.lock_name(self.schema)
        self.lock_timeout_s = lock_timeout_s
        self.progress = progress
        # Read with the lock; a server's default until then (MariaDB 10.11: 16 MiB).
        self.max_packet = 16 * 1024 * 1024
        self.held: migration_lock.HeldLock | None = None
        # The repeatable history, checked like the history around every file of a run.
        self.guard: TableGuard | None = None
        # The files the last run() applied, by kind (migration_plan), as they complete.
        self.completed: dict[str, list[tuple[Migration, float]]] = {}

    def run(
        self,
        migrations: Sequence[Migration] | MigrationSet,
        *,
        out_of_order: bool = False,
        target: int | None = None,
    ) -> RunResult:
        """Apply what is pending (versioned files up to ``target``, then repeatable files, with
        the callbacks around them: :mod:`mysql_platform.db.migration_plan`); every file is checked first."""
        found = as_set(migrations).with_ops_schema(self.schema)
        migration_plan.check_target(found.versioned, target)
        self.ensure_history()
        with self.locked():
            rows = self.history.rows()  # read *after* the lock: another run may just have finished
            self.guard = migration_repeatables.guard(self.conn, self.schema)
            repeated = migration_repeatables.parse(self.guard.rows)
            plan = self._plan(found, parse_applied(rows), repeated, out_of_order, target)
            done: dict[str, list[tuple[Migration, float]]] = {k: [] for k in RECORDINGS}
            self.completed = done  # what is done so far, for a caller told of a failure or Ctrl-C
            for step in plan:
                done[step.kind].append((step.migration, self._step(step, rows)))
            applied, now = done[migration_plan.VERSIONED], parse_applied(rows)
            left = sum(m.version not in now for m in found.versioned)  # above the target
            return RunResult(
                applied=tuple(applied),
                skipped=len(found.versioned) - len(applied) - left,
                repeatables=tuple(done[migration_plan.REPEATABLE]),
                callbacks=tuple(m.script for m, _ in done[migration_plan.CALLBACK]),
                above_target=left,
                newest=max(now, default=None),
            )

    def plan(
        self,
        migrations: Sequence[Migration] | MigrationSet,
        *,
        out_of_order: bool = False,
        target: int | None = None,
    ) -> list[Step]:
        """What :meth:`run` would run now, in order, checked as it would check it; changes nothing."""
        found = as_set(migrations).with_ops_schema(self.schema)
        migration_plan.check_target(found.versioned, target)
        repeated = migration_repeatables.read(self.conn, self.schema)
        return self._plan(found, self.history.applied(), repeated, out_of_order, target)

    def _plan(
        self,
        found: MigrationSet,
        applied: dict[int, Applied],
        repeated: dict[str, migration_repeatables.RepeatableRow],
        out_of_order: bool,
        target: int | None,
    ) -> list[Step]:
        versioned = self._pending(found.versioned, applied, out_of_order, target)
        repeatable = migration_repeatables.pending(found.repeatable, repeated)
        # Read through before the first statement, as the versioned files (see _pending).
        checked = [migration_files.check(m) if m.config.execute_in_transaction else m for m in repeatable]
        callbacks = {e: migration_files.check(m) for e, m in found.callbacks.items()}
        return migration_plan.steps(versioned, checked, callbacks)

    def pending(self, migrations: Sequence[Migration], *, out_of_order: bool = False) -> list[Migration]:
        """The versioned files :meth:`run` would apply now, checked as it would; changes nothing."""
        migrations = self.own(migrations)
        return self._pending(migrations, self.history.applied(), out_of_order)

    def own(self, migrations: Sequence[Migration]) -> list[Migration]:
        # ${ops_schema} is where this runner keeps its history, whatever the loader assumed.
        return [m.with_ops_schema(self.schema) for m in migrations]

    def _pending(
        self,
        migrations: Sequence[Migration],
        applied: dict[int, Applied],
        out_of_order: bool,
        target: int | None = None,
    ) -> list[Migration]:
        self.verify(migrations, applied)  # every file, the ones above the target too
        pending = [m for m in migration_plan.up_to(migrations, target) if m.version not in applied]
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
        if self._take(0):
            return
        # Say why nothing happens for a while: another bootstrap is applying migrations.
        self.progress(f"waiting up to {self.lock_timeout_s} s for the migration lock '{self.lock_name}'")
        if not self._take(self.lock_timeout_s):
            raise MigrationError(
                f"could not take the migration lock '{self.lock_name}' within {self.lock_timeout_s} s "
                "(another bootstrap is probably applying migrations; retry when it is done)"
            )

    def _take(self, timeout_s: int) -> bool:
        self.held, packet = migration_lock.take(self.conn, self.lock_name, timeout_s)
        self.max_packet = packet or self.max_packet
        return self.held is not None

    def _unlock(self) -> None:
        self.held = None
        migration_lock.release(self.conn, self.lock_name)

    def verify(self, migrations: Sequence[Migration], applied: dict[int, Applied]) -> None:
        """Every applied version has its file, unchanged (a retired one aside); raises otherwise."""
        by_version = {m.version: m for m in migrations}
        for version, row in applied.items():
            migration = by_version.get(version)
            if migration is None and ops_tables.is_retired(row):
                continue
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

    def _step(self, step: Step, rows: list[HistoryRow]) -> float:
        if step.kind != migration_plan.CALLBACK:
            return self.apply_file(step.migration, rows, RECORDINGS[step.kind])
        try:
            return self.apply_file(step.migration, rows, UNRECORDED)
        except MigrationError as exc:
            # The same class (a packet too large, a damaged history), named as the callback.
            raise type(exc)(
                f"callback {step.migration.script} failed, so the run stopped there: {exc}"
            ) from None

    def apply_file(
        self, migration: Migration, rows: list[HistoryRow], recording: Recording = VERSIONED
    ) -> float:
        """Run one file in a new session and record it; ``rows`` follows the history."""
        session = self.open_session()
        try:
            applier = FileSession(
                session,
                self.schema,
                batch_statements=self.batch_statements,
                max_packet=self.max_packet,
                progress=self.progress,
                lock=self.held,
                guard=self.guard,
            )
            if self.held is None:  # not under the lock (a caller's own use): nothing to keep alive
                return applier.apply(migration, rows, recording)
            with self.held.kept_alive():
                return applier.apply(migration, rows, recording)
        finally:
            close_quietly(session)

    def ensure_history(self) -> None:
        """The tool's own tables: the history, and the heartbeat the replication check writes."""
        ops_tables.ensure(self.conn, self.schema)

    def applied(self) -> dict[int, Applied]:
        """The history as it is now; empty when the history table does not exist yet."""
        return self.history.applied()
