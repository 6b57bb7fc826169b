"""The migration runner's safety rules without a server (issues 12-15).

A recording fake connection stands in for MariaDB where the runner's side of the
conversation is what matters: which SQL it sends, and what it does with the answers.
The real server's side is in tests/integration/test_migrations_safety.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from mysql.connector.constants import ClientFlag

from mysql_platform.db.migration_batches import batches
from mysql_platform.db.migration_errors import PacketTooLarge
from mysql_platform.db.migration_files import Migration, MigrationFileError, discover, load_migration
from mysql_platform.db.migration_lock import LockLost
from mysql_platform.db.migrations import MigrationError, Runner
from mysql_platform.db.sql_placeholders import PlaceholderError
from mysql_platform.db.sql_split import Statement, split_sql
from tests.support.migration_fixtures import FIXTURE_SQL

REPO_SQL = FIXTURE_SQL
INT_UNSIGNED_MAX = 2**32 - 1  # the history's version column


def write(dir_: Path, name: str, text: str = "SELECT 1;\n") -> Path:
    path = dir_ / name
    path.write_text(text, encoding="utf-8")
    return path


# --- a recording connection ------------------------------------------------------------------


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self.rows: list[tuple[Any, ...]] = []

    def __enter__(self) -> FakeCursor:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.sent.append(sql)
        if "GET_LOCK" in sql:  # taken, the packet limit, the connection's id, its wait_timeout
            self.rows = [(1, self.conn.max_packet, 7, 28800)]
        elif "IS_USED_LOCK" in sql:
            self.rows = [(self.conn.lock_holder,)]
        elif "repeatable_history" in sql:  # no repeatable applied: an empty table
            self.rows = [(0,)] if sql.startswith("SELECT COUNT(*)") else []
        elif sql.startswith("SELECT COUNT(*)"):
            self.rows = [(len(self.conn.history),)]
        elif sql.startswith("INSERT INTO") and "schema_history" in sql:
            # applied_by is CURRENT_USER() in the statement, between duration_ms and kind.
            self.conn.history.append((*params[:6], "admin@%", *params[6:], "2026-01-01 00:00:00"))
        elif sql.startswith("SELECT version"):
            self.rows = [r for r in self.conn.history if not params or r[0] == params[0]]
        else:
            self.rows = []

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.execute(sql, row)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class FakeConnection:
    """Answers a batch with ``results(statements_sent)`` results, like a server that parsed it so."""

    client_flags = ClientFlag.MULTI_STATEMENTS
    unread_result = False

    def __init__(self, results: Any = len) -> None:
        self.results = results
        self.sent: list[str] = []
        self.queries: list[str] = []  # what went through cmd_query_iter, one entry per round trip
        self.history: list[tuple[Any, ...]] = []
        self.autocommit = True
        self.max_packet = 16 * 1024 * 1024  # what GET_LOCK's round trip reports
        self.lock_holder: int | None = 7  # which connection IS_USED_LOCK names
        self.closed = 0

    def ping(self) -> None:
        self.sent.append("PING")

    def close(self) -> None:
        self.closed += 1

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def cmd_query_iter(self, data: bytes) -> Iterator[dict[str, Any]]:
        sql = data.decode()
        self.queries.append(sql)
        for _ in range(self.results(sql.split(";\n"))):
            yield {}

    def commit(self) -> None:
        self.sent.append("COMMIT")

    def rollback(self) -> None:
        self.sent.append("ROLLBACK")


def run(conn: FakeConnection, migrations: Sequence[Migration], **kwargs: Any) -> None:
    Runner(conn, open_session=lambda: conn, progress=lambda _line: None, **kwargs).run(migrations)  # type: ignore[arg-type]


# --- 12: the server runs exactly the splitter's statements ---------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        "CREATE PROCEDURE p() BEGIN SELECT 1",
        "CREATE DEFINER=`admin`@`%` PROCEDURE p() BEGIN SELECT 1",
        "CREATE OR REPLACE FUNCTION f() RETURNS INT BEGIN DECLARE x INT",
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t",
        "ALTER EVENT e DO BEGIN DELETE FROM t",
        "BEGIN NOT ATOMIC INSERT INTO t VALUES (1)",
        "lbl: BEGIN NOT ATOMIC INSERT INTO t VALUES (1)",
        "IF @x THEN INSERT INTO t VALUES (1)",
        "WHILE @x < 3 DO SET @x = @x + 1",
        "CALL p()",
        "SET STATEMENT max_statement_time = 1 FOR SELECT 1",
        "INSERT INTO t VALUES (1) /*!99999 ; DROP TABLE t */",
        "END",
    ],
)
def test_sends_what_could_open_a_compound_statement_alone(head: str) -> None:
    # Batched, the server would re-join the pieces after it into one valid block.
    statements = [Statement(head, 1), Statement("INSERT INTO t VALUES (2)", 2)]
    assert [[s.line for s in g] for g in batches(statements, 100, 10_000)] == [[1], [2]]


@pytest.mark.parametrize(
    "text",
    [
        "INSERT INTO t VALUES (1)",
        "insert into t values ('a;b')",
        "REPLACE INTO t VALUES (1)",
        "UPDATE t SET a = 1",
        "DELETE FROM t",
        "SELECT 1",
        "SET @a = 1",
        "SET FOREIGN_KEY_CHECKS = 0",
        "DROP PROCEDURE IF EXISTS p",
        "TRUNCATE TABLE t",
        "RENAME TABLE t TO u",
        "GRANT SELECT ON app.* TO 'x'@'%'",
        "CREATE TABLE t (a INT)",
        "CREATE OR REPLACE TABLE t (a INT)",
        "CREATE TEMPORARY TABLE t (a INT)",
        "CREATE DATABASE IF NOT EXISTS x",
        "CREATE UNIQUE INDEX ix ON t (a)",
        "ALTER TABLE t ADD COLUMN b INT",
        "ALTER ONLINE TABLE t ADD COLUMN b INT",
    ],
)
def test_batches_statements_that_cannot_swallow_the_next_one(text: str) -> None:
    statements = [Statement(text, 1), Statement("INSERT INTO t VALUES (2)", 2)]
    assert [[s.line for s in g] for g in batches(statements, 100, 10_000)] == [[1, 2]]


def test_a_procedure_body_without_delimiter_reaches_the_server_in_pieces_first_piece_alone() -> None:
    sql = "CREATE TABLE t (a INT);\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\nSELECT 3;\n"
    groups = batches(split_sql(sql), 100, 10_000)
    # The server gets `CREATE PROCEDURE p() BEGIN SELECT 1` on its own and rejects it, as the
    # mariadb client's server does; batched with `SELECT 2` and `END` it would be a procedure.
    assert [[s.line for s in g] for g in groups] == [[1], [2], [5], [6], [7]]


def test_fails_when_the_server_returns_fewer_results_than_statements_naming_file_and_line(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "V001__x.sql", "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n")
    conn = FakeConnection(results=lambda sent: len(sent) - 1)  # the server read two as one
    with pytest.raises(MigrationError) as info:
        run(conn, [load_migration(path)])
    message = str(info.value)
    assert f"migration failed at {path}:1-2: the server returned 1 results for the 2 statements" in message
    assert "first statement: INSERT INTO t VALUES (1)" in message
    assert conn.history == [] and "COMMIT" not in conn.sent


def test_fails_when_the_server_returns_more_results_than_statements(tmp_path: Path) -> None:
    path = write(tmp_path, "V001__x.sql", "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n")
    conn = FakeConnection(results=lambda sent: len(sent) + 1)
    with pytest.raises(MigrationError, match="returned 3 results for the 2 statements"):
        run(conn, [load_migration(path)])
    assert conn.history == []


def test_a_statement_sent_alone_may_return_several_results(tmp_path: Path) -> None:
    # CALL returns one result per SELECT in the procedure plus one: the client accepts that too.
    path = write(tmp_path, "V001__x.sql", "CALL p();\n")
    conn = FakeConnection(results=lambda sent: 3)
    run(conn, [load_migration(path)])
    assert [row[0] for row in conn.history] == [1]


def test_a_statement_over_the_servers_packet_limit_is_refused_before_it_is_sent(tmp_path: Path) -> None:
    big = "INSERT INTO t VALUES ('" + "x" * 5000 + "')"
    path = write(tmp_path, "V001__big.sql", f"SELECT 1;\n{big};\nSELECT 2;\n")
    conn = FakeConnection()
    conn.max_packet = 4096
    with pytest.raises(PacketTooLarge) as caught:
        run(conn, [load_migration(path)])
    message = str(caught.value)
    assert f"{path}:2: the statement is 0.0 MiB ({len(big) + 1} bytes)" in message
    assert "max_allowed_packet of 0.0 MiB (4096 bytes)" in message
    assert "DB parameter group's max_allowed_packet" in message and "on every run" in message
    assert not any("xxxx" in q for q in conn.queries) and conn.history == []


def test_a_batch_over_the_packet_limit_goes_statement_by_statement(tmp_path: Path) -> None:
    rows = [f"INSERT INTO t VALUES ({i}, '{'y' * 900}')" for i in range(6)]
    path = write(tmp_path, "V001__rows.sql", "".join(f"{r};\n" for r in rows))
    conn = FakeConnection()
    conn.max_packet = 2048  # batches are cut at half of it, then each statement fits alone
    run(conn, [load_migration(path)])
    assert all(len(q.encode()) + 1 < 2048 for q in conn.queries)
    assert [q.count("INSERT") for q in conn.queries] == [1] * 6
    assert [row[0] for row in conn.history] == [1]


def test_a_statement_whose_packet_is_exactly_the_limit_is_refused_too(tmp_path: Path) -> None:
    # The server refuses a packet of max_allowed_packet bytes as well (error 1153).
    statement = "SELECT '" + "z" * (4096 - 1 - len("SELECT ''")) + "'"
    path = write(tmp_path, "V001__edge.sql", f"{statement};\n")
    conn = FakeConnection()
    conn.max_packet = 4096
    with pytest.raises(PacketTooLarge, match=r"the statement is 0.0 MiB \(4096 bytes\)"):
        run(conn, [load_migration(path)])
    conn.max_packet = 4097
    run(conn, [load_migration(path)])
    assert [row[0] for row in conn.history] == [1]


def test_a_file_is_not_recorded_when_the_lock_was_lost_while_it_ran(tmp_path: Path) -> None:
    write(tmp_path, "V001__a.sql", "INSERT INTO t VALUES (1);\n")
    conn = FakeConnection()
    conn.lock_holder = None  # the lock's connection was closed: nobody holds it now
    with pytest.raises(
        LockLost, match=r"V001__a.sql ran, but the migration lock 'mysql-platform.migrations.ops'"
    ):
        run(conn, discover(tmp_path))
    assert conn.history == [] and "ROLLBACK" in conn.sent
    conn.lock_holder = 8  # another run's connection
    with pytest.raises(LockLost, match="another run may be applying migrations now"):
        run(conn, discover(tmp_path))


def test_each_file_runs_in_a_session_of_its_own_that_is_closed_after_it(tmp_path: Path) -> None:
    write(tmp_path, "V001__a.sql")
    write(tmp_path, "V002__b.sql")
    control, sessions = FakeConnection(), []

    def open_session() -> FakeConnection:
        sessions.append(FakeConnection())
        sessions[-1].history = control.history  # one server
        return sessions[-1]

    Runner(control, open_session=open_session, progress=lambda _line: None).run(discover(tmp_path))  # type: ignore[arg-type]
    assert [s.closed for s in sessions] == [1, 1]
    assert [len(s.queries) for s in sessions] == [1, 1] and control.queries == []
    assert any("GET_LOCK" in sql for sql in control.sent)


# --- 13: the history table after each migration ------------------------------------------------


def test_checks_the_history_before_recording_each_migration(tmp_path: Path) -> None:
    write(tmp_path, "V001__a.sql")
    write(tmp_path, "V002__b.sql")
    conn = FakeConnection()
    run(conn, discover(tmp_path))
    for table in ("`ops`.`schema_history`", "`ops`.`repeatable_history`"):
        counts = [i for i, sql in enumerate(conn.sent) if sql == f"SELECT COUNT(*) FROM {table}"]
        inserts = [
            i for i, sql in enumerate(conn.sent) if sql.startswith("INSERT INTO `ops`.`schema_history`")
        ]
        assert len(counts) == len(inserts) == 2 and all(c < i for c, i in zip(counts, inserts, strict=True))


# --- 14: versions the history can hold ---------------------------------------------------------


def test_rejects_a_version_beyond_the_history_column_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, f"V{INT_UNSIGNED_MAX + 1}__too_big.sql")
    with pytest.raises(MigrationFileError) as info:
        load_migration(path)
    message = str(info.value)
    assert f"migration file '{path}': version 4294967296 does not fit" in message
    assert "INT UNSIGNED: 0 to 4294967295" in message


def test_rejects_it_in_discovery_before_anything_runs(tmp_path: Path) -> None:
    write(tmp_path, "V001__ok.sql")
    write(tmp_path, "V99999999999999999999__huge.sql")
    with pytest.raises(MigrationFileError, match=r"V99999999999999999999__huge\.sql': version"):
        discover(tmp_path)


def test_accepts_the_largest_version_and_leading_zeros(tmp_path: Path) -> None:
    assert load_migration(write(tmp_path, f"V{INT_UNSIGNED_MAX}__max.sql")).version == INT_UNSIGNED_MAX
    assert load_migration(write(tmp_path, "V00000000000000000007__seven.sql")).version == 7


def test_rejects_a_description_longer_than_the_history_column(tmp_path: Path) -> None:
    assert len(load_migration(write(tmp_path, "V001__" + "d" * 200 + ".sql")).description) == 200
    with pytest.raises(
        MigrationFileError, match="201 characters, the history's description column holds at most 200"
    ):
        load_migration(write(tmp_path, "V002__" + "d" * 201 + ".sql"))


# --- 15: ${ops_schema} --------------------------------------------------------------------------


def test_project_migrations_name_the_ops_schema_only_through_the_placeholder() -> None:
    for path in sorted(REPO_SQL.glob("V*.sql")):
        code = re.sub(r"--[^\n]*", "", path.read_text())
        assert not re.search(r"\bops\b", code), f"{path.name} hard-codes the ops schema"


def test_discovery_fills_ops_schema_with_the_default_without_the_caller_passing_it(tmp_path: Path) -> None:
    write(tmp_path, "V001__x.sql", "CREATE TABLE IF NOT EXISTS ${ops_schema}.mine (id INT);\n")
    (found,) = discover(tmp_path, {"database": "app"})
    assert found.statements[0].text == "CREATE TABLE IF NOT EXISTS ops.mine (id INT)"


def test_the_runner_fills_ops_schema_with_its_history_schema(tmp_path: Path) -> None:
    for path in REPO_SQL.glob("V*.sql"):
        write(tmp_path, path.name, path.read_text())
    write(tmp_path, "V009__x.sql", "CREATE TABLE IF NOT EXISTS ${ops_schema}.mine (id INT);\n")
    conn = FakeConnection()
    run(conn, discover(tmp_path, {"database": "shop"}), history_schema="ops2")
    sent = "\n".join(conn.queries)
    assert "CREATE TABLE IF NOT EXISTS ops2.mine (id INT)" in sent
    assert "CREATE DATABASE IF NOT EXISTS shop CHARACTER SET" in sent  # ${database} still works
    assert not re.search(r"\bops\.", sent)
    assert any(sql.startswith("INSERT INTO `ops2`.`schema_history`") for sql in conn.sent)


def test_the_tool_creates_its_heartbeat_table_beside_the_history_before_any_migration(tmp_path: Path) -> None:
    write(tmp_path, "V001__x.sql", "CREATE TABLE t (id INT);\n")
    conn = FakeConnection()
    run(conn, discover(tmp_path), history_schema="ops2")
    heartbeat = next(i for i, sql in enumerate(conn.sent) if "`ops2`.heartbeat" in sql)
    assert conn.sent[heartbeat].startswith("CREATE TABLE IF NOT EXISTS `ops2`.heartbeat (")
    assert heartbeat < next(i for i, sql in enumerate(conn.sent) if "GET_LOCK" in sql)


def test_the_schema_does_not_change_the_checksum_the_split_or_the_line_numbers(tmp_path: Path) -> None:
    text = "CREATE TABLE ${ops_schema}.t (c VARCHAR(9) DEFAULT '${{ops_schema}');\nSELECT 1;\n"
    migration = load_migration(write(tmp_path, "V001__x.sql", text))
    other = migration.with_ops_schema("ops_eu")
    assert other.checksum == migration.checksum
    assert [s.line for s in other.statements] == [s.line for s in migration.statements] == [1, 2]
    assert other.statements[0].text == "CREATE TABLE ops_eu.t (c VARCHAR(9) DEFAULT '${ops_schema}')"
    assert migration.with_ops_schema("ops") is migration


def test_rejects_ops_schema_from_the_caller(tmp_path: Path) -> None:
    write(tmp_path, "V001__x.sql")
    with pytest.raises(PlaceholderError, match=r"\$\{ops_schema\} is set by the migration runner"):
        discover(tmp_path, {"database": "shop", "ops_schema": "ops2"})
