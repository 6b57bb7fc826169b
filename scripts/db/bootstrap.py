"""Bootstrap a database from the stack outputs: migrations, app user, replication check.

    python -m scripts.bootstrap --outputs FILE [--sql-dir DIR] [--ssl-ca PATH] ...

Exit codes (also in the README):
    0  ok
    2  bad input: arguments, unreadable/malformed outputs, bad migration files, no CA
       outside the local environment, an app user the bootstrap may not manage or whose
       password is not at hand (nothing is changed then)
    3  cannot connect to or authenticate with the writer (or the connection was lost),
       or the server does not offer TLS (the login is not sent then)
    4  applying the schema failed: a migration failed, an applied migration was
       edited/removed, lock timeout, or another database error (history, app user)
    5  replication check failed (a reader did not return the heartbeat in time)
    130 interrupted (Ctrl-C)

Python API: :func:`bootstrap` does the work and raises; :func:`run` prints and
returns an exit code. Both take a parsed :class:`StackOutputs` and :class:`Options`;
``Options.writer``/``Options.readers`` substitute the endpoints (an SSH tunnel).

The application schema is the outputs' ``db.database`` (the database RDS created from
the stack's ``dbName``) unless ``Options.app_schema`` names another; migrations refer to
it as ``${database}`` and the app user is granted it.

Safety (the README's security model): TLS is always required and, outside the local
environment, verified against a CA unless ``--insecure-skip-verify``; the app user is
checked before any migration runs (only accounts the bootstrap created, never the master
user, an existing password only replaced with ``--rotate-app-password``); see
:mod:`scripts.db.app_user` for passwords and grants.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import signal
import ssl
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform_core import outputs
from mysql_platform_core.contract import Endpoint, StackOutputs
from scripts.db import app_user, migrations, replication_check, sql_placeholders
from scripts.db import connection as db
from scripts.db.migrations import MigrationError, MigrationFileError, RunResult
from scripts.stack import tunnel

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_CONNECT = 3
EXIT_MIGRATION = 4
EXIT_REPLICATION = 5
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

_log = logging.getLogger(__name__)

DEFAULT_SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
# The application schema when neither --app-schema nor the outputs name one: dbName's
# default, and what the migrations created before they took the name from the outputs.
FALLBACK_APP_SCHEMA = "app"
# Where RDS's CA bundle is published (all regions); see "Using SSL/TLS to encrypt a
# connection to a DB instance" in the RDS user guide.
RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
LOCAL_ENVIRONMENT = "local"
# A day: longer waits are mistakes (and inf/NaN would wait forever).
MAX_TIMEOUT_S = 86400


class BadInput(ValueError):
    """An option or file given to the bootstrap is unusable."""


@dataclass(frozen=True)
class Options:
    """Everything the bootstrap needs besides the outputs. Defaults are the CLI's."""

    sql_dir: Path = DEFAULT_SQL_DIR
    ssl_ca: str | None = None  # overrides StackOutputs.ssl_ca
    # Check that the certificate names the host we connect to. Turn off only when
    # connecting through a tunnel (the chain is still verified against the CA).
    tls_verify_identity: bool = True
    # TLS without verifying the server (no CA needed outside 'local'). Never the default:
    # whoever sits on the path can pose as the server and receive the master password.
    insecure_skip_verify: bool = False
    connect_timeout_s: float = 60.0  # overall deadline for reaching the writer
    replication_timeout_s: float = 30.0
    lock_timeout_s: int = 120
    ops_schema: str = "ops"  # holds schema_history (runner) and heartbeat (V002)
    app_user: str = "app"
    app_user_host: str = "%"
    # None: the outputs' db.database, else FALLBACK_APP_SCHEMA. Also ${database} in migrations.
    app_schema: str | None = None
    # None: next to the outputs file (CLI) or .local/<environment>-<user>.password (API).
    app_password_file: Path | None = None
    # Give an existing app user a new password (generated, or $MYSQL_PLATFORM_APP_PASSWORD's).
    rotate_app_password: bool = False
    # Take over an existing 'app_user'@'app_user_host' that no bootstrap recorded as its own
    # (one made before accounts were recorded). Never the master user.
    adopt_app_user: bool = False
    skip_replication_check: bool = False
    # Connect through the outputs' read/write-split proxy (writer_port/reader_port).
    via_proxy: bool = False
    # Endpoint overrides, e.g. local ends of an SSH tunnel; None means "from the outputs".
    # They win over via_proxy.
    writer: Endpoint | None = None
    readers: tuple[Endpoint, ...] | None = None


@dataclass(frozen=True)
class Report:
    databases: tuple[str, ...]
    migrations: RunResult
    app_user: app_user.AppUser
    lags: tuple[replication_check.ReaderLag, ...] = field(default=())


def _ca(outputs_: StackOutputs, options: Options) -> str | None:
    """The CA file (--ssl-ca, else the outputs' ssl_ca), checked to be a readable PEM bundle."""
    ca, origin = (options.ssl_ca, "--ssl-ca") if options.ssl_ca else (outputs_.ssl_ca, "the outputs' ssl_ca")
    if ca is None:
        return None
    if not Path(ca).is_file():
        raise BadInput(f"{origin}: CA file '{ca}' does not exist or is not a file")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=ca)
    except (ssl.SSLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise BadInput(
            f"{origin}: CA file '{ca}' is not a PEM certificate bundle ({reason}); expected "
            f"'-----BEGIN CERTIFICATE-----' blocks, e.g. the RDS bundle from {RDS_CA_BUNDLE_URL}"
        ) from None
    return ca


def tls_ca(outputs_: StackOutputs, options: Options, warn: Callable[[str], None]) -> str | None:
    """The CA to verify the server with; None means TLS without verification (allowed or asked).

    Outside the local environment a missing CA is bad input: an unverified server may be
    anyone on the path, and the bootstrap sends it the master password.
    """
    ca = _ca(outputs_, options)
    if options.insecure_skip_verify:
        warn(
            "--insecure-skip-verify: TLS is on but the server's certificate is NOT verified; anyone "
            "on the path can pose as the server and receive the master password. "
            f"Verify instead with --ssl-ca (RDS: {RDS_CA_BUNDLE_URL})"
        )
        return None
    if ca is not None:
        return ca
    if outputs_.environment != LOCAL_ENVIRONMENT:
        raise BadInput(
            f"no CA to verify the database server of environment '{outputs_.environment}' with "
            "(--ssl-ca or ssl_ca in the outputs); the master password is only sent to a verified "
            f"server. Get the RDS bundle: curl -fsSo global-bundle.pem {RDS_CA_BUNDLE_URL} and pass "
            "--ssl-ca global-bundle.pem (--insecure-skip-verify connects unverified: not recommended)"
        )
    warn("no CA given (--ssl-ca or ssl_ca in the outputs): TLS is required, but the server is NOT verified")
    return None


def _target(outputs_: StackOutputs, endpoint: Endpoint, ca: str | None, options: Options) -> db.Target:
    return db.Target(
        host=endpoint.host,
        port=endpoint.port,
        user=outputs_.db.username,
        password=outputs_.db_password,
        ssl_ca=ca,
        # TLS passes through the proxy to the server, whose certificate names the
        # server, not the proxy: verify the chain only, as through a tunnel.
        verify_identity=options.tls_verify_identity and not options.via_proxy,
    )


def app_schema(outputs_: StackOutputs, options: Options) -> str:
    """The application schema: ``--app-schema``, else the outputs' ``db.database``, else "app".

    Validated here because it is pasted into SQL unquoted (``${database}``): it must be
    1-64 letters, digits or _ starting with a letter, the stack's dbName rule.
    """
    if options.app_schema is not None:
        value, origin = options.app_schema, "--app-schema"
    elif outputs_.db.database:
        value, origin = outputs_.db.database, "the outputs' db.database"
    else:
        value, origin = FALLBACK_APP_SCHEMA, "the fallback for an empty db.database"
    if not sql_placeholders.VALUE_RE.fullmatch(value):
        raise BadInput(
            f"app schema (from {origin}) must be 1-64 letters, digits or _ starting with a letter "
            f"({sql_placeholders.VALUE_RE.pattern}), got {value!r}"
        )
    try:
        app_user.validate_schema(value, options.ops_schema)
    except app_user.AppUserError as exc:
        raise BadInput(f"app schema (from {origin}): {exc}") from None
    return value


def _validate(options: Options) -> None:
    try:
        migrations.validate_identifier(options.ops_schema, "ops schema")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    try:
        app_user.validate(options.app_user, options.app_user_host)
    except app_user.AppUserError as exc:
        raise BadInput(str(exc)) from None
    for name, seconds in (
        ("--connect-timeout", options.connect_timeout_s),
        ("--replication-timeout", options.replication_timeout_s),
        ("--lock-timeout", options.lock_timeout_s),
    ):
        # NaN passes "<= 0" and never ends a wait; inf never ends one either.
        if not math.isfinite(seconds) or not 0 < seconds <= MAX_TIMEOUT_S:
            raise BadInput(
                f"{name} must be a positive, finite number of seconds up to {MAX_TIMEOUT_S}, got {seconds}"
            )


def endpoints(outputs_: StackOutputs, options: Options) -> tuple[Endpoint, tuple[Endpoint, ...]]:
    """Writer and readers: overrides first, then the proxy if asked, else ``db.writer``/``db.readers``."""
    writer, readers = outputs_.db.writer, outputs_.db.readers
    if options.via_proxy:
        proxy = outputs_.proxy
        if proxy is None:
            raise BadInput("--via-proxy: the outputs have no 'proxy' object (is the proxy enabled?)")
        writer = Endpoint(proxy.host, proxy.writer_port)
        readers = (Endpoint(proxy.host, proxy.reader_port),)
    if options.writer is not None:
        writer = options.writer
    if options.readers is not None:
        readers = options.readers
    return writer, readers


def password_file(outputs_: StackOutputs, options: Options, outputs_path: Path | None) -> Path:
    """--app-password-file, else ``<environment>-<user>.password`` beside the outputs file.

    Both parts of the name come from input: they are checked so that the file cannot
    land outside that folder ('/' or '..' in an environment name).
    """
    if options.app_password_file is not None:
        return options.app_password_file
    if not outputs.ENVIRONMENT_RE.fullmatch(outputs_.environment) or ".." in outputs_.environment:
        raise BadInput(
            f"environment {outputs_.environment!r} cannot name the app password file: expected a stack "
            "name (letters, digits, '-', '_', '.', starting with a letter or digit, no '..')"
        )
    try:
        app_user.validate(options.app_user, options.app_user_host)
    except app_user.AppUserError as exc:
        raise BadInput(str(exc)) from None
    folder = outputs_path.parent if outputs_path else Path(".local")
    return folder / f"{outputs_.environment}-{options.app_user}.password"


def app_user_spec(
    outputs_: StackOutputs, options: Options, schema: str, outputs_path: Path | None
) -> app_user.Spec:
    spec = app_user.Spec(
        name=options.app_user,
        host=options.app_user_host,
        schema=schema,
        ops_schema=options.ops_schema,
        master_user=outputs_.db.username,
        password_file=password_file(outputs_, options, outputs_path),
        rotate=options.rotate_app_password,
        adopt=options.adopt_app_user,
    )
    try:
        app_user.validate_spec(spec)
    except app_user.AppUserError as exc:
        raise BadInput(str(exc)) from None
    return spec


def bootstrap(
    outputs_: StackOutputs,
    options: Options,
    *,
    outputs_path: Path | None = None,
    progress: Callable[[str], None] = print,
    warn: Callable[[str], None] = _log.warning,
) -> Report:
    """Apply migrations, ensure the app user, check replication. Raises on failure.

    Errors: BadInput / MigrationFileError / OutputsError / AppUserError (bad input; for the
    app user nothing is changed), db.DbError (connect), MigrationError / AppUserFailure,
    ReplicationCheckError; unclassified mysql.connector errors propagate (:func:`run` maps
    them to exit 4, or 3 for a lost connection).
    """
    _validate(options)
    schema = app_schema(outputs_, options)
    if options.app_schema is None and not outputs_.db.database:
        progress(f"the outputs' db.database is empty (dbName unset): application schema '{schema}'")
    # Bad files, including unknown placeholders, fail before any connection.
    found = migrations.discover(options.sql_dir, {"database": schema})
    ca = tls_ca(outputs_, options, warn)
    spec = app_user_spec(outputs_, options, schema, outputs_path)
    writer_endpoint, reader_endpoints = endpoints(outputs_, options)
    writer = _target(outputs_, writer_endpoint, ca, options)
    readers = [_target(outputs_, e, ca, options) for e in reader_endpoints]
    backoff = db.Backoff(deadline_s=options.connect_timeout_s)
    with db.connection(writer, backoff) as conn:
        progress(f"connected to writer {writer.describe()} ({_tls_state(conn, ca)})")
        # Before the migrations: a refused app user must leave the server untouched.
        app_user.check(conn, spec)
        runner = migrations.Runner(
            conn, history_schema=options.ops_schema, lock_timeout_s=options.lock_timeout_s, progress=progress
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


# Exception type -> (exit code, what kind of failure it is). Order matters: first match wins.
_FAILURES: tuple[tuple[type[BaseException], int, str], ...] = (
    (BadInput, EXIT_BAD_INPUT, "bad input"),
    (outputs.OutputsError, EXIT_BAD_INPUT, "bad input"),
    (app_user.AppUserError, EXIT_BAD_INPUT, "app user"),
    (MigrationFileError, EXIT_BAD_INPUT, "bad migration file"),
    (db.DbError, EXIT_CONNECT, "connection"),
    (MigrationError, EXIT_MIGRATION, "migration"),
    (app_user.AppUserFailure, EXIT_MIGRATION, "app user"),
    (replication_check.ReplicationCheckError, EXIT_REPLICATION, "replication check"),
)


def run(
    outputs_: StackOutputs,
    options: Options,
    *,
    outputs_path: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Bootstrap, print progress and summary to ``out``, errors to ``err``; return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr

    def progress(line: str) -> None:
        print(line, file=out, flush=True)

    def warn(line: str) -> None:
        print(f"bootstrap: warning: {line}", file=err, flush=True)

    try:
        report = bootstrap(outputs_, options, outputs_path=outputs_path, progress=progress, warn=warn)
    except tuple(kind for kind, _, _ in _FAILURES) as exc:
        code, label = next((c, lbl) for kind, c, lbl in _FAILURES if isinstance(exc, kind))
        print(f"bootstrap: {label} error: {db.scrub(str(exc), outputs_.db_password)}", file=err)
        return code
    except mysql.connector.Error as exc:
        # Anything the steps did not classify (history, app user, SHOW DATABASES): a schema
        # failure, unless the connection itself went away.
        code = EXIT_CONNECT if db.is_connection_lost(exc) else EXIT_MIGRATION
        print(f"bootstrap: database error: {db.describe_error(exc, outputs_.db_password)}", file=err)
        return code
    for line in summary(report):
        progress(line)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.bootstrap",
        description="Apply migrations, create the application user and check replication.",
        epilog="exit codes: 0 ok, 2 bad input, 3 cannot connect/authenticate (or connection lost), "
        "4 migration failed, 5 replication check failed",
    )
    p.add_argument(
        "--outputs",
        required=True,
        type=Path,
        metavar="FILE",
        help="`pulumi stack output --json --show-secrets` or the local environment's outputs.json",
    )
    p.add_argument(
        "--sql-dir", type=Path, default=DEFAULT_SQL_DIR, metavar="DIR", help="migrations (default: sql/)"
    )
    p.add_argument(
        "--ssl-ca", metavar="PATH", help="CA to verify the server with (default: ssl_ca from the outputs)"
    )
    p.add_argument(
        "--no-verify-identity",
        action="store_true",
        help="verify the certificate chain but not the host name (only for tunnels)",
    )
    p.add_argument(
        "--insecure-skip-verify",
        action="store_true",
        help="TLS without verifying the server (no CA needed): anyone on the path can pose as the "
        f"server and get the master password. Prefer --ssl-ca (RDS: {RDS_CA_BUNDLE_URL})",
    )
    p.add_argument(
        "--connect-timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="overall deadline for reaching the writer, retried with backoff (default 60)",
    )
    p.add_argument(
        "--replication-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="how long every reader may take to return the heartbeat (default 30)",
    )
    p.add_argument(
        "--lock-timeout", type=int, default=120, metavar="S", help="wait for the migration lock (default 120)"
    )
    p.add_argument("--ops-schema", default="ops", help="schema of schema_history/heartbeat (ops)")
    p.add_argument("--app-user", default="app", help="application user name (default: app)")
    p.add_argument("--app-user-host", default="%", help="its host part (default: %%)")
    p.add_argument(
        "--app-schema",
        metavar="NAME",
        help="the application schema: ${database} in migrations, and what the app user may use "
        "(default: the outputs' db.database, i.e. the stack's dbName; 'app' if that is empty)",
    )
    p.add_argument(
        "--app-password-file",
        type=Path,
        metavar="F",
        help=f"read the app password from F, or write a generated one there (0600); "
        f"${app_user.PASSWORD_ENV} wins if set (default: <outputs dir>/<env>-<user>.password)",
    )
    p.add_argument(
        "--rotate-app-password",
        action="store_true",
        help=f"give an existing app user a new password (${app_user.PASSWORD_ENV}'s, else generated "
        "into the password file); without it an existing user's password is never replaced",
    )
    p.add_argument(
        "--adopt-app-user",
        action="store_true",
        help="take over an existing app user that no bootstrap recorded as its own (an account an "
        "older bootstrap made); its grants are then reconciled. Never the master user",
    )
    p.add_argument(
        "--via-proxy",
        action="store_true",
        help="connect through the outputs' proxy writer/reader ports instead of db.writer/db.readers "
        "(the certificate chain is verified, not the host name: it names the server, not the proxy)",
    )
    p.add_argument("--skip-replication-check", action="store_true", help="do not write/poll a heartbeat")
    p.add_argument(
        "--writer",
        type=_endpoint_arg,
        metavar="HOST:PORT",
        help="connect to the writer here instead (e.g. a Session Manager forward on 127.0.0.1:13306)",
    )
    p.add_argument(
        "--reader",
        type=_endpoint_arg,
        action="append",
        metavar="HOST:PORT",
        help="a reader to check instead of the outputs' readers (repeatable)",
    )
    add_host_access_arguments(p)
    return p


def _endpoint_arg(text: str) -> Endpoint:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT with a port in 1-65535, got {text!r}")
    return Endpoint(host, int(port))


def add_host_access_arguments(parser: argparse.ArgumentParser) -> None:
    """--via-host and the SSH options (shared with ``scripts.automation``)."""
    group = parser.add_argument_group(
        "through the EC2 host",
        "an SSH tunnel; automatic when the DB is not publicly accessible and the environment is not local",
    )
    group.add_argument(
        "--via-host", action="store_true", help="reach the DB through an SSH tunnel via the host"
    )
    group.add_argument(
        "--ssh-key",
        type=Path,
        metavar="PATH",
        help="private key for the host (default: $MYSQL_PLATFORM_SSH_KEY, "
        "else ~/.ssh/id_ed25519|id_ecdsa|id_rsa)",
    )
    group.add_argument("--ssh-port", type=int, default=22, metavar="PORT", help="host's SSH port (22)")
    group.add_argument("--known-hosts", type=Path, metavar="FILE", help="ssh known_hosts file to use")


def host_access_from_args(args: argparse.Namespace) -> tunnel.HostAccess:
    if not 1 <= args.ssh_port <= 65535:
        raise BadInput(f"--ssh-port must be a TCP port (1-65535), got {args.ssh_port}")
    return tunnel.HostAccess(
        via_host=args.via_host, key_path=args.ssh_key, ssh_port=args.ssh_port, known_hosts=args.known_hosts
    )


def endpoint_options(
    options: Options, writer: Endpoint, readers: Sequence[Endpoint], *, tunnelled: bool
) -> Options:
    """The options pointed at these endpoints.

    Through a tunnel we connect to 127.0.0.1, which the RDS certificate does not
    name, so only the chain is verified against the CA; ssh's host key check
    authenticates the hop and the host connects to the real RDS name.
    """
    return dataclasses.replace(
        options,
        writer=writer,
        readers=tuple(readers),
        tls_verify_identity=options.tls_verify_identity and not tunnelled,
    )


def run_via_host(
    outputs_: StackOutputs,
    options: Options,
    access: tunnel.HostAccess,
    *,
    outputs_path: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """:func:`run`, through an SSH tunnel via the EC2 host when asked or when the DB is private.

    The tunnel is closed on every exit path. One that cannot be opened is a
    connection failure (exit 3).
    """
    err = err or sys.stderr
    if options.writer is not None and not access.via_host:
        # An explicit --writer (e.g. a Session Manager forward) is the path: no automatic tunnel.
        return run(outputs_, options, outputs_path=outputs_path, out=out, err=err)
    try:
        writer, readers = endpoints(outputs_, options)
        tunnelled = tunnel.wanted(outputs_, access)
        if tunnelled:
            tls_ca(outputs_, options, lambda _line: None)  # a missing CA fails before the tunnel; run warns
        with tunnel.via_host(outputs_, access, writer, readers) as (local_writer, local_readers):
            local = endpoint_options(options, local_writer, local_readers, tunnelled=tunnelled)
            return run(outputs_, local, outputs_path=outputs_path, out=out, err=err)
    except BadInput as exc:
        print(f"bootstrap: bad input error: {exc}", file=err)
        return EXIT_BAD_INPUT
    except tunnel.TunnelError as exc:
        print(f"bootstrap: connection error: {exc}", file=err)
        return EXIT_CONNECT


def options_from_args(args: argparse.Namespace) -> Options:
    return Options(
        sql_dir=args.sql_dir,
        ssl_ca=args.ssl_ca,
        tls_verify_identity=not args.no_verify_identity,
        insecure_skip_verify=args.insecure_skip_verify,
        connect_timeout_s=args.connect_timeout,
        replication_timeout_s=args.replication_timeout,
        lock_timeout_s=args.lock_timeout,
        ops_schema=args.ops_schema,
        app_user=args.app_user,
        app_user_host=args.app_user_host,
        app_schema=args.app_schema,
        app_password_file=args.app_password_file,
        rotate_app_password=args.rotate_app_password,
        adopt_app_user=args.adopt_app_user,
        skip_replication_check=args.skip_replication_check,
        via_proxy=args.via_proxy,
        writer=args.writer,
        readers=None if args.reader is None else tuple(args.reader),
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with _interruptible():
            return _main(argv)
    except KeyboardInterrupt:
        print("bootstrap: interrupted (Ctrl-C); rerun the bootstrap to finish", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    try:
        parsed = outputs.from_json_file(args.outputs)
        access = host_access_from_args(args)
    except (outputs.OutputsError, BadInput) as exc:
        print(f"bootstrap: bad input error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    loose = outputs.permission_warning(args.outputs)
    if loose:
        print(f"bootstrap: warning: {loose}", file=sys.stderr)
    return run_via_host(parsed, options_from_args(args), access, outputs_path=args.outputs)


@contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C: shut the database sockets first, then raise KeyboardInterrupt.

    A query interrupted while the server works on it (GET_LOCK waiting for the migration
    lock, a long migration) leaves its answer pending; the cleanup that follows (releasing
    the lock, closing) would wait for that answer. Without sockets it fails at once, and
    the server rolls back and releases what the connection held.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def interrupted(_signum: int, _frame: object) -> None:
        db.abort_connections()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
