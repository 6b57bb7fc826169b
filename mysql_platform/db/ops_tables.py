"""The tool's own tables in the ops schema: the migration histories and the replication heartbeat.

They belong to the tool, not to anyone's migrations: :func:`ensure` creates them (and adds the
columns later releases added) before any migration runs, so a project whose ``--sql-dir`` holds
only its own files still gets the heartbeat the replication check and the router write to. The
accounts the bootstrap creates are recorded in a schema of their own
(``mysql_platform.app_accounts``, :mod:`mysql_platform.db.app_user`), server-wide like the accounts.

One file of the project's first migrations created the heartbeat: ``V002__ops_heartbeat.sql``.
It is retired: :data:`RETIRED` lists it with every checksum it was released with, so a history
that recorded it is neither "missing a file" nor asked to run it again.
"""

from __future__ import annotations

from collections.abc import Mapping

from mysql.connector.connection import MySQLConnection

from mysql_platform.db.migration_history import ADDED_COLUMNS, Applied, History
from mysql_platform.db.migration_repeatables import REPEATABLE_DDL

HEARTBEAT_DDL = (
    "CREATE TABLE IF NOT EXISTS {schema}.heartbeat ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    # Random per check, so concurrent checks never confuse rows.
    " token CHAR(32) NOT NULL,"
    # host:pid of the writer of the row, for humans.
    " source VARCHAR(255) NOT NULL,"
    " written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
    " UNIQUE KEY uq_heartbeat_token (token),"
    " KEY ix_heartbeat_written_at (written_at)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
)

# version -> (file name, the checksums it had in the releases that shipped it).
RETIRED: Mapping[int, tuple[str, frozenset[str]]] = {
    2: (
        "V002__ops_heartbeat.sql",
        frozenset(
            {
                "cae6a0ef78d2f96670ccd5748fe13cb56b428e74089c82f5b42db75eb717b62b",
                "d159d7cc854e6a22bcdcffd7ea80dd888078cb8e19e1b6f302978466d3bcd81d",
            }
        ),
    ),
}
RETIRED_REASON = "retired: the tool creates its heartbeat table itself"


def is_retired(row: Applied) -> bool:
    """True if ``row`` records a retired project migration, as it was released."""
    entry = RETIRED.get(row.version)
    return entry is not None and row.script == entry[0] and row.checksum in entry[1]


def ensure(conn: MySQLConnection, schema: str) -> None:
    """The ops schema, its history table (with every column), the repeatable migrations' table
    (:mod:`mysql_platform.db.migration_repeatables`) and the heartbeat table.

    One query says whether they are all there, as on every run but the first: then nothing else
    is sent, so no DDL reaches the binary log (and every replica) for tables that exist.
    """
    if _complete(conn, schema):
        return
    history = History(conn, schema)
    quoted = f"`{schema}`"
    history.ensure(also=(REPEATABLE_DDL.format(schema=quoted), HEARTBEAT_DDL.format(schema=quoted)))


# The tables ensure() makes, and the columns of the history that later releases added.
TABLES = ("schema_history", "repeatable_history", "heartbeat")


def _complete(conn: MySQLConnection, schema: str) -> bool:
    # ``schema`` is a checked identifier (the runner's history schema): written into the query,
    # which then has no parameters, so the connector sends nothing else first.
    names = ", ".join(f"'{t}'" for t in TABLES)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
            f" WHERE TABLE_SCHEMA = '{schema}' AND TABLE_NAME IN ({names})"
        )
        rows = cur.fetchall()
    have: dict[str, set[str]] = {}
    for table, column in rows:
        have.setdefault(str(table).lower(), set()).add(str(column).lower())
    return set(TABLES) <= set(have) and set(ADDED_COLUMNS) <= have["schema_history"]
