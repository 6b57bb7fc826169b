"""One statement on one connection: its Result, whether its connection died, and a reset.

What every path of a session (reads, writes, pins, diagnostics) does the same way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.core.contract import Endpoint
from mysql_platform.db.connection import CONNECTION_LOST_ERRNOS
from mysql_platform.router.pool import cursor_for

# The server refuses a write because it is read-only: it was demoted; nothing was applied.
READ_ONLY_ERRNOS = frozenset({1290, 1792, 1836})


class Result(NamedTuple):
    """One statement's outcome. A NamedTuple: made for every statement, it must be cheap."""

    rows: list[tuple[Any, ...]]
    columns: tuple[str, ...]
    rowcount: int
    lastrowid: int | None
    # Where it ran: "writer" or "reader", and the endpoint as host:port.
    role: str
    server: str
    # The server's warning count for the statement (read them with SHOW WARNINGS next).
    warnings: int = 0
    # The result sets after the first (a CALL of a procedure that returns several): (columns, rows).
    more: tuple[tuple[tuple[str, ...], list[tuple[Any, ...]]], ...] = ()

    def as_dicts(self) -> list[dict[str, Any]]:
        """The rows as dictionaries keyed by column name (the connector's ``dictionary=True``)."""
        columns = self.columns
        return [dict(zip(columns, row, strict=True)) for row in self.rows]


def lost(exc: BaseException) -> bool:
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


def run(conn: MySQLConnection, sql: str, params: Any, role: str, endpoint: Endpoint) -> Result:
    cur = cursor_for(conn)
    cur.execute(sql, params or ())
    description = cur.description
    if description:
        # The default cursor's rows are tuples already.
        rows: list[tuple[Any, ...]] = cur.fetchall()  # type: ignore[assignment]
        columns = tuple(d[0] for d in description)
    else:
        rows, columns = [], ()
    result = Result(rows, columns, cur.rowcount, cur.lastrowid, role, _address(endpoint), cur.warning_count)
    if conn._have_next_result:  # a CALL: every result set is read, none is left on the connection
        result = result._replace(more=_more_sets(cur))
    return result


def _more_sets(cur: Any) -> tuple[tuple[tuple[str, ...], list[tuple[Any, ...]]], ...]:
    sets = []
    while cur.nextset():
        if cur.description:
            sets.append((tuple(d[0] for d in cur.description), cur.fetchall()))
    return tuple(sets)


@lru_cache(maxsize=256)
def _address(endpoint: Endpoint) -> str:
    return f"{endpoint.host}:{endpoint.port}"


def reset(conn: MySQLConnection) -> bool:
    """COM_RESET_CONNECTION: the session's state goes (temporary tables, locks, variables)."""
    try:
        return bool(conn.cmd_reset_connection())
    except (mysql.connector.Error, OSError):
        return False
