"""``python -m scripts.bootstrap``: apply migrations, create the app user, check replication.

    python -m scripts.bootstrap --outputs FILE [--sql-dir DIR] [--ssl-ca PATH] ...

Exit codes (also in the README; the table is :mod:`scripts.errors`):
    0  ok
    2  bad input: arguments, unreadable/malformed outputs, bad migration files, no CA
       outside the local environment, an app user the bootstrap may not manage or whose
       password is not at hand (nothing is changed then)
    3  cannot connect to or authenticate with the writer (or the connection was lost),
       or the server does not offer TLS (the login is not sent then), or the SSH tunnel
       could not be opened
    4  applying the schema failed: a migration failed, an applied migration was
       edited/removed, lock timeout, or another database error (history, app user)
    5  replication check failed (a reader did not return the heartbeat in time)
    130 interrupted (Ctrl-C)

The work is :func:`scripts.orchestrate.run_via_host` over :mod:`scripts.db.bootstrap`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from mysql_platform_core import outputs
from scripts import orchestrate
from scripts.cli.db_options import add_connection_arguments, endpoint_arg, host_access_from_args
from scripts.db import app_password
from scripts.db import connection as db
from scripts.db.bootstrap_options import BadInput, Options
from scripts.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.bootstrap",
        description="Apply migrations, create the application user and check replication.",
        epilog="exit codes: 0 ok, 2 bad input, 3 cannot connect/authenticate (or connection lost), "
        "4 migration failed, 5 replication check failed",
    )
    add_connection_arguments(p)
    p.add_argument(
        "--replication-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="how long every reader may take to return the heartbeat (default 30)",
    )
    p.add_argument("--app-user-host", default="%", help="its host part (default: %%)")
    p.add_argument(
        "--app-password-file",
        type=Path,
        metavar="F",
        help=f"read the app password from F, or write a generated one there (0600); "
        f"${app_password.PASSWORD_ENV} wins if set (default: <outputs dir>/<env>-<user>.password)",
    )
    p.add_argument(
        "--rotate-app-password",
        action="store_true",
        help=f"give an existing app user a new password (${app_password.PASSWORD_ENV}'s, else generated "
        "into the password file); without it an existing user's password is never replaced",
    )
    p.add_argument(
        "--adopt-app-user",
        action="store_true",
        help="take over an existing app user that no bootstrap recorded as its own (an account an "
        "older bootstrap made); its grants are then reconciled. Never the master user",
    )
    p.add_argument("--skip-replication-check", action="store_true", help="do not write/poll a heartbeat")
    p.add_argument(
        "--reader",
        type=endpoint_arg,
        action="append",
        metavar="HOST:PORT",
        help="a reader to check instead of the outputs' readers (repeatable)",
    )
    return p


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
        args = build_parser().parse_args(argv)
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
    return orchestrate.run_via_host(
        parsed, options_from_args(args), access, outputs_path=args.outputs, out=sys.stdout, err=sys.stderr
    )


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
