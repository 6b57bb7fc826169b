"""Bootstrap a database from the stack outputs: migrations, app user, replication check.

Python API: :func:`bootstrap` does the work and raises; :func:`run` reports and returns an
exit code (:mod:`mysql_platform.errors`). Both take a parsed :class:`StackOutputs` and
:class:`~mysql_platform.db.bootstrap_options.Options`; ``Options.writer``/``Options.readers``
substitute the endpoints (e.g. the local ends of an SSH tunnel, see :mod:`mysql_platform.orchestrate`).
Neither writes to stdout unless given a stream: progress goes to this module's logger.

The application schema is the outputs' ``db.database`` (the database RDS created from
the stack's ``dbName``) unless ``Options.app_schema`` names another; migrations refer to
it as ``${database}`` and the app user is granted it.

Safety (the README's security model): TLS is always required and, outside the local
environment, verified against a CA unless ``insecure_skip_verify``; the app user is
checked before any migration runs (only accounts the bootstrap created, never the master
user, an existing password only replaced with ``rotate_app_password``); see
:mod:`mysql_platform.db.app_user` for passwords and grants.

The command line is :mod:`mysql_platform.cli.bootstrap` (``mysql-platform bootstrap``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

# First: the connector without OpenTelemetry (see that module), whichever module imports it first.
from mysql_platform.db import connector as _connector  # noqa: F401  # isort: skip

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.core import outputs
from mysql_platform.core.contract import StackOutputs
from mysql_platform.db import app_user, migration_kinds, migrations, replication_check
from mysql_platform.db import connection as db
from mysql_platform.db.bootstrap_options import BadInput as BadInput
from mysql_platform.db.bootstrap_options import Options as Options
from mysql_platform.db.bootstrap_options import (
    app_schema,
    app_user_spec,
    endpoints,
    placeholders,
    target,
    tls_ca,
    validate,
)
from mysql_platform.db.migrations import MigrationError, RunResult
from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_CONNECT, EXIT_MIGRATION, EXIT_OK, PlatformError

_log = logging.getLogger(__name__)

Line = Callable[[str], None]


@dataclass(frozen=True)
class Report:
    databases: tuple[str, ...]
    migrations: RunResult
    app_user: app_user.AppUser
    lags: tuple[replication_check.ReaderLag, ...] = field(default=())


def bootstrap(
    outputs_: StackOutputs,
    options: Options,
    *,
    outputs_path: Path | None = None,
    progress: Line = _log.info,
    warn: Line = _log.warning,
) -> Report:
    """Apply migrations, ensure the app user, check replication. Raises on failure.

    Errors: BadInput / MigrationFileError / OutputsError / AppUserError (bad input; for the
    app user nothing is changed), db.DbError (connect), MigrationError / AppUserFailure,
    ReplicationCheckError, each a :class:`mysql_platform.errors.PlatformError` with its exit code;
    unclassified mysql.connector errors propagate (:func:`run` maps them to exit 4, or 3 for
    a lost connection).
    """
    validate(options)
    schema = app_schema(outputs_, options)
    if options.app_schema is None and not outputs_.db.database:
        progress(f"the outputs' db.database is empty (dbName unset): application schema '{schema}'")
    # Bad names fail before any connection; the runner reads every pending file through
    # before it applies the first (a bad line or placeholder stops it with nothing applied).
    found = migration_kinds.discover_all(
        options.sql_dir, placeholders(outputs_, options), parse=False, on_skip=warn
    )
    ca = tls_ca(outputs_, options, warn)
    spec = app_user_spec(outputs_, options, schema, outputs_path)
    writer_endpoint, reader_endpoints = endpoints(outputs_, options)
    writer = target(outputs_, writer_endpoint, ca, options)
    readers = [target(outputs_, e, ca, options) for e in reader_endpoints]
    backoff = db.Backoff(deadline_s=options.connect_timeout_s)
    with db.connection(writer, backoff, progress=lambda waiting: warn(waiting.describe())) as conn:
        progress(f"connected to writer {writer.describe()} ({_tls_state(conn, ca)})")
        # Before the migrations: a refused app user must leave the server untouched.
        app_user.check(conn, spec)
        runner = migrations.Runner(
            conn,
            open_session=lambda: db.open_connection(writer, backoff),
            history_schema=options.ops_schema,
            lock_timeout_s=options.lock_timeout_s,
            progress=progress,
        )
        result = runner.run(found)
        user = _ensure_app_user(conn, spec, options, progress)
        lags: list[replication_check.ReaderLag] = []
        if not options.skip_replication_check:
            lags = replication_check.check(
                conn, readers, schema=options.ops_schema, timeout_s=options.replication_timeout_s
            )
        return Report(_databases(conn), result, user, tuple(lags))


def _tls_state(conn: MySQLConnection, ca: str | None) -> str:
    cipher = db.session_cipher(conn)
    return f"TLS {cipher}, " + (f"server verified against {ca}" if ca else "server NOT verified")


def _ensure_app_user(
    conn: MySQLConnection, spec: app_user.Spec, options: Options, progress: Callable[[str], None]
) -> app_user.AppUser:
    if spec.schema not in _databases(conn):
        raise MigrationError(
            f"application schema '{spec.schema}' does not exist after the migrations: "
            "create it in a migration (CREATE DATABASE IF NOT EXISTS ${database}) or pass --app-schema"
        )
    return app_user.ensure(conn, spec, lock_timeout_s=options.lock_timeout_s, progress=progress)


def _databases(conn: MySQLConnection) -> tuple[str, ...]:
    # The seed ends with SHOW DATABASES; the summary shows the same list.
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES")
        return tuple(str(row[0]) for row in cur.fetchall())  # type: ignore[index]


def summary(report: Report) -> list[str]:
    applied = len(report.migrations.applied)
    lines = [
        f"databases: {', '.join(report.databases)}",
        f"migrations: {applied} applied, {report.migrations.skipped} skipped",
        f"app user: {report.app_user.describe()}",
    ]
    lines += [f"app user grant: {grant}" for grant in report.app_user.grants]
    if report.lags:
        lines += [f"replica lag: {lag.describe()}" for lag in report.lags]
    else:
        lines.append("replica lag: not checked (no readers, or --skip-replication-check)")
    return lines


def failure(exc: BaseException, outputs_: StackOutputs) -> tuple[int, str] | None:
    """(exit code, one-line message without the password) for a bootstrap failure; None if unknown."""
    if isinstance(exc, PlatformError):
        return exc.exit_code, f"{exc.label} error: {db.scrub(str(exc), outputs_.db_password)}"
    if isinstance(exc, outputs.OutputsError):
        return EXIT_BAD_INPUT, f"bad input error: {db.scrub(str(exc), outputs_.db_password)}"
    if isinstance(exc, mysql.connector.Error):
        # Anything the steps did not classify (history, app user, SHOW DATABASES): a schema
        # failure, unless the connection itself went away.
        code = EXIT_CONNECT if db.is_connection_lost(exc) else EXIT_MIGRATION
        return code, f"database error: {db.describe_error(exc, outputs_.db_password)}"
    return None


def printer(stream: TextIO | None, fallback: Line, prefix: str = "") -> Line:
    """Lines to ``stream`` (flushed, with ``prefix``), or to ``fallback`` (a logger) without one."""
    if stream is None:
        return fallback

    def write(line: str) -> None:
        print(prefix + line, file=stream, flush=True)

    return write


def run(
    outputs_: StackOutputs,
    options: Options,
    *,
    outputs_path: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Bootstrap; progress and summary to ``out``, warnings and errors to ``err``; the exit code.

    Without streams the lines go to this module's logger (info, warning, error), so a
    service importing the library gets no output of its own; the CLI passes stdout/stderr.
    """
    progress = printer(out, _log.info)
    warn = printer(err, _log.warning, "bootstrap: warning: ")
    fail = printer(err, _log.error, "bootstrap: ")
    try:
        report = bootstrap(outputs_, options, outputs_path=outputs_path, progress=progress, warn=warn)
    except (PlatformError, outputs.OutputsError, mysql.connector.Error) as exc:
        code, message = failure(exc, outputs_) or (EXIT_MIGRATION, str(exc))
        fail(message)
        return code
    for line in summary(report):
        progress(line)
    return EXIT_OK
