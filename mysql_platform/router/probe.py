"""The monitor's own connections: one per endpoint, short timeouts, never pooled with the queries.

Each check is one round trip: ``@@read_only``, the GTID position (the writer's binlog
position, a replica's applied one) and, on MariaDB, whether replication runs. One round trip,
not two: each connection keeps one cursor (the connector's ``cursor()`` pings the server
first). The socket keeps the connect timeout for reads, so a hung server costs one timeout,
not a hang.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.core.contract import Endpoint
from mysql_platform.db.connection import Target, connect_once, describe_error
from mysql_platform.router.gtid import MARIADB, MYSQL, Dialect
from mysql_platform.router.pool import cursor_for

_REPLICATING_SQL = (
    "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SLAVE_RUNNING')"
)


@dataclass(frozen=True)
class Observation:
    read_only: bool
    position: str | None
    replicating: bool | None


class ProbeFailed(Exception):
    """The endpoint did not answer the check; the message is safe to show."""


class Prober:
    def __init__(self, make_target: Callable[[Endpoint], Target], timeout_s: float) -> None:
        self._make_target = make_target
        self._timeout_s = timeout_s
        self._conns: dict[Endpoint, MySQLConnection] = {}
        self._lock = threading.Lock()
        self.dialect: Dialect | None = None
        self.mariadb = False

    def _target(self, endpoint: Endpoint) -> Target:
        return self._make_target(endpoint)

    def _conn(self, endpoint: Endpoint) -> MySQLConnection:
        conn = self._conns.get(endpoint)
        if conn is None:
            conn = connect_once(self._target(endpoint), self._timeout_s)
            # A check of a hung server (SIGSTOPped, frozen disk) gives up too, not only its connect.
            conn.read_timeout = conn.write_timeout = max(1, math.ceil(self._timeout_s))
            self._conns[endpoint] = conn
        return conn

    def _drop(self, endpoint: Endpoint) -> None:
        conn = self._conns.pop(endpoint, None)
        if conn is not None:
            with suppress(mysql.connector.Error, OSError):
                conn.close()

    def detect(self, endpoint: Endpoint, *, consistency: str) -> Dialect | None:
        """Which GTID dialect the servers speak, None when only the heartbeat works."""
        with self._lock:
            row = self._query(endpoint, "SELECT @@version")
            version = str(row[0])
            self.mariadb = "mariadb" in version.lower()
            if consistency == "heartbeat":
                self.dialect = None
            elif self.mariadb:
                self.dialect = MARIADB
            else:
                mode = str(self._query(endpoint, "SELECT @@GLOBAL.gtid_mode")[0]).upper()
                self.dialect = MYSQL if mode in {"ON", "ON_PERMISSIVE"} else None
            return self.dialect

    def observe(self, endpoint: Endpoint, *, writer: bool) -> Observation:
        dialect = self.dialect
        if dialect is None:
            position_sql = "NULL"
        else:
            query = dialect.writer_position_sql if writer else dialect.reader_position_sql
            position_sql = query.removeprefix("SELECT ")
        replicating_sql = _REPLICATING_SQL if self.mariadb and not writer else "NULL"
        with self._lock:
            row = self._query(endpoint, f"SELECT @@GLOBAL.read_only, {position_sql}, {replicating_sql}")
        read_only, position, replicating = row
        return Observation(
            read_only=bool(int(str(read_only))),
            position=None if position is None else str(position),
            replicating=None if replicating is None else str(replicating).upper() == "ON",
        )

    def _query(self, endpoint: Endpoint, sql: str) -> tuple[object, ...]:
        try:
            cur = cursor_for(self._conn(endpoint))
            cur.execute(sql)
            # fetchall, not fetchone: the one row is read to the end, so the reused cursor
            # leaves no unread result behind for the next check.
            rows = cur.fetchall()
            row = rows[0] if rows else None
        except mysql.connector.Error as exc:
            self._drop(endpoint)
            raise ProbeFailed(describe_error(exc, self._target(endpoint).password)) from None
        except OSError as exc:
            self._drop(endpoint)
            raise ProbeFailed(str(exc)) from None
        assert isinstance(row, tuple)
        return row

    def forget(self, endpoint: Endpoint) -> None:
        with self._lock:
            self._drop(endpoint)

    def close(self) -> None:
        with self._lock:
            for endpoint in list(self._conns):
                self._drop(endpoint)
