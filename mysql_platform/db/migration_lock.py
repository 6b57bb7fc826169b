"""The migration lock: a server-wide named lock (``GET_LOCK``) held by the runner's connection.

``GET_LOCK`` belongs to the connection that took it and ends with it. Files run in sessions of
their own (:mod:`mysql_platform.db.migrations`), so the connection that holds the lock is idle while a
file runs, for hours for a long ``ALTER``; the server closes an idle connection after its
``wait_timeout``, and a proxy or NAT on the way may drop it sooner. Then the lock is gone and a
second run could apply the same file. Two defences:

- while a file runs, :meth:`HeldLock.kept_alive` pings the lock's connection (``COM_PING``)
  well within its ``wait_timeout``, and every :data:`KEEPALIVE_MAX_S` at least, for the
  middleboxes;
- before a file is recorded, :meth:`HeldLock.check` asks, in the file's own session and
  transaction, which connection holds the lock (``IS_USED_LOCK``). If it is not the runner's,
  nothing is recorded, the file's last transaction is rolled back, and the run stops naming it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.db.migration_errors import MigrationError
from mysql_platform.db.migration_files import Migration

# One round trip takes the lock and reads what the run needs from the server: its packet limit
# (the file sessions get the global value when they connect), the lock's connection and its
# idle timeout.
# The name and the timeout are written into the query (the name is made of a checked identifier):
# a query with parameters makes the connector ask for the session's sql_mode first.
LOCK_SQL = (
    "SELECT GET_LOCK('{name}', {timeout}), @@GLOBAL.max_allowed_packet, CONNECTION_ID(),"
    " @@SESSION.wait_timeout"
)
# MySQL refuses lock names longer than 64 characters (GET_LOCK, "Locking Functions").
MAX_NAME_CHARS = 64
PREFIX = "mysql-platform.migrations."


def lock_name(schema: str) -> str:
    """The lock guarding the history in ``schema``: server-wide, so named after it; a schema name
    too long to fit is replaced by its digest."""
    name = PREFIX + schema
    if len(name) <= MAX_NAME_CHARS:
        return name
    return PREFIX + hashlib.sha256(schema.encode()).hexdigest()[: MAX_NAME_CHARS - len(PREFIX)]


# Pings at most this far apart: idle timeouts of proxies and NAT gateways are minutes (an AWS NAT
# gateway's is 350 s), far above this.
KEEPALIVE_MAX_S = 60.0
# Joining the keepalive thread waits at most this long: a ping to a server that stopped answering
# must not hold up the failure the caller is reporting.
KEEPALIVE_JOIN_S = 5.0


class LockLost(MigrationError):
    """The connection that held the migration lock is gone: another run may hold it now."""


@dataclass(frozen=True)
class HeldLock:
    """The lock ``name``, held by connection ``owner`` (``conn``), whose ``wait_timeout`` is ``idle_s``."""

    conn: MySQLConnection
    name: str
    owner: int
    idle_s: float

    def check(self, session: MySQLConnection, migration: Migration) -> None:
        """Raise :class:`LockLost` unless the lock is still this runner's (read in ``session``)."""
        with session.cursor() as cur:
            cur.execute(f"SELECT IS_USED_LOCK('{_literal(self.name)}')")
            row = cur.fetchone()
        holder = row[0] if isinstance(row, tuple) else None
        if holder is not None and int(str(holder)) == self.owner:
            return
        raise LockLost(
            f"{migration.script} ran, but the migration lock '{self.name}' was lost while it ran (the "
            "connection that held it was closed: the server's wait_timeout, a proxy's idle timeout, or "
            f"the network), so another run may be applying migrations now; {migration.script} was not "
            "recorded and its last transaction was rolled back. "
            "Check `mysql-platform migrate info`, then rerun"
        )

    @contextmanager
    def kept_alive(self) -> Iterator[None]:
        """Ping the lock's connection while the block runs (on another connection)."""
        every = min(KEEPALIVE_MAX_S, max(self.idle_s / 3, 0.5))
        stop = threading.Event()
        beat = threading.Thread(target=_ping_until, args=(self.conn.ping, stop, every), daemon=True)
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join(KEEPALIVE_JOIN_S)


def _ping_until(ping: Callable[[], object], stop: threading.Event, every: float) -> None:
    # The runner's thread does not use the lock's connection while a file runs: only this one does.
    while not stop.wait(every):
        try:
            ping()
        except mysql.connector.Error:
            return  # gone: HeldLock.check reports it before anything is recorded


def take(conn: MySQLConnection, name: str, timeout_s: int) -> tuple[HeldLock | None, int]:
    """Try to take the lock within ``timeout_s``: (the lock or None, the server's packet limit)."""
    with conn.cursor() as cur:
        cur.execute(LOCK_SQL.format(name=_literal(name), timeout=int(timeout_s)))
        row = cur.fetchone()
    if not isinstance(row, tuple):
        return None, 0
    got, packet, owner, idle = row
    held = HeldLock(conn, name, int(str(owner)), float(str(idle))) if got == 1 else None
    return held, int(str(packet))


def _literal(name: str) -> str:
    """``name`` for a single-quoted SQL string: the runner's lock names are letters, digits, '.',
    '-' and '_' (a checked schema name), so anything else is a bug, not data."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
        raise ValueError(f"lock name {name!r} must be letters, digits, '.', '-' or '_', at most 64")
    return name


def release(conn: MySQLConnection, name: str) -> None:
    # A dead connection has released its locks already.
    with suppress(mysql.connector.Error), conn.cursor() as cur:
        cur.execute(f"SELECT RELEASE_LOCK('{_literal(name)}')")
        cur.fetchall()
