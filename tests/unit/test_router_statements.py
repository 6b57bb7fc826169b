"""Which server a statement goes to: reads to replicas only when surely a read."""

from __future__ import annotations

import pytest

from scripts.db.router.statements import Route, route_of

READS = [
    "SELECT 1",
    "  select id FROM orders WHERE id = %s",
    "/* a comment */ SELECT 1",
    "-- a comment\nSELECT 1",
    "# a comment\nSELECT 1",
    "(SELECT 1) UNION (SELECT 2)",
    "SELECT 'FOR UPDATE', `into`, \"LAST_INSERT_ID()\" FROM t",
    "SELECT `last_insert_id` FROM t",
    "SELECT a--1 FROM t",
    "SELECT /*+ MAX_EXECUTION_TIME(100) */ * FROM t",
    "WITH a AS (SELECT 1) SELECT * FROM a",
    "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r",
    "SHOW TABLES",
    "DESCRIBE orders",
    "DESC orders",
    "EXPLAIN SELECT * FROM orders",
    "EXPLAIN FORMAT=JSON SELECT 1",
    "TABLE orders",
    "VALUES ROW(1, 2)",
    "HELP 'contents'",
]

WRITES = [
    "INSERT INTO t VALUES (1)",
    "update t set a = 1",
    "DELETE FROM t",
    "REPLACE INTO t VALUES (1)",
    "CREATE TABLE t (a INT)",
    "ALTER TABLE t ADD b INT",
    "DROP TABLE t",
    "TRUNCATE t",
    "CALL p()",
    "DO SLEEP(1)",
    "SELECT * FROM t FOR UPDATE",
    "SELECT * FROM t FOR SHARE",
    "SELECT * FROM t LOCK IN SHARE MODE",
    "SELECT a INTO @x FROM t",
    "SELECT * FROM t INTO OUTFILE '/tmp/x'",
    "SELECT LAST_INSERT_ID()",
    "SELECT last_insert_id ()",
    "SELECT GET_LOCK('x', 1)",
    "SELECT RELEASE_LOCK('x')",
    "SELECT FOUND_ROWS()",
    "SELECT NEXTVAL(s)",
    "SELECT NEXT VALUE FOR s",
    "/*!40101 SELECT 1 */",
    "SELECT 1 /*M! , 2 */",
    "WITH a AS (SELECT 1) DELETE FROM t",
    "WITH a AS (SELECT * FROM t FOR UPDATE) SELECT * FROM a",
    "EXPLAIN ANALYZE SELECT 1",
    "EXPLAIN DELETE FROM t",
    "ANALYZE SELECT 1",
    "ANALYZE TABLE t",
    "OPTIMIZE TABLE t",
    "GRANT SELECT ON app.* TO x",
    "something unknown",
    "",
    "   ",
]

SESSION = [
    "SET @x = 1",
    "SET SESSION sql_mode = ''",
    "USE app",
    "LOCK TABLES t READ",
    "UNLOCK TABLES",
    "PREPARE s FROM 'SELECT 1'",
    "EXECUTE s",
    "DEALLOCATE PREPARE s",
    "BEGIN",
    "START TRANSACTION",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT a",
    "XA START 'x'",
    "CREATE TEMPORARY TABLE t (a INT)",
]


@pytest.mark.parametrize("sql", READS)
def test_reads_go_to_a_reader(sql: str) -> None:
    assert route_of(sql) is Route.READ


@pytest.mark.parametrize("sql", WRITES)
def test_writes_locks_and_unknowns_go_to_the_writer(sql: str) -> None:
    assert route_of(sql) is Route.WRITE


@pytest.mark.parametrize("sql", SESSION)
def test_session_statements_are_kept_off_pooled_connections(sql: str) -> None:
    assert route_of(sql) is Route.SESSION
