"""Command-line options shared by the commands that connect to the database from an outputs file:
``bootstrap`` and ``migrate``. Each command adds its own options beside these."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mysql_platform_core import outputs
from mysql_platform_core.contract import Endpoint, StackOutputs
from scripts.db import connection as db
from scripts.db.bootstrap_options import DEFAULT_SQL_DIR, RDS_CA_BUNDLE_URL, BadInput
from scripts.stack import tunnel


def add_connection_arguments(p: argparse.ArgumentParser, *, outputs_required: bool = True) -> None:
    """The outputs file, the migrations, TLS, timeouts, the schemas, and how to reach the writer."""
    p.add_argument(
        "--outputs",
        required=outputs_required,
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
        "--lock-timeout", type=int, default=120, metavar="S", help="wait for the migration lock (default 120)"
    )
    p.add_argument("--ops-schema", default="ops", help="schema of schema_history/heartbeat (ops)")
    p.add_argument("--app-user", default="app", help="application user name: ${app_user} (default: app)")
    p.add_argument(
        "--app-schema",
        metavar="NAME",
        help="the application schema: ${database} in migrations, and what the app user may use "
        "(default: the outputs' db.database, i.e. the stack's dbName; 'app' if that is empty)",
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


def connection_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`~scripts.db.bootstrap_options.Options` fields that :func:`add_connection_arguments` set."""
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


def read_outputs(args: argparse.Namespace, prog: str) -> tuple[StackOutputs, tunnel.HostAccess] | None:
    """The outputs file and the way to the host; None once the reason is printed (exit 2).

    Warns when the file (it holds the master password) is readable by others.
    """
    try:
        parsed = outputs.from_json_file(args.outputs)
        access = host_access_from_args(args)
    except (outputs.OutputsError, BadInput) as exc:
        print(f"{prog}: bad input error: {exc}", file=sys.stderr)
        return None
    loose = outputs.permission_warning(args.outputs)
    if loose:
        print(f"{prog}: warning: {loose}", file=sys.stderr)
    return parsed, access


@contextmanager
def interruptible() -> Iterator[None]:
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
