"""Command-line options shared by the commands that connect to the database from an outputs file:
``bootstrap`` and ``migrate``. Each command adds its own options beside these."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mysql_platform.cli.migrate_settings import (
    CONFIG_FILE,
    INTERACTIVE_CONNECT_TIMEOUT_S,
    KINDS,
    LOCAL_OUTPUTS,
    PYPROJECT_TABLE,
    UNATTENDED_CONNECT_TIMEOUT_S,
    check_sql_dir,
    env_name,
    interactive_default_timeout,
    missing_outputs_message,
    resolve,
)
from mysql_platform.core import outputs
from mysql_platform.core.contract import Endpoint, StackOutputs
from mysql_platform.db import connection as db
from mysql_platform.db.bootstrap_options import RDS_CA_BUNDLE_URL, BadInput
from mysql_platform.errors import Terminated
from mysql_platform.stack import tunnel


def add_connection_arguments(p: argparse.ArgumentParser) -> None:
    """The outputs file, the migrations, TLS, timeouts, the schemas, and how to reach the writer.

    The settings of :mod:`mysql_platform.cli.migrate_settings` default to None here: :func:`apply_settings`
    fills them from the environment, the config file or the default after parsing.
    """
    p.add_argument(
        "--outputs",
        type=Path,
        metavar="FILE",
        help="`pulumi stack output --json --show-secrets` or the local environment's outputs.json "
        f"(${env_name('outputs')}, else `outputs` in {CONFIG_FILE} or [{PYPROJECT_TABLE}] of "
        f"pyproject.toml, else {LOCAL_OUTPUTS} when it exists)",
    )
    p.add_argument(
        "--sql-dir", type=Path, metavar="DIR", help=f"migrations (${env_name('sql-dir')}; default: ./sql)"
    )
    p.add_argument(
        "--ssl-ca",
        metavar="PATH",
        help=f"CA to verify the server with (${env_name('ssl-ca')}; default: ssl_ca from the outputs)",
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
        metavar="S",
        help="overall deadline for reaching the writer, retried with backoff; a line on stderr at "
        f"the first failure and every few seconds (${env_name('connect-timeout')}; default "
        f"{INTERACTIVE_CONNECT_TIMEOUT_S:g} when stdin and stderr are terminals, else "
        f"{UNATTENDED_CONNECT_TIMEOUT_S:g})",
    )
    p.add_argument(
        "--lock-timeout",
        type=int,
        metavar="S",
        help=f"wait for the migration lock (${env_name('lock-timeout')}; default 120)",
    )
    p.add_argument(
        "--ops-schema", help=f"schema of schema_history/heartbeat (${env_name('ops-schema')}; default ops)"
    )
    p.add_argument(
        "--app-user", help=f"application user name: ${{app_user}} (${env_name('app-user')}; default: app)"
    )
    p.add_argument(
        "--app-schema",
        metavar="NAME",
        help="the application schema: ${database} in migrations, and what the app user may use "
        f"(${env_name('app-schema')}; default: the outputs' db.database, i.e. the stack's dbName; "
        "'app' if that is empty)",
    )
    p.add_argument(
        "--via-proxy",
        action="store_true",
        help="connect through the outputs' proxy writer/reader ports instead of db.writer/db.readers "
        "(the certificate chain is verified, not the host name: it names the server, not the proxy)",
    )
    p.add_argument(
        "--writer",
        type=endpoint_arg,
        metavar="HOST:PORT",
        help="connect to the writer here instead (e.g. a Session Manager forward on 127.0.0.1:13306)",
    )
    add_host_access_arguments(p)


def endpoint_arg(text: str) -> Endpoint:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT with a port in 1-65535, got {text!r}")
    return Endpoint(host, int(port))


def add_host_access_arguments(parser: argparse.ArgumentParser) -> None:
    """--via-host and the SSH options (shared with ``mysql-platform stack``)."""
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


def apply_settings(args: argparse.Namespace) -> None:
    """Fill the settings the command line left out from the environment, the config file or the
    default (:mod:`mysql_platform.cli.migrate_settings`); raises SettingsError (exit 2)."""
    given = {
        key: getattr(args, key.replace("-", "_")) for key in KINDS if hasattr(args, key.replace("-", "_"))
    }
    resolved = resolve(
        given,
        environ=os.environ,
        cwd=Path.cwd(),
        connect_timeout_default=interactive_default_timeout(sys.stdin.isatty(), sys.stderr.isatty()),
    )
    check_sql_dir(resolved)
    for key, value in resolved.values.items():
        setattr(args, key.replace("-", "_"), value)


def host_access_from_args(args: argparse.Namespace) -> tunnel.HostAccess:
    if not 1 <= args.ssh_port <= 65535:
        raise BadInput(f"--ssh-port must be a TCP port (1-65535), got {args.ssh_port}")
    return tunnel.HostAccess(
        via_host=args.via_host, key_path=args.ssh_key, ssh_port=args.ssh_port, known_hosts=args.known_hosts
    )


def connection_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`~mysql_platform.db.bootstrap_options.Options`
    fields that :func:`add_connection_arguments` set."""
    return {
        "sql_dir": args.sql_dir,
        "ssl_ca": args.ssl_ca,
        "tls_verify_identity": not args.no_verify_identity,
        "insecure_skip_verify": args.insecure_skip_verify,
        "connect_timeout_s": args.connect_timeout,
        "lock_timeout_s": args.lock_timeout,
        "ops_schema": args.ops_schema,
        "app_user": args.app_user,
        "app_schema": args.app_schema,
        "via_proxy": args.via_proxy,
        "writer": args.writer,
    }


def load_outputs(args: argparse.Namespace) -> tuple[StackOutputs, tunnel.HostAccess, str | None]:
    """The outputs file (settings applied), the way to the host, and a warning when the file (it
    holds the master password) is readable by others. Raises OutputsError or BadInput."""
    if args.outputs is None:
        raise BadInput(missing_outputs_message())
    parsed = outputs.from_json_file(args.outputs)
    return parsed, host_access_from_args(args), outputs.permission_warning(args.outputs)


def read_outputs(args: argparse.Namespace, prog: str) -> tuple[StackOutputs, tunnel.HostAccess] | None:
    """The settings resolved, the outputs file read and the way to the host; None once the reason
    is printed (exit 2)."""
    try:
        apply_settings(args)
        parsed, access, loose = load_outputs(args)
    except (outputs.OutputsError, BadInput) as exc:
        print(f"{prog}: bad input error: {exc}", file=sys.stderr)
        return None
    if loose:
        print(f"{prog}: warning: {loose}", file=sys.stderr)
    return parsed, access


# OpenSSL's default trust store, which mysql-connector adds to every TLS context it builds, beside
# the CA it is given (mysql/connector/network.py, build_ssl_context: load_default_certs()).
DEFAULT_TRUST_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


@contextmanager
def trusting_only_the_given_ca() -> Iterator[None]:
    """For the block, OpenSSL's default trust store points at nothing.

    The database is verified against the CA the command is given (``--ssl-ca``, the outputs'
    ``ssl_ca``) or, with none, not verified at all (the local environment, or
    ``--insecure-skip-verify``): the system bundle is never what the command means to trust, yet
    the connector adds it to every context, so a certificate from any public CA for the
    database's name would pass too. Loading it also costs 55-95 ms on every connection here, and
    ``migrate`` opens one per file. ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` are OpenSSL's way to
    choose that store; a shell's own values (for HTTPS tools) have no part in the database's trust
    and are put back after the block, as are unset ones. Set in the main thread, before any
    connection.
    """
    before = {name: os.environ.get(name) for name in DEFAULT_TRUST_VARIABLES}
    for name in DEFAULT_TRUST_VARIABLES:
        os.environ[name] = os.devnull
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C or SIGTERM: shut the database sockets first, then raise KeyboardInterrupt
    (:class:`~mysql_platform.errors.Terminated` for SIGTERM).

    A query interrupted while the server works on it (GET_LOCK waiting for the migration
    lock, a long migration) leaves its answer pending; the cleanup that follows (releasing
    the lock, closing) would wait for that answer. Without sockets it fails at once, and
    the server rolls back and releases what the connection held.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def interrupted(signum: int, _frame: object) -> None:
        db.abort_connections()
        raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
