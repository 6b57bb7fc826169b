"""The router a service holds: a cluster of endpoints, and sessions over it.

One per service process; thread-safe. ``execute``/``query``/``transaction`` use one session per
thread; ``session()`` and ``read_your_writes()`` make explicit ones.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.core.contract import Endpoint
from mysql_platform.router.cluster import Cluster, Credentials
from mysql_platform.router.session import Session
from mysql_platform.router.settings import RouterSettings
from mysql_platform.router.statement_run import Result
from mysql_platform.router.topology import TopologySource

__all__ = ["Credentials", "Router"]


class Router(Cluster):
    """Use as a context manager, or call :meth:`close`."""

    def __init__(self, source: TopologySource, credentials: Credentials, settings: RouterSettings) -> None:
        super().__init__(source, credentials, settings)
        self._local = threading.local()

    def __enter__(self) -> Router:
        return self

    @contextmanager
    def writer(self) -> Iterator[MySQLConnection]:
        """A writer connection of your own (SET, LOCK TABLES, prepared statements...).

        Its session is reset (COM_RESET_CONNECTION) before it returns to the pool.
        """
        endpoint, conn = self.acquire_writer()
        with self._own(endpoint, conn):
            yield conn

    @contextmanager
    def reader(self) -> Iterator[MySQLConnection]:
        """A connection to a healthy reader of your own (the writer when none is healthy).

        No read-your-writes wait: use a session for that.
        """
        endpoint = self.pick_reader()
        if endpoint is None:
            endpoint, conn = self.acquire_writer()
        else:
            try:
                conn = self.pool(endpoint).acquire()
            except mysql.connector.Error as exc:
                self.eject(endpoint, f"unreachable: {self.pool(endpoint).describe_error(exc)}")
                endpoint, conn = self.acquire_writer()
        with self._own(endpoint, conn):
            yield conn

    @contextmanager
    def _own(self, endpoint: Endpoint, conn: MySQLConnection) -> Iterator[None]:
        broken = True
        try:
            yield
            # False when the server did not reset the session: then the connection is closed.
            broken = not conn.cmd_reset_connection()
        finally:
            self.release(endpoint, conn, broken=broken)

    def session(self, *, read_your_writes: bool | None = None) -> Session:
        """A new session (SQLAlchemy's unit of work): its reads see its own writes."""
        ryw = self.settings.read_your_writes if read_your_writes is None else read_your_writes
        return Session(self, read_your_writes=ryw)

    @contextmanager
    def read_your_writes(self) -> Iterator[Session]:
        """A scope whose reads wait for its writes on a replica (or go to the writer)."""
        session = self.session(read_your_writes=True)
        try:
            yield session
        finally:
            session.close()

    def _default_session(self) -> Session:
        session: Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self.session()
            self._local.session = session
        return session

    def execute(self, sql: str, params: Any = ()) -> Result:
        """Run one statement where it belongs, in this thread's session; returns a Result."""
        return self._default_session().execute(sql, params)

    def query(self, sql: str, params: Any = (), *, dictionary: bool = False) -> list[Any]:
        """The rows of one statement (see :meth:`execute`): tuples, or dictionaries keyed by column
        with ``dictionary=True``."""
        return self._default_session().query(sql, params, dictionary=dictionary)

    def transaction(self) -> AbstractContextManager[Session]:
        """``with router.transaction() as tx:`` every statement on the writer, committed at the end."""
        return self._default_session().transaction()
