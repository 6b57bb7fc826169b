"""A small blocking pool of TLS connections to one endpoint.

Not the connector's ``MySQLConnectionPool``: it raises "pool exhausted" at once instead of
waiting for a connection to come back, creates its connections through ``connect()`` (so not
through :class:`~mysql_platform.db.connection.TlsRequiredConnection`, which refuses a server without
TLS before the login is sent), and resets the session with a round trip on every return.
This pool waits up to ``checkout_timeout_s``, connects with :func:`connect_once`, keeps idle
connections last-in first-out (the warm ones), and pings a connection that sat idle longer
than ``ping_after_s`` before handing it out (SQLAlchemy's ``pool_pre_ping``, for the idle ones
only), so a write never goes out on a connection the server already closed.
"""

from __future__ import annotations

import itertools
import math
import select
import threading
import time
from collections.abc import Callable
from contextlib import suppress

import mysql.connector
from mysql.connector.abstracts import MySQLCursorAbstract
from mysql.connector.connection import MySQLConnection
from mysql.connector.constants import ServerFlag

from mysql_platform.db.connection import Target, connect_once, describe_error
from mysql_platform.router.errors import RouterError
from mysql_platform.router.stats import EndpointStats


def connect_for_statements(target: Target, timeout_s: float, read_timeout_s: float) -> MySQLConnection:
    """Connect within ``timeout_s``; then each wait for the server lasts at most ``read_timeout_s``.

    Without a bound, a caller would wait as long as a hung server stays hung. The connector
    takes whole seconds (``read_timeout``/``write_timeout``, rounded up here) and closes the
    connection when one runs out (ReadTimeoutError): a statement that needs longer must raise it.
    """
    conn = connect_once(target, timeout_s, multi_statements=False, init_command=TRACK_STATE)
    conn.read_timeout = conn.write_timeout = max(1, math.ceil(read_timeout_s))
    return conn


_CURSOR = "_mysql_platform_router_cursor"
# The server then flags (SERVER_SESSION_STATE_CHANGED) every reply after which the session holds
# state: user variables, temporary tables, prepared statements, system variables, the default
# database, however they were set (a procedure, a function, a trigger). MariaDB 10.2+, MySQL 5.7+.
TRACK_STATE = "SET SESSION session_track_state_change = ON"
SESSION_STATE_CHANGED = 1 << 14
IN_TRANSACTION = ServerFlag.STATUS_IN_TRANS
AUTOCOMMIT = ServerFlag.STATUS_AUTOCOMMIT


def leaves_state(conn: MySQLConnection) -> bool:
    """Whether the server said, in its last reply, that the session now holds state."""
    flags: int = getattr(conn, "server_status", AUTOCOMMIT)
    return bool(flags & (SESSION_STATE_CHANGED | IN_TRANSACTION)) or not flags & AUTOCOMMIT


class PoolClosed(RouterError):
    """The router was closed."""


class PoolTimeout(RouterError):
    """Every connection stayed checked out for ``checkout_timeout_s``."""


class EndpointPool:
    """Thread-safe. The common case (an idle connection is there) takes one lock, no condition."""

    def __init__(
        self,
        target: Target,
        *,
        max_size: int,
        connect_timeout_s: float,
        checkout_timeout_s: float,
        ping_after_s: float = 1.0,
        read_timeout_s: float = 30.0,
        connect: Callable[[Target, float, float], MySQLConnection] = connect_for_statements,
    ) -> None:
        if max_size < 1:
            raise ValueError(f"pool size must be at least 1, got {max_size}")
        self.target = target
        self._max = max_size
        self._connect_timeout = connect_timeout_s
        self._checkout_timeout = checkout_timeout_s
        self._ping_after = ping_after_s
        self._connect = connect
        self._read_timeout = read_timeout_s
        # (connection, monotonic time it came back), the most recent last.
        self._idle: list[tuple[MySQLConnection, float]] = []
        # Connections a session keeps for its next statement (see park), the oldest first.
        self._parked: dict[int, tuple[MySQLConnection, float]] = {}
        self._tokens = itertools.count(1)
        self.stats = EndpointStats()
        self._out = 0
        self._waiting = 0
        self._closed = False
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)

    def acquire(self, *, verify: bool = True) -> MySQLConnection:
        """An open connection; raises the connector's error when the endpoint cannot be reached.

        ``verify``: make sure the server has not closed an idle connection before handing it
        out (no round trip; a write needs it, a read that fails is simply sent again).
        """
        conn: MySQLConnection | None
        with self._lock:
            if self._idle and not self._closed:
                conn, since = self._idle.pop()
                self._out += 1
            else:
                conn, since = self._wait_for_turn()
        try:
            if conn is not None and not self._usable(conn, since, verify):
                conn = None
            return (
                conn
                if conn is not None
                else self._connect(self.target, self._connect_timeout, self._read_timeout)
            )
        except BaseException:
            self._forget()
            raise

    def _wait_for_turn(self) -> tuple[MySQLConnection | None, float]:
        """Under the lock: an idle connection, or (None, 0) for a new one; waits when all are out."""
        deadline = time.monotonic() + self._checkout_timeout
        while True:
            if self._closed:
                raise PoolClosed(f"the router's pool for {self.target.describe()} is closed")
            if self._idle:
                self._out += 1
                return self._idle.pop()
            if self._out < self._max:
                self._out += 1
                return None, 0.0
            if self._parked:
                # Every connection is out, some only kept for a session's next statement: that
                # session loses its previous statement's diagnostics, nobody waits.
                token = next(iter(self._parked))
                return self._parked.pop(token)
            left = deadline - time.monotonic()
            self._waiting += 1
            try:
                woken = left > 0 and self._cond.wait(left)
            finally:
                self._waiting -= 1
            if not woken:
                raise PoolTimeout(
                    f"all {self._max} connections to {self.target.describe()} stayed in use for "
                    f"{self._checkout_timeout:g} s (raise pool_size?)"
                )

    def _usable(self, conn: MySQLConnection, since: float, verify: bool) -> bool:
        if verify and peer_closed(conn):
            _close_quietly(conn)
            return False
        if time.monotonic() - since < self._ping_after:
            return True
        try:
            conn.cmd_ping()
            return True
        except mysql.connector.Error:
            _close_quietly(conn)
            return False

    def release(self, conn: MySQLConnection, *, broken: bool = False) -> None:
        """Give ``conn`` back; a broken one (or one returned after close) is closed instead."""
        with self._lock:
            self._out -= 1
            keep = not broken and not self._closed
            if keep:
                self._idle.append((conn, time.monotonic()))
            if self._waiting:
                self._cond.notify()
        if not keep:
            _close_quietly(conn)

    def park(self, conn: MySQLConnection) -> int:
        """Keep ``conn`` out for its session's next statement; a token for :meth:`unpark`.

        A parked connection still counts as checked out, but when every connection is out, the
        pool takes the oldest parked one back for another caller instead of making it wait.
        """
        with self._lock:
            if self._closed:
                token = 0
            else:
                token = next(self._tokens)
                self._parked[token] = (conn, time.monotonic())
                if self._waiting:
                    self._cond.notify()
        if token == 0:
            self._forget()
            _close_quietly(conn)
        return token

    def unpark(self, token: int, *, verify: bool = True) -> MySQLConnection | None:
        """The parked connection, checked out again; None when the pool took it back or it died."""
        with self._lock:
            item = self._parked.pop(token, None)
        if item is None:
            return None
        conn, since = item
        if not self._usable(conn, since, verify):
            self._forget()
            return None
        return conn

    def return_parked(self, token: int) -> None:
        """Put a parked connection back with the idle ones (one lock, not unpark then release)."""
        with self._lock:
            item = self._parked.pop(token, None)
            if item is None:
                return
            self._out -= 1
            keep = not self._closed
            if keep:
                self._idle.append((item[0], time.monotonic()))
            if self._waiting:
                self._cond.notify()
        if not keep:
            _close_quietly(item[0])

    def _forget(self) -> None:
        with self._lock:
            self._out -= 1
            if self._waiting:
                self._cond.notify()

    def discard_idle(self) -> None:
        """Close the idle connections (the endpoint changed role or went away)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            _close_quietly(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._cond.notify_all()
            parked, self._parked = self._parked, {}
            self._out -= len(parked)
        for conn, _ in parked.values():
            _close_quietly(conn)
        self.discard_idle()

    def sizes(self) -> tuple[int, int, int]:
        """(in use, idle, parked for a session's next statement)."""
        with self._lock:
            parked = len(self._parked)
            return self._out - parked, len(self._idle), parked

    def describe_error(self, exc: BaseException) -> str:
        return describe_error(exc, self.target.password)


def cursor_for(conn: MySQLConnection) -> MySQLCursorAbstract:
    """The one cursor the router uses on ``conn``, made on first use.

    The connector's ``cursor()`` first checks ``is_connected()``, which pings the server: a
    whole extra round trip for every statement that opens a cursor of its own.
    """
    cursor = conn.__dict__.get(_CURSOR)
    if cursor is None:
        cursor = conn.cursor()
        conn.__dict__[_CURSOR] = cursor
    return cursor


def peer_closed(conn: MySQLConnection) -> bool:
    """Whether the server already closed this idle connection (no round trip).

    An idle connection has nothing to read; if its socket is readable, the server sent its
    goodbye or died (a killed server's kernel closes the socket). Checked before a statement
    goes out, so a write is not sent into a dead connection and reported as ambiguous.
    """
    sock = getattr(getattr(conn, "_socket", None), "sock", None)
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _close_quietly(conn: MySQLConnection) -> None:
    with suppress(mysql.connector.Error, OSError):
        conn.close()
