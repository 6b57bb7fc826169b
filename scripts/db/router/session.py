"""A session: where each of its statements runs, and the writes its reads must see.

Conventions: a session is SQLAlchemy's unit of work (``with router.session() as s``,
``with s.transaction():`` pins one writer connection and commits at the end, rolls back on an
exception); which server a statement goes to follows Django's database routers (reads to a
replica, writes to the primary), decided here from the statement itself, with
``router.writer()``/``router.reader()`` as Django's ``using()``.

Outside a transaction each statement takes a pooled connection and gives it back. After a
write, a read-your-writes session remembers the writer's GTID position of that write; a read
on a reader that may not have it yet first waits for it there (``causal_wait_s``), else goes
to the writer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform_core.contract import Endpoint
from scripts.db.connection import CONNECTION_LOST_ERRNOS
from scripts.db.router import causal
from scripts.db.router.errors import (
    AmbiguousWrite,
    NoReader,
    RoutingRefused,
    WriteNotApplied,
    WriterUnavailable,
)
from scripts.db.router.gtid import Dialect
from scripts.db.router.pool import cursor_for
from scripts.db.router.statements import Route, route_of, tokens

if TYPE_CHECKING:
    from scripts.db.router.cluster import Cluster

# The server refuses a write because it is read-only: it was demoted; nothing was applied.
READ_ONLY_ERRNOS = frozenset({1290, 1792, 1836})
# Statements that commit the open transaction implicitly (MySQL "Statements That Cause an
# Implicit Commit"): after one of them, a lost connection no longer means "rolled back".
_IMPLICIT_COMMIT_VERBS = frozenset(
    {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE", "LOAD"}
)
_TRANSACTION_VERBS = frozenset({"BEGIN", "START", "COMMIT", "ROLLBACK", "XA"})
# The session wrote since its reads last caught up: a replica must show the writer's
# position (or, without GTIDs, a heartbeat written after it) before it answers.
_WROTE = object()


class Result(NamedTuple):
    """One statement's outcome. A NamedTuple: made for every statement, it must be cheap."""

    rows: list[tuple[Any, ...]]
    columns: tuple[str, ...]
    rowcount: int
    lastrowid: int | None
    # Where it ran: "writer" or "reader", and the endpoint as host:port.
    role: str
    server: str


def _lost(exc: BaseException) -> bool:
    """Whether the connection died (as opposed to the server answering with an error)."""
    if isinstance(exc, OSError):
        return True
    if isinstance(exc, (mysql.connector.errors.ReadTimeoutError, mysql.connector.errors.WriteTimeoutError)):
        return True  # the connector closed the connection: the statement's outcome is unknown
    if not isinstance(exc, mysql.connector.Error):
        return False
    if exc.errno in (None, -1):  # the connector's own "Connection not available" has errno -1
        return isinstance(exc, (mysql.connector.InterfaceError, mysql.connector.OperationalError))
    return exc.errno in CONNECTION_LOST_ERRNOS


def _run(conn: MySQLConnection, sql: str, params: Any, role: str, endpoint: Endpoint) -> Result:
    cur = cursor_for(conn)
    cur.execute(sql, params or ())
    description = cur.description
    if description:
        # The default cursor's rows are tuples already.
        rows: list[tuple[Any, ...]] = cur.fetchall()  # type: ignore[assignment]
        columns = tuple(d[0] for d in description)
    else:
        rows, columns = [], ()
    return Result(rows, columns, cur.rowcount, cur.lastrowid, role, _address(endpoint))


@lru_cache(maxsize=256)
def _address(endpoint: Endpoint) -> str:
    return f"{endpoint.host}:{endpoint.port}"


class Session:
    def __init__(self, cluster: Cluster, *, read_your_writes: bool) -> None:
        self._cluster = cluster
        self.read_your_writes = read_your_writes
        # The writer position this session's reads must see; None: nothing to wait for.
        self._needed: object | None = None
        self._confirmed: set[Endpoint] = set()
        self._tx: tuple[Endpoint, MySQLConnection] | None = None
        self._tx_committed_implicitly = False
        self._tx_dirty_session = False

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._tx is not None:
            endpoint, conn = self._tx
            self._tx = None
            with suppress(mysql.connector.Error, OSError):
                conn.rollback()
            self._cluster.release(endpoint, conn, broken=True)

    # ----- statements ------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Result:
        if self._tx is not None:
            return self._in_transaction(sql, params)
        route = route_of(sql)
        if route is Route.SESSION:
            raise RoutingRefused(
                f"{_verb(sql)} changes a connection's session or transaction, which the router's pooled "
                "connections do not keep: use `with session.transaction():` for transactions, or "
                "`with router.writer() as conn:` for a connection of your own"
            )
        if route is Route.WRITE:
            return self._write(sql, params)
        return self._read(sql, params)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        return self.execute(sql, params).rows

    def _write(self, sql: str, params: Any) -> Result:
        deadline = time.monotonic() + self._cluster.settings.writer_wait_s
        while True:
            endpoint, conn = self._cluster.acquire_writer()
            try:
                result = _run(conn, sql, params, "writer", endpoint)
                break
            except mysql.connector.Error as exc:
                self._cluster.release(endpoint, conn, broken=_lost(exc))
                if exc.errno in READ_ONLY_ERRNOS and time.monotonic() < deadline:
                    # Refused by a demoted writer: not applied, so it is safe to send again
                    # once the router has found the new writer (acquire_writer waits for it).
                    self._cluster.writer_refused(endpoint)
                    continue
                self._write_failed(endpoint, exc, what="the write")
                raise
            except BaseException:
                self._cluster.release(endpoint, conn, broken=True)
                raise
        self._cluster.release(endpoint, conn)
        self._note_write()
        return result

    def _write_failed(self, endpoint: Endpoint, exc: mysql.connector.Error, *, what: str) -> None:
        """Raise the router's error for a lost or read-only writer; other errors are the caller's."""
        where = f"{endpoint.host}:{endpoint.port}"
        if _lost(exc):
            self._cluster.writer_trouble(endpoint, "connection lost")
            raise AmbiguousWrite(
                f"the connection to the writer {where} was lost after {what} was sent: it may or may "
                "not have committed; it was not retried"
            ) from None
        if exc.errno in READ_ONLY_ERRNOS:
            self._cluster.writer_trouble(endpoint, "read-only")
            raise WriteNotApplied(
                f"the writer {where} refused {what} as read-only (it was demoted); nothing was applied"
            ) from None

    def _note_write(self) -> None:
        # The position is read when a replica must show it: a session that only writes pays nothing.
        if self.read_your_writes:
            self._needed = _WROTE
            self._confirmed.clear()

    # ----- reads -----------------------------------------------------------------

    def _read(self, sql: str, params: Any) -> Result:
        cluster = self._cluster
        tried: frozenset[Endpoint] = frozenset()
        for attempt in range(3):
            endpoint = cluster.pick_reader(tried)
            if endpoint is None:
                break
            pool = cluster.pool(endpoint)
            try:
                # The first try skips the idle connection's liveness check: a read that meets a
                # closed connection is simply sent again, on a checked one.
                conn = pool.acquire(verify=attempt > 0)
            except mysql.connector.Error as exc:
                cluster.eject(endpoint, f"unreachable: {pool.describe_error(exc)}")
                tried |= {endpoint}
                continue
            broken = True
            try:
                if self._needed is not None and not self._caught_up(endpoint, conn):
                    broken = False
                    break
                result = _run(conn, sql, params, "reader", endpoint)
                broken = False
                return result
            except mysql.connector.Error as exc:
                if not _lost(exc):
                    broken = False
                    raise
                pool.discard_idle()
                if attempt:
                    cluster.eject(endpoint, f"connection lost: {pool.describe_error(exc)}")
                    tried |= {endpoint}
            finally:
                pool.release(conn, broken=broken)
        return self._read_on_writer(sql, params)

    def _caught_up(self, endpoint: Endpoint, conn: MySQLConnection) -> bool:
        needed = self._needed
        if needed is None or endpoint in self._confirmed:
            return True
        cluster = self._cluster
        dialect = cluster.dialect
        if dialect is None:
            ok = self._heartbeat(conn)
        else:
            if needed is _WROTE:
                needed = self._writer_position(dialect)
                if needed is None:
                    return False
                self._needed = needed
            known = cluster.reader_position(endpoint)
            ok = (known is not None and dialect.covers(known, needed)) or causal.gtid_wait(
                conn, dialect, needed, cluster.settings.causal_wait_s
            )
        if ok:
            self._confirmed.add(endpoint)
        return ok

    def _writer_position(self, dialect: Dialect) -> object | None:
        """The writer's GTID position now: it holds every write this session made before."""
        try:
            with self._cluster.borrowed_writer() as conn:
                text = causal.scalar(conn, dialect.writer_position_sql)
        except (WriterUnavailable, mysql.connector.Error):
            return None
        return dialect.parse(str(text or ""))

    def _heartbeat(self, reader: MySQLConnection) -> bool:
        settings = self._cluster.settings
        try:
            with self._cluster.borrowed_writer() as writer:
                return causal.heartbeat_fence(
                    writer, reader, schema=settings.heartbeat_schema, timeout_s=settings.causal_wait_s
                )
        except WriterUnavailable:
            return False

    def _read_on_writer(self, sql: str, params: Any) -> Result:
        for attempt in range(2):
            try:
                endpoint, conn = self._cluster.acquire_writer()
            except WriterUnavailable as exc:
                raise NoReader(f"no healthy reader, and {exc}") from None
            broken = True
            try:
                result = _run(conn, sql, params, "writer", endpoint)
                broken = False
                return result
            except mysql.connector.Error as exc:
                if not _lost(exc) or attempt:
                    broken = _lost(exc)
                    raise
                # A read is safe to repeat: once, on a fresh connection.
                self._cluster.writer_trouble(endpoint, "connection lost")
            finally:
                self._cluster.release(endpoint, conn, broken=broken)
        raise AssertionError("unreachable")

    # ----- transactions -----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Every statement on one writer connection; COMMIT at the end, ROLLBACK on an exception."""
        if self._tx is not None:
            raise RoutingRefused("a transaction is already open in this session (no nesting)")
        endpoint, conn = self._cluster.acquire_writer()
        try:
            conn.start_transaction()
        except mysql.connector.Error as exc:
            self._cluster.release(endpoint, conn, broken=True)
            self._cluster.writer_trouble(endpoint, "transaction could not start")
            raise WriteNotApplied(
                f"the transaction could not start on the writer {endpoint.host}:{endpoint.port} "
                f"({self._cluster.pool(endpoint).describe_error(exc)}); nothing was applied"
            ) from None
        self._tx, self._tx_committed_implicitly, self._tx_dirty_session = (endpoint, conn), False, False
        try:
            yield self
        except BaseException:
            self._end_transaction(commit=False)
            raise
        self._end_transaction(commit=True)

    def _in_transaction(self, sql: str, params: Any) -> Result:
        assert self._tx is not None
        endpoint, conn = self._tx
        words = tokens(sql) or []
        verb = words[0] if words else ""
        if verb in _TRANSACTION_VERBS:
            raise RoutingRefused(
                f"{verb} inside `with session.transaction():`: the block commits at its end and rolls "
                "back on an exception"
            )
        if verb in _IMPLICIT_COMMIT_VERBS:
            self._tx_committed_implicitly = True
        if route_of(sql) is Route.SESSION:
            self._tx_dirty_session = True
        try:
            return _run(conn, sql, params, "writer", endpoint)
        except mysql.connector.Error as exc:
            if _lost(exc) and not self._tx_committed_implicitly:
                self._cluster.writer_trouble(endpoint, "connection lost")
                raise WriteNotApplied(
                    f"the connection to the writer {endpoint.host}:{endpoint.port} was lost inside the "
                    "transaction before COMMIT: the server rolled it back; nothing was applied"
                ) from None
            self._write_failed(endpoint, exc, what="a statement of the transaction")
            raise

    def _end_transaction(self, *, commit: bool) -> None:
        assert self._tx is not None
        endpoint, conn = self._tx
        self._tx = None
        broken = True
        try:
            if commit:
                try:
                    conn.commit()
                except mysql.connector.Error as exc:
                    self._write_failed(endpoint, exc, what="COMMIT")
                    raise
                self._note_write()
            else:
                with suppress(mysql.connector.Error, OSError):
                    conn.rollback()
            if self._tx_dirty_session:
                conn.cmd_reset_connection()
            broken = False
        finally:
            self._cluster.release(endpoint, conn, broken=broken)


def _verb(sql: str) -> str:
    words = tokens(sql) or ["this statement"]
    return words[0] if words else "this statement"
