"""Read-your-writes: make sure a reader has a session's writes before it answers.

With GTIDs the reader itself waits (``MASTER_GTID_WAIT``/``WAIT_FOR_EXECUTED_GTID_SET``) on the
connection that then runs the read, so the wait and the read meet the same server even behind
a proxy. Without GTIDs the heartbeat fence the bootstrap uses does it: a heartbeat row written
on the writer after the session's writes, polled on the reader; replicas commit in the
source's order, so once the row is there, so are the writes before it.
"""

from __future__ import annotations

import time

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.db.replication_check import write_heartbeat
from mysql_platform.router.gtid import Dialect
from mysql_platform.router.pool import cursor_for

_POLL_FIRST_S = 0.0002
_POLL_MAX_S = 0.005


def scalar(conn: MySQLConnection, sql: str, params: tuple[object, ...] = ()) -> object:
    cur = cursor_for(conn)
    cur.execute(sql, params)  # type: ignore[arg-type]
    rows = cur.fetchall()
    return rows[0][0] if rows and isinstance(rows[0], tuple) else None


def gtid_wait(conn: MySQLConnection, dialect: Dialect, position: object, timeout_s: float) -> bool:
    """Whether the reader behind ``conn`` applied ``position`` within ``timeout_s``."""
    result = scalar(conn, dialect.wait_sql, (dialect.render(position), timeout_s))
    return dialect.waited(result)


def heartbeat_fence(
    writer: MySQLConnection, reader: MySQLConnection, *, schema: str, timeout_s: float
) -> bool:
    """Write a heartbeat on the writer; whether the reader shows it within ``timeout_s``.

    False also when the heartbeat cannot be written (the application user may lack INSERT on
    ``<schema>.heartbeat``): the caller then reads from the writer.
    """
    try:
        token, started = write_heartbeat(writer, schema)
    except mysql.connector.Error:
        return False
    sql = f"SELECT 1 FROM `{schema}`.heartbeat WHERE token = %s"
    delay = _POLL_FIRST_S
    while True:
        if scalar(reader, sql, (token,)) is not None:
            return True
        if time.monotonic() - started >= timeout_s:
            return False
        time.sleep(delay)
        delay = min(delay * 2, _POLL_MAX_S)
