"""``mysql-platform bootstrap``: apply migrations, create the app user, check replication.

    mysql-platform bootstrap --outputs FILE [--sql-dir DIR] [--ssl-ca PATH] ...

Exit codes (also in the README; the table is :mod:`mysql_platform.errors`):
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
    143 terminated (SIGTERM)

The work is :func:`mysql_platform.orchestrate.run_via_host` over :mod:`mysql_platform.db.bootstrap`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mysql_platform import orchestrate
from mysql_platform.cli.db_options import (
    add_connection_arguments,
    connection_options,
    endpoint_arg,
    interruptible,
    read_outputs,
    trusting_only_the_given_ca,
)
from mysql_platform.core.command_names import prog
from mysql_platform.db import app_password
from mysql_platform.db.bootstrap_options import Options
from mysql_platform.errors import EXIT_BAD_INPUT, interrupt_exit


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog("bootstrap"),
        description="Apply migrations, create the application user and check replication.",
        epilog="exit codes: 0 ok, 2 bad input, 3 cannot connect/authenticate (or connection lost), "
        "4 migration failed, 5 replication check failed, 130 Ctrl-C, 143 SIGTERM",
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
        **connection_options(args),
        replication_timeout_s=args.replication_timeout,
        app_user_host=args.app_user_host,
        app_password_file=args.app_password_file,
        rotate_app_password=args.rotate_app_password,
        adopt_app_user=args.adopt_app_user,
        skip_replication_check=args.skip_replication_check,
        readers=None if args.reader is None else tuple(args.reader),
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with interruptible(), trusting_only_the_given_ca():
            return _main(argv)
    except KeyboardInterrupt as exc:
        code, what = interrupt_exit(exc)
        print(f"bootstrap: {what}; rerun the bootstrap to finish", file=sys.stderr)
        return code


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    target = read_outputs(args, "bootstrap")
    if target is None:
        return EXIT_BAD_INPUT
    parsed, access = target
    return orchestrate.run_via_host(
        parsed, options_from_args(args), access, outputs_path=args.outputs, out=sys.stdout, err=sys.stderr
    )


if __name__ == "__main__":
    sys.exit(main())
