"""A session: where each of its statements runs, the state that pins it, the writes its reads must see.

Conventions: a session is SQLAlchemy's unit of work (``with router.session() as s``,
``with s.transaction():`` commits at the end, rolls back on an exception); which server a
statement goes to follows Django's database routers (reads to a replica, writes to the primary),
decided here from the statement itself, with ``router.writer()``/``router.reader()`` as Django's
``using()``.

A statement that leaves state on its connection (a transaction, a lock, a temporary table, a
user variable, a prepared statement, a session variable: see :mod:`session_state`) *pins* the
session to one writer connection, as ProxySQL turns multiplexing off: every statement of the
session runs there until the state is gone, then the connection's session is reset and it goes
back to the pool. Unpinned, each statement takes a pooled connection and *parks* it for the
session's next statement, so ``SHOW WARNINGS``, ``FOUND_ROWS()``, ``ROW_COUNT()`` and
``LAST_INSERT_ID()`` read the diagnostics of the statement before them; when every connection
is in use, the pool takes a parked one back, and such a statement is then refused, never
answered from another connection.

After a write, a read-your-writes session remembers the writer's GTID position of that write; a
read on a reader that may not have it yet first waits for it there (``causal_wait_s``), else
goes to the writer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.core.contract import Endpoint
from mysql_platform.router import causal, session_state
from mysql_platform.router.errors import (
    AmbiguousWrite,
    NoReader,
    RouterError,
    RoutingRefused,
    SessionLost,
    WriteNotApplied,
    WriterUnavailable,
)
from mysql_platform.router.gtid import Dialect
from mysql_platform.router.plans import Plan, plan_of
from mysql_platform.router.pool import EndpointPool, cursor_for, leaves_state
from mysql_platform.router.session_state import SessionState
from mysql_platform.router.statement_run import READ_ONLY_ERRNOS, Result, lost, reset, run
from mysql_platform.router.statements import Route, tokens

if TYPE_CHECKING:
    from mysql_platform.router.cluster import Cluster

# Statements that commit the open transaction implicitly (MySQL "Statements That Cause an
# Implicit Commit"): after one of them, a lost connection no longer means "rolled back".
_IMPLICIT_COMMIT_VERBS = frozenset(
    {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE", "LOAD"}
)
_TRANSACTION_VERBS = frozenset({"BEGIN", "START", "COMMIT", "ROLLBACK", "XA"})
# Errors after which the server has rolled back the whole transaction, not only the statement.
_TRANSACTION_ROLLED_BACK_ERRNOS = frozenset({1213, 1180})
_SERVER_STATE = "state the server reported (left by a procedure, a function or a trigger)"
# The session wrote since its reads last caught up: a replica must show the writer's
# position (or, without GTIDs, a heartbeat written after it) before it answers.
_WROTE = object()


@dataclass
class _Pin:
    """The writer connection a session keeps while it holds state there."""

    endpoint: Endpoint
    conn: MySQLConnection
    state: SessionState
    # Inside `with session.transaction():`.
    block: bool = False
    # A statement that may have left state ran (the connection is reset before it goes back).
    dirty: bool = False
    wrote: bool = False
    committed_implicitly: bool = False
    # Why the block's transaction is gone (its connection was lost), while the block is open.
    lost: str = ""


class _Carry(NamedTuple):
    """The connection of the session's previous statement, parked in its pool."""

    endpoint: Endpoint
    pool: EndpointPool
    token: int
    role: str
    # A statement on this connection, in this session, generated an AUTO_INCREMENT value.
    insert_id: bool


class Session:
    def __init__(self, cluster: Cluster, *, read_your_writes: bool) -> None:
        self._cluster = cluster
        self.read_your_writes = read_your_writes
        # The writer position this session's reads must see; None: nothing to wait for.
        self._needed: object | None = None
        self._confirmed: set[Endpoint] = set()
        self._pin: _Pin | None = None
        self._carry: _Carry | None = None
        # The reused connection's insert-id flag (see _Carry), for the statement running now.
        self._chain_insert_id = False
        # Said once, by the next statement: the pinned connection went away with its state.
        self._lost_notice = ""

    def __enter__(self) -> Session:
        return self

    def __del__(self) -> None:
        # A session dropped unclosed (a thread that ended with its default session pinned) gives
        # its connections back rather than hold them for the life of the process.
        with suppress(Exception):
            self.close()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Give back every connection: a pinned one is rolled back and reset first."""
        self._drop_carry()
        pin, self._pin = self._pin, None
        if pin is not None and not pin.lost:
            with suppress(mysql.connector.Error, OSError):
                pin.conn.rollback()
            self._cluster.release(pin.endpoint, pin.conn, broken=not reset(pin.conn))

    @property
    def pinned(self) -> str | None:
        """What keeps this session on one writer connection, or None when nothing does."""
        pin = self._pin
        if pin is None:
            return None
        return pin.state.describe() if not pin.block else f"a transaction block; {pin.state.describe()}"

    # ----- statements ------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Result:
        if self._cluster.closed:
            self.close()
            raise RouterError("the router is closed")
        if self._lost_notice:
            notice, self._lost_notice = self._lost_notice, ""
            raise SessionLost(notice)
        plan = plan_of(sql, self._cluster.settings.read_only_functions)
        if plan.multi:
            raise RoutingRefused(
                "several statements in one call: the router runs one statement per call (send them "
                "one by one, in `with session.transaction():` when they belong together)"
            )
        if self._pin is not None:
            return self._pinned(sql, params, plan)
        if plan.pins:
            self._pin = self._new_pin()
            return self._pinned(sql, params, plan)
        if plan.diagnostics:
            return self._diagnostics(sql, params, plan)
        if plan.route is Route.READ:
            return self._read(sql, params, plan)
        return self._write(sql, params, plan)

    def query(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = (), *, dictionary: bool = False
    ) -> list[Any]:
        """The rows of one statement: tuples, or dictionaries keyed by column with ``dictionary=True``."""
        result = self.execute(sql, params)
        return result.as_dicts() if dictionary else result.rows

    def _exec(self, endpoint: Endpoint, conn: MySQLConnection, sql: str, params: Any, role: str) -> Result:
        stats = self._cluster.pool(endpoint).stats
        try:
            result = run(conn, sql, params, role, endpoint)
        except BaseException:
            stats.statement(failed=True)
            raise
        stats.statement(failed=False)
        return result

    # ----- the previous statement's connection -------------------------------------

    def _park(
        self,
        endpoint: Endpoint,
        conn: MySQLConnection,
        role: str,
        result: Result | None,
        *,
        generated: bool = False,
    ) -> None:
        insert_id = self._chain_insert_id or generated or bool(result is not None and result.lastrowid)
        self._chain_insert_id = False
        pool = self._cluster.pool(endpoint)
        token = pool.park(conn)
        self._carry = _Carry(endpoint, pool, token, role, insert_id) if token else None

    def _take(self, endpoint: Endpoint, *, verify: bool = True) -> MySQLConnection:
        """A connection to ``endpoint``: the parked one when it is there, else from the pool."""
        carry = self._carry
        self._chain_insert_id = False
        if carry is not None:
            self._carry = None
            if carry.endpoint == endpoint:
                conn = carry.pool.unpark(carry.token, verify=verify)
                if conn is not None:
                    self._chain_insert_id = carry.insert_id
                    return conn
            else:
                self._give_back(carry)
        return self._cluster.pool(endpoint).acquire(verify=verify)

    def _writer_conn(self) -> tuple[Endpoint, MySQLConnection]:
        """A writer connection: the parked one when it is the writer's, else the cluster's
        (which waits through a failover)."""
        carry = self._carry
        cluster = self._cluster
        if carry is not None and carry.endpoint == cluster.writer_endpoint and cluster.writer_writable:
            self._carry = None
            conn = carry.pool.unpark(carry.token)
            if conn is not None:
                self._chain_insert_id = carry.insert_id
                return carry.endpoint, conn
        else:
            self._drop_carry()
        self._chain_insert_id = False
        return cluster.acquire_writer()

    def _drop_carry(self) -> None:
        carry, self._carry = self._carry, None
        self._chain_insert_id = False
        if carry is not None:
            self._give_back(carry)

    def _give_back(self, carry: _Carry) -> None:
        carry.pool.return_parked(carry.token)

    def _diagnostics(self, sql: str, params: Any, plan: Plan) -> Result:
        """A statement that reads the previous statement's diagnostics, on that statement's connection."""
        carry, self._carry = self._carry, None
        what = _verb(sql)
        if carry is None:
            raise RoutingRefused(
                f"{what} reads what this session's previous statement left on its connection (warnings, "
                "counts, status), and this session has none (no statement yet, or a read on a replica "
                "that had no warnings: its Result has its rows): send it right after the statement it "
                "is about, in the same session, or use `with router.writer() as conn:`"
            )
        if plan.last_insert_id and not carry.insert_id:
            self._give_back(carry)
            raise RoutingRefused(
                f"{what} reads the value an INSERT (AUTO_INCREMENT) or NEXTVAL generated on the same "
                "connection, and this session's previous statement did not generate one there: use "
                "the INSERT's Result.lastrowid, or run both in `with session.transaction():`"
            )
        conn = carry.pool.unpark(carry.token)
        if conn is None:
            raise RoutingRefused(
                f"{what} reads the diagnostics of this session's previous statement, whose connection "
                "the pool took back for another caller (all pool_size connections were in use) or "
                "the server closed: use the previous Result (rowcount, lastrowid, warnings), or run "
                "both in `with session.transaction():`"
            )
        self._chain_insert_id = carry.insert_id
        try:
            result = self._exec(carry.endpoint, conn, sql, params, carry.role)
        except mysql.connector.Error as exc:
            self._failed(carry.endpoint, conn, exc, carry.role, write=plan.route is not Route.READ)
            raise
        except BaseException:
            self._chain_insert_id = False
            self._cluster.release(carry.endpoint, conn, broken=True)
            raise
        if plan.route is not Route.READ and carry.role == "writer":
            self._note_write()
        self._settle(carry.endpoint, conn, carry.role, result, plan)
        return result

    def _failed(
        self, endpoint: Endpoint, conn: MySQLConnection, exc: mysql.connector.Error, role: str, *, write: bool
    ) -> None:
        """After a statement's error: park the connection (its diagnostics), or drop a lost one."""
        if not lost(exc):
            self._after_error(endpoint, conn, role, exc)
            return
        self._chain_insert_id = False
        self._cluster.release(endpoint, conn, broken=True)
        if write and role == "writer":
            self._write_failed(endpoint, exc, what="the write")

    def _after_error(
        self, endpoint: Endpoint, conn: MySQLConnection, role: str, exc: mysql.connector.Error
    ) -> None:
        """A statement failed, the connection lives: park it when the server ran it (its warnings and
        errors are the session's to read); one the connector refused before sending carries
        someone else's diagnostics, so it goes back unparked."""
        if getattr(exc, "sqlstate", None):
            self._park(endpoint, conn, role, None)
        else:
            self._chain_insert_id = False
            self._cluster.release(endpoint, conn)

    def _settle(
        self, endpoint: Endpoint, conn: MySQLConnection, role: str, result: Result, plan: Plan
    ) -> None:
        """After an unpinned statement: pin, reset or park its connection, as what it left requires."""
        if leaves_state(conn):
            if role == "writer":
                self._pin_left_state(endpoint, conn, plan)
                return
            self._give_back_reset(endpoint, conn)  # a replica's session state is nobody's
            return
        if plan.calls:
            # A procedure may take user locks, which the server does not report: they go with a reset.
            self._give_back_reset(endpoint, conn)
            return
        if role == "reader" and not result.warnings and not plan.diagnostics:
            # A replica's clean read leaves nothing to ask about (its row count is the rows): the
            # connection goes straight back, which keeps the hot path to one checkout.
            self._chain_insert_id = False
            self._cluster.release(endpoint, conn)
            return
        self._park(endpoint, conn, role, result, generated=plan.generates)

    def _pin_left_state(self, endpoint: Endpoint, conn: MySQLConnection, plan: Plan) -> None:
        state = SessionState(transaction=conn.in_transaction)
        if not conn.in_transaction or getattr(conn, "server_status", 0) & (1 << 14):
            state.lasting.add(_SERVER_STATE)
        self._chain_insert_id = False
        self._pin = _Pin(endpoint, conn, state, dirty=True, wrote=plan.route is not Route.READ)
        self._maybe_unpin(self._pin)

    def _give_back_reset(self, endpoint: Endpoint, conn: MySQLConnection) -> None:
        self._chain_insert_id = False
        self._cluster.release(endpoint, conn, broken=not reset(conn))

    # ----- writes ------------------------------------------------------------------

    def _write(self, sql: str, params: Any, plan: Plan) -> Result:
        deadline = time.monotonic() + self._cluster.settings.writer_wait_s
        while True:
            endpoint, conn = self._writer_conn()
            try:
                result = self._exec(endpoint, conn, sql, params, "writer")
                break
            except mysql.connector.Error as exc:
                if exc.errno in READ_ONLY_ERRNOS and time.monotonic() < deadline:
                    # Refused by a demoted writer: not applied, so it is safe to send again
                    # once the router has found the new writer (acquire_writer waits for it).
                    self._cluster.release(endpoint, conn)
                    self._cluster.writer_refused(endpoint)
                    continue
                self._failed(endpoint, conn, exc, "writer", write=True)
                self._write_failed(endpoint, exc, what="the write")
                raise
            except BaseException:
                self._cluster.release(endpoint, conn, broken=True)
                raise
        self._note_write()
        self._settle(endpoint, conn, "writer", result, plan)
        return result

    def _write_failed(self, endpoint: Endpoint, exc: mysql.connector.Error, *, what: str) -> None:
        """Raise the router's error for a lost or read-only writer; other errors are the caller's."""
        where = f"{endpoint.host}:{endpoint.port}"
        if lost(exc):
            self._cluster.suspect_writer(endpoint, "connection lost")
            raise AmbiguousWrite(
                f"the connection to the writer {where} was lost after {what} was sent: it may or may "
                "not have committed; it was not retried"
            ) from None
        if exc.errno in READ_ONLY_ERRNOS:
            self._cluster.suspect_writer(endpoint, "read-only")
            raise WriteNotApplied(
                f"the writer {where} refused {what} as read-only (it was demoted); nothing was applied"
            ) from None

    def _note_write(self) -> None:
        # The position is read when a replica must show it: a session that only writes pays nothing.
        if self.read_your_writes:
            self._needed = _WROTE
            self._confirmed.clear()

    # ----- reads -----------------------------------------------------------------

    def _read(self, sql: str, params: Any, plan: Plan) -> Result:
        cluster = self._cluster
        tried: frozenset[Endpoint] = frozenset()
        for attempt in range(3):
            endpoint = cluster.pick_reader(tried)
            if endpoint is None:
                break
            try:
                # The first try skips the idle connection's liveness check: a read that meets a
                # closed connection is simply sent again, on a checked one.
                conn = self._take(endpoint, verify=attempt > 0)
            except mysql.connector.Error as exc:
                cluster.eject(endpoint, f"unreachable: {cluster.pool(endpoint).describe_error(exc)}")
                tried |= {endpoint}
                continue
            try:
                if self._needed is not None and not self._caught_up(endpoint, conn):
                    self._park(endpoint, conn, "reader", None)
                    break
                result = self._exec(endpoint, conn, sql, params, "reader")
            except mysql.connector.Error as exc:
                if not lost(exc):
                    self._after_error(endpoint, conn, "reader", exc)
                    raise
                cluster.release(endpoint, conn, broken=True)
                cluster.pool(endpoint).discard_idle()
                # A closed idle connection is worth one more try there; a server that did not
                # answer within read_timeout_s is not.
                if attempt or isinstance(exc, mysql.connector.errors.ReadTimeoutError):
                    cluster.eject(endpoint, f"connection lost: {cluster.pool(endpoint).describe_error(exc)}")
                    tried |= {endpoint}
                continue
            except BaseException:
                cluster.release(endpoint, conn, broken=True)
                raise
            self._settle(endpoint, conn, "reader", result, plan)
            return result
        return self._read_on_writer(sql, params, plan)

    def _caught_up(self, endpoint: Endpoint, conn: MySQLConnection) -> bool:
        needed = self._needed
        if needed is None or endpoint in self._confirmed:
            return True
        cluster = self._cluster
        dialect = cluster.dialect
        started = time.monotonic()
        if dialect is None:
            ok = self._heartbeat(conn)
        else:
            if needed is _WROTE:
                needed = self._writer_position(dialect)
                if needed is None:
                    return False
                self._needed = needed
            known = cluster.reader_position(endpoint)
            if known is not None and dialect.covers(known, needed):
                ok = True
            else:
                ok = causal.gtid_wait(conn, dialect, needed, cluster.settings.causal_wait_s)
                cluster.pool(endpoint).stats.causal_wait(time.monotonic() - started, caught_up=ok)
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

    def _read_on_writer(self, sql: str, params: Any, plan: Plan) -> Result:
        for attempt in range(2):
            try:
                endpoint, conn = self._writer_conn()
            except WriterUnavailable as exc:
                why = (
                    "no reader could show this session's writes"
                    if self._needed is not None and self._cluster.pick_reader() is not None
                    else "no healthy reader"
                )
                raise NoReader(f"{why}, and {exc}") from None
            try:
                result = self._exec(endpoint, conn, sql, params, "writer")
            except mysql.connector.Error as exc:
                if not lost(exc) or attempt:
                    self._failed(endpoint, conn, exc, "writer", write=False)
                    raise
                # A read is safe to repeat: once, on a fresh connection.
                self._cluster.release(endpoint, conn, broken=True)
                self._cluster.suspect_writer(endpoint, "connection lost")
                continue
            except BaseException:
                self._cluster.release(endpoint, conn, broken=True)
                raise
            self._settle(endpoint, conn, "writer", result, plan)
            return result
        raise AssertionError("unreachable")

    # ----- pinned: a writer connection of the session's own ---------------------------

    def _new_pin(self) -> _Pin:
        endpoint, conn = self._writer_conn()
        self._chain_insert_id = False
        return _Pin(endpoint, conn, SessionState())

    def _pinned(self, sql: str, params: Any, plan: Plan) -> Result:
        pin = self._pin
        assert pin is not None
        if pin.lost:
            raise WriteNotApplied(f"{pin.lost}; the transaction block must end before the session goes on")
        words = tokens(sql) or []
        verb = words[0] if words else ""
        if pin.block and verb in _TRANSACTION_VERBS:
            raise RoutingRefused(
                f"{verb} inside `with session.transaction():`: the block commits at its end and rolls "
                "back on an exception"
            )
        if verb in _IMPLICIT_COMMIT_VERBS:
            pin.committed_implicitly = True
        in_transaction = pin.block or pin.conn.in_transaction
        pin.dirty |= plan.pins
        try:
            result = self._exec(pin.endpoint, pin.conn, sql, params, "writer")
        except mysql.connector.Error as exc:
            if lost(exc):
                self._pin_lost(pin, plan, in_transaction)
            if exc.errno in _TRANSACTION_ROLLED_BACK_ERRNOS and in_transaction:
                pin.state.transaction = False
                if pin.block:
                    pin.lost = f"the server rolled the transaction back (error {exc.errno})"
            self._maybe_unpin(pin)
            self._write_failed(pin.endpoint, exc, what="the statement")
            raise
        except BaseException:
            # Interrupted mid-statement (a signal, a deadline): the connection may hold an unread
            # answer, so it cannot serve another statement; its state goes with it.
            self._abandon(pin, "a statement on it was interrupted")
            raise
        pin.wrote |= plan.route is not Route.READ
        self._track(pin)
        return result

    def _track(self, pin: _Pin) -> None:
        """Update what the pin holds after a statement; unpin when nothing is left."""
        state = pin.state
        state.transaction = pin.conn.in_transaction
        statement = cursor_for(pin.conn).statement or ""
        if not isinstance(statement, str):
            statement = bytes(statement).decode("utf-8", "replace")
        if session_state.apply(state, statement):
            self._ask_locks(pin)
        self._maybe_unpin(pin)

    def _ask_locks(self, pin: _Pin) -> None:
        """Keep only the user locks the server says this connection still holds."""
        names = sorted(pin.state.user_locks)
        checks = ", ".join("IS_USED_LOCK(%s) <=> CONNECTION_ID()" for _ in names)
        cur = cursor_for(pin.conn)
        with suppress(mysql.connector.Error):  # unknown: keep them all (the pin stays)
            cur.execute(f"SELECT {checks}", names)
            row = cur.fetchone()
            if isinstance(row, tuple):
                pin.state.user_locks = {n for n, held in zip(names, row, strict=True) if held}

    def _maybe_unpin(self, pin: _Pin) -> None:
        if pin.block or not pin.state.empty() or pin.conn.in_transaction or self._pin is not pin:
            return
        self._pin = None
        clean = not pin.dirty or reset(pin.conn)
        self._cluster.release(pin.endpoint, pin.conn, broken=not clean)
        if pin.wrote:
            self._note_write()

    def _abandon(self, pin: _Pin, why: str) -> None:
        self._cluster.release(pin.endpoint, pin.conn, broken=True)
        message = f"this session's writer connection was closed because {why}"
        if not pin.state.empty():
            message += f"; the session's state on it ({pin.state.describe()}) is gone"
        if pin.block:
            pin.lost = message
        else:
            self._pin = None
            self._lost_notice = message

    def _pin_lost(self, pin: _Pin, plan: Plan, in_transaction: bool) -> None:
        """The pinned connection died: say what was lost, and raise."""
        self._cluster.release(pin.endpoint, pin.conn, broken=True)
        self._cluster.suspect_writer(pin.endpoint, "connection lost")
        where = f"{pin.endpoint.host}:{pin.endpoint.port}"
        held = pin.state.describe()
        gone = f"; the session's state on it ({held}) is gone" if not pin.state.empty() else ""
        rolled_back = in_transaction and not pin.committed_implicitly
        if pin.block:
            pin.lost = f"the connection to the writer {where} was lost inside the transaction"
        else:
            self._pin = None
        if rolled_back:
            raise WriteNotApplied(
                f"the connection to the writer {where} was lost inside the transaction before COMMIT: "
                f"the server rolled it back; nothing was applied{gone}"
            ) from None
        if plan.route is not Route.READ:
            raise AmbiguousWrite(
                f"the connection to the writer {where} was lost after the statement was sent: it may "
                f"or may not have committed; it was not retried{gone}"
            ) from None
        raise SessionLost(
            f"the connection to the writer {where} was lost{gone or ''}; the session goes on without it"
        ) from None

    # ----- transactions -----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Every statement on one writer connection; COMMIT at the end, ROLLBACK on an exception."""
        pin = self._pin
        if pin is not None and pin.block:
            raise RoutingRefused("a transaction is already open in this session (no nesting)")
        if pin is not None and pin.conn.in_transaction:
            raise RoutingRefused(
                "a transaction this session opened with BEGIN is still open: end it with COMMIT or "
                "ROLLBACK before `with session.transaction():`"
            )
        fresh = pin is None
        if pin is None:
            pin = self._pin = self._new_pin()
        try:
            pin.conn.start_transaction()
        except mysql.connector.Error as exc:
            if fresh:
                self._pin = None
                self._cluster.release(pin.endpoint, pin.conn, broken=True)
            self._cluster.suspect_writer(pin.endpoint, "transaction could not start")
            raise WriteNotApplied(
                f"the transaction could not start on the writer {pin.endpoint.host}:{pin.endpoint.port} "
                f"({self._cluster.pool(pin.endpoint).describe_error(exc)}); nothing was applied"
            ) from None
        pin.block, pin.committed_implicitly = True, False
        try:
            yield self
        except BaseException:
            self._end_block(pin, commit=False)
            raise
        self._end_block(pin, commit=True)

    def _end_block(self, pin: _Pin, *, commit: bool) -> None:
        pin.block = False
        if pin.lost:
            self._pin = None
            if commit:
                raise WriteNotApplied(f"{pin.lost}: the server rolled it back; nothing was applied")
            return
        if commit:
            try:
                pin.conn.commit()
            except mysql.connector.Error as exc:
                self._pin = None
                self._cluster.release(pin.endpoint, pin.conn, broken=True)
                self._write_failed(pin.endpoint, exc, what="COMMIT")
                raise
            pin.wrote = True
        else:
            with suppress(mysql.connector.Error, OSError):
                pin.conn.rollback()
        pin.state.transaction = pin.conn.in_transaction
        self._maybe_unpin(pin)


def _verb(sql: str) -> str:
    words = tokens(sql) or ["this statement"]
    return words[0] if words else "this statement"
