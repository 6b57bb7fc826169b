"""Versioned SQL migrations: discovery, checksums, history, a named lock, apply-once.

Files are ``V<NNN>__<name>.sql`` (three or more digits, then two underscores, then
letters, digits and underscores), applied in version order, each exactly once.

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

Round trips: statements are sent in batches of up to :data:`BATCH_STATEMENTS` in one
``COM_QUERY`` (the connector enables CLIENT_MULTI_STATEMENTS by default). The server
runs a batch's statements in order and stops at the first error; the runner counts
the results that came back, so an error still names the exact statement and its
line. Statements from DELIMITER blocks, ``CALL`` (several result sets) and statements
starting with an executable comment are sent alone. ``batch_statements=1`` turns
batching off.

Placeholders: ``${database}`` (Flyway-style, see :mod:`scripts.sql_placeholders`) is
replaced when a file is loaded, before it is split and long before anything is sent;
an unknown or malformed placeholder fails discovery naming the file and line, so no
statement of any file runs. The checksum is the file's as written, so one file has
one checksum whatever the values and another value is never an "edit". The history
does not record the values: a migration applied under one name is not applied again
when the name changes later (as with Flyway); the name is chosen once per environment.

Concurrency: every run takes the server-wide named lock ``GET_LOCK`` (per history
table) with a timeout and re-reads the history after acquiring it, so concurrent
bootstraps apply each migration once; ``version`` is also the history's primary key.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import mysql.connector
from mysql.connector.connection import MySQLConnection
from mysql.connector.constants import ClientFlag

from scripts.db import ConnectionLost, is_connection_lost
from scripts.sql_placeholders import PlaceholderError, substitute, validate_values
from scripts.sql_split import SplitError, Statement, split_sql

FILE_RE = re.compile(r"^V(?P<version>\d{3,})__(?P<name>[A-Za-z0-9][A-Za-z0-9_]*)\.sql$")
IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
STATEMENT_PREVIEW_CHARS = 200
BATCH_STATEMENTS = 100
BATCH_BYTES = 256 * 1024  # far below max_allowed_packet (16 MiB on MariaDB 10.11, 64 MiB on MySQL 8)


class MigrationFileError(ValueError):
    """A migration file or directory is malformed (bad name, duplicate version, bad SQL text)."""


class MigrationError(RuntimeError):
    """Applying migrations failed: bad statement, edited applied file, lock timeout."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    path: Path
    checksum: str
    statements: tuple[Statement, ...]

    @property
    def script(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Applied:
    """One history row, as read back."""

    version: int
    script: str
    checksum: str


@dataclass(frozen=True)
class RunResult:
    applied: tuple[tuple[Migration, float], ...]  # (migration, duration in ms)
    skipped: int


def checksum(data: bytes) -> str:
    """sha256 of the file with CRLF normalised, so a Windows checkout is not an "edit"."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def validate_identifier(value: str, what: str) -> str:
    if not IDENTIFIER_RE.fullmatch(value):  # match() would let a trailing newline through
        raise ValueError(f"{what} must match {IDENTIFIER_RE.pattern} (letters, digits, _), got {value!r}")
    return value


def load_migration(path: Path, placeholders: Mapping[str, str] | None = None) -> Migration:
    """Read, substitute ``placeholders`` (name -> value), split and checksum one file."""
    validate_values(placeholders or {})  # a bad value is the caller's error, not the file's
    match = FILE_RE.match(path.name)
    if match is None:
        raise MigrationFileError(
            f"migration file '{path}': name must look like V001__create_things.sql "
            f"(V, 3+ digits, two underscores, letters/digits/_)"
        )
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")  # an editor's BOM is not SQL
    except OSError as exc:
        raise MigrationFileError(f"migration file '{path}': cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise MigrationFileError(f"migration file '{path}': not UTF-8 (byte {exc.start})") from None
    try:
        # Values are plain identifiers: substituting first changes neither the split nor line numbers.
        statements = tuple(split_sql(substitute(text, placeholders or {})))
    except (PlaceholderError, SplitError) as exc:
        raise MigrationFileError(f"migration file '{path}': {exc}") from None
    if not statements:
        raise MigrationFileError(f"migration file '{path}': contains no statements")
    return Migration(
        version=int(match["version"]),
        description=match["name"].replace("_", " "),
        path=path,
        checksum=checksum(data),
        statements=statements,
    )


def discover(sql_dir: Path, placeholders: Mapping[str, str] | None = None) -> list[Migration]:
    """All migrations in ``sql_dir`` in version order; every ``*.sql`` file must be a migration.

    ``placeholders`` (e.g. ``{"database": "shop"}``) fill ``${name}`` in every file; a bad
    value raises :class:`~scripts.sql_placeholders.PlaceholderError` before any file is read.
    """
    validate_values(placeholders or {})
    if not sql_dir.is_dir():
        raise MigrationFileError(f"migrations directory '{sql_dir}' does not exist or is not a directory")
    found: dict[int, Migration] = {}
    for path in sorted(sql_dir.iterdir()):
        if path.suffix.lower() != ".sql":
            continue
        migration = load_migration(path, placeholders)
        if migration.version in found:
            raise MigrationFileError(
                f"migrations '{found[migration.version].path}' and '{path}' have the same "
                f"version {migration.version}"
            )
        found[migration.version] = migration
    if not found:
        raise MigrationFileError(f"migrations directory '{sql_dir}' contains no V<NNN>__<name>.sql files")
    return [found[v] for v in sorted(found)]


def preview(text: str) -> str:
    one_line = " ".join(text.split())
    if len(one_line) <= STATEMENT_PREVIEW_CHARS:
        return one_line
    return one_line[: STATEMENT_PREVIEW_CHARS - 3] + "..."


class Runner:
    """Applies migrations over one connection. The caller owns (and closes) the connection."""

    def __init__(
        self,
        conn: MySQLConnection,
        *,
        history_schema: str = "ops",
        lock_timeout_s: int = 120,
        progress: Callable[[str], None] = print,
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

    def run(self, migrations: Sequence[Migration]) -> RunResult:
        self._ensure_history()
        self._lock()
        try:
            applied = self.applied()  # read *after* the lock: another run may just have finished
            self._verify(migrations, applied)
            pending = [m for m in migrations if m.version not in applied]
            results = tuple((m, self._apply(m)) for m in pending)
            return RunResult(applied=results, skipped=len(migrations) - len(pending))
        finally:
            self._unlock()

    def _ensure_history(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{self.schema}` CHARACTER SET utf8mb4")
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                " version INT UNSIGNED NOT NULL PRIMARY KEY,"
                " description VARCHAR(200) NOT NULL,"
                " script VARCHAR(255) NOT NULL,"
                " checksum CHAR(64) NOT NULL,"
                " statements INT UNSIGNED NOT NULL,"
                " duration_ms INT UNSIGNED NOT NULL,"
                " applied_by VARCHAR(288) NOT NULL,"
                " applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
                ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            )

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
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT version, script, checksum FROM {self.table} ORDER BY version")
            rows = cur.fetchall()
        result = [Applied(int(str(v)), str(s), str(c)) for v, s, c in rows]
        return {row.version: row for row in result}

    def _verify(self, migrations: Sequence[Migration], applied: dict[int, Applied]) -> None:
        by_version = {m.version: m for m in migrations}
        for version, row in applied.items():
            migration = by_version.get(version)
            if migration is None:
                raise MigrationError(
                    f"history has version {version} ('{row.script}') but no such file in the "
                    "migrations directory; applied migrations must not be removed"
                )
            if migration.checksum != row.checksum:
                raise MigrationError(
                    f"migration '{migration.path}' was edited after it was applied "
                    f"(checksum {migration.checksum[:12]}, applied {row.checksum[:12]}); "
                    "applied migrations are immutable: add a new V<NNN> file instead"
                )

    def _apply(self, migration: Migration) -> float:
        started = time.perf_counter()
        self.conn.autocommit = False
        try:
            for batch in batches(migration.statements, self.batch_statements, BATCH_BYTES):
                self._execute(migration, batch)
            duration_ms = (time.perf_counter() - started) * 1000
            with self.conn.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {self.table} (version, description, script, checksum, statements,"
                    " duration_ms, applied_by) VALUES (%s, %s, %s, %s, %s, %s, CURRENT_USER())",
                    (
                        migration.version,
                        migration.description,
                        migration.script,
                        migration.checksum,
                        len(migration.statements),
                        round(duration_ms),
                    ),
                )
            self.conn.commit()
        except BaseException:
            self._rollback()
            raise
        finally:
            self._restore_autocommit()
        count = len(migration.statements)
        self.progress(f"applied {migration.script} ({count} statements) in {duration_ms:.0f} ms")
        return duration_ms

    def _execute(self, migration: Migration, batch: Sequence[Statement]) -> None:
        done = 0
        try:
            for _result in self.conn.cmd_query_iter(";\n".join(s.text for s in batch)):
                if self.conn.unread_result:
                    self.conn.get_rows()
                done += 1  # one result per statement: CALL, which has several, is never batched
        except mysql.connector.Error as exc:
            # The server stops a batch at its first error: statement number `done` failed.
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

    def _rollback(self) -> None:
        # If the connection is gone the server rolls the open transaction back itself.
        with suppress(mysql.connector.Error):
            self.conn.rollback()

    def _restore_autocommit(self) -> None:
        with suppress(mysql.connector.Error):
            self.conn.autocommit = True


_SOLO_RE = re.compile(r"(?:call\b|/\*)", re.IGNORECASE)


def _batchable(statement: Statement) -> bool:
    # CALL returns several results (the count would be off); compound statements and
    # executable comments go alone so the server parses exactly what the author wrote.
    return statement.delimiter == ";" and not _SOLO_RE.match(statement.text)


def batches(statements: Sequence[Statement], max_statements: int, max_bytes: int) -> list[list[Statement]]:
    """Group consecutive batchable statements; the others travel alone."""
    out: list[list[Statement]] = []
    current: list[Statement] = []
    size = 0
    for statement in statements:
        if not _batchable(statement) or max_statements <= 1:
            if current:
                out.append(current)
                current, size = [], 0
            out.append([statement])
            continue
        if current and (len(current) >= max_statements or size + len(statement.text) > max_bytes):
            out.append(current)
            current, size = [], 0
        current.append(statement)
        size += len(statement.text) + 2
    if current:
        out.append(current)
    return out
