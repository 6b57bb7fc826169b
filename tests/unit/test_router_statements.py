"""Which server a statement goes to: reads to replicas only when surely a read."""

from __future__ import annotations

import pytest

from mysql_platform.router.errors import RoutingRefused
from mysql_platform.router.statements import (
    Route,
    reads_diagnostics,
    route_for,
    route_of,
    statement_count,
)

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
    # built-in calls, and words before "(" that call nothing
    "SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) FROM t",
    "SELECT CAST(a AS DECIMAL(10,2)), CONVERT(b, DECIMAL(5,1)), CONVERT(c USING utf8mb4) FROM t",
    "SELECT SUBSTRING(a FROM 1 FOR 2), TRIM(LEADING 'x' FROM b), EXTRACT(YEAR FROM d) FROM t",
    "SELECT * FROM (SELECT 1, 2) AS dt (a, b)",
    "SELECT * FROM (SELECT 1) dt (a)",
    "WITH a (x) AS (SELECT 1), b (y) AS (SELECT x FROM a) SELECT * FROM b",
    "SELECT * FROM t WHERE MATCH (a, b) AGAINST ('x' IN BOOLEAN MODE)",
    "SELECT * FROM t WHERE 1 MEMBER OF ('[1, 2]')",
    "SELECT * FROM t1 JOIN t2 USING (id) WHERE t1.a IN (SELECT b FROM u) AND EXISTS (SELECT 1)",
    "SELECT * FROM JSON_TABLE('[]', '$[*]' COLUMNS (a INT PATH '$.a', b VARCHAR(10) PATH '$.b')) AS j",
    "SELECT IF(a, LEFT(b, 2), REPLACE(c, 'x', 'y')), COUNT(DISTINCT (a)) FROM t GROUP BY (a)",
    "SELECT a FROM t USE INDEX (i) PARTITION (p0)",
    "SELECT UUID(), RAND(), SLEEP(0), BENCHMARK(1, 1), GET_FORMAT(DATE, 'ISO')",
    "SELECT `app`.`bump` FROM t",
    "SELECT abs (1), concat (a, b), IF (a, 1, 2) FROM t",
    "SHOW CREATE TABLE t",
    "SHOW FULL COLUMNS FROM t",
    "SHOW INDEX FROM t",
    "EXPLAIN t",
    "DESCRIBE SELECT 1",
    "/* router:reader */ SELECT app.bump()",
    "-- router:reader the function only reads\nSELECT app.report(1) FROM t",
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
    "SELECT s.nextval FROM dual",
    "SELECT 1; DELETE FROM t",
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
    # stored functions: a qualified call always is one, an unqualified name not built in too
    "SELECT app.bump()",
    "SELECT bump()",
    "SELECT `bump`(1)",
    "SELECT `app`.`bump`()",
    "SELECT app . bump ()",
    "SELECT a FROM t WHERE b = bump(a)",
    "SELECT a FROM t WHERE b IN (SELECT c FROM u WHERE app.check_it(c))",
    "WITH a AS (SELECT bump()) SELECT * FROM a",
    "EXPLAIN SELECT bump()",
    "SHOW TABLES WHERE bump(1)",
    "SELECT ñabs(1)",
    "SELECT abs(1) + bump(1)",
    "SELECT now ()",
    "SELECT COUNT /* spaced */ (*) FROM t",
    # effects and per-connection answers
    "SELECT @x := 1",
    "SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1",
    "SELECT CONNECTION_ID()",
    "SELECT MASTER_GTID_WAIT('0-1-1')",
    "SELECT RELEASE_ALL_LOCKS()",
    "TABLE t INTO @x",
    "DESC ANALYZE DELETE FROM t",
    "EXPLAIN FOR CONNECTION 1",
    # diagnostics of the previous statement, and server state
    "SHOW WARNINGS",
    "SHOW COUNT(*) ERRORS",
    "SHOW STATUS LIKE 'Last_query_cost'",
    "SELECT @@warning_count",
    "SELECT @@session.last_insert_id",
    "GET DIAGNOSTICS @n = NUMBER",
    "SHOW PROCESSLIST",
    "SHOW VARIABLES LIKE 'read_only'",
    "SHOW MASTER STATUS",
    # hints, and a backslash that ends a string under NO_BACKSLASH_ESCAPES
    "/* router:writer */ SELECT 1",
    "SELECT 1 # router:writer",
    "SELECT 'a\\', bump() -- '",
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
    "CREATE OR REPLACE TEMPORARY TABLE t (a INT)",
    "DROP TEMPORARY TABLE t",
    "HANDLER t OPEN",
    "BEGIN NOT ATOMIC SELECT 1; END",
    "/* router:writer */ SET @x = 1",
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


REFUSED_READER_HINTS = [
    "/* router:reader */ DELETE FROM t",
    "SELECT * FROM t FOR UPDATE /* router:reader */",
    "/* router:reader */ SELECT GET_LOCK('x', 1)",
    "/* router:reader */ SHOW WARNINGS",
    "/* router:reader */ SELECT 1 /*! , 2 */",
    "/* router:reader */ SET @x = 1",
]


@pytest.mark.parametrize("sql", REFUSED_READER_HINTS)
def test_the_reader_hint_is_refused_on_what_no_hint_sends_to_a_replica(sql: str) -> None:
    with pytest.raises(RoutingRefused, match=r"router:reader.*because .*remove the hint"):
        route_of(sql)


def test_both_hints_the_writer_wins() -> None:
    assert route_of("/* router:reader */ /* router:writer */ DELETE FROM t") is Route.WRITE


def test_a_hint_is_a_comment_that_starts_with_it() -> None:
    assert route_of("/* not router:reader */ SELECT app.bump()") is Route.WRITE
    assert route_of("/* router:readers */ SELECT app.bump()") is Route.WRITE
    assert route_of("SELECT app.bump(), '/* router:reader */'") is Route.WRITE


def test_route_for_names_read_only_stored_functions_as_they_are_called() -> None:
    declared = frozenset({"app.report", "total"})
    assert route_for("SELECT app.report(1)", declared) is Route.READ
    assert route_for("SELECT `App`.`Report`(1)", declared) is Route.READ
    assert route_for("SELECT total(a) FROM t", declared) is Route.READ
    assert route_for("SELECT report(1)", declared) is Route.WRITE
    assert route_for("SELECT other.total(1)", declared) is Route.WRITE
    assert route_for("SELECT app.report(1), app.bump()", declared) is Route.WRITE
    assert route_for("SELECT app.report(1) FOR UPDATE", declared) is Route.WRITE
    assert route_for("SELECT GET_LOCK('x', 1)", frozenset({"get_lock"})) is Route.WRITE
    assert route_of("SELECT app.report(1)") is route_for("SELECT app.report(1)", frozenset())


@pytest.mark.parametrize(
    "sql",
    [
        "SHOW WARNINGS",
        "show warnings limit 5",
        "SHOW ERRORS",
        "SHOW COUNT(*) WARNINGS",
        "SHOW SESSION STATUS",
        "SHOW PROFILES",
        "GET DIAGNOSTICS @n = NUMBER",
        "GET STACKED DIAGNOSTICS CONDITION 1 @m = MESSAGE_TEXT",
        "SELECT FOUND_ROWS()",
        "SELECT ROW_COUNT()",
        "SELECT LAST_INSERT_ID()",
        "SELECT @@warning_count, @@ERROR_COUNT",
        "SELECT @@identity",
        "SELECT @@session.insert_id",
        "SELECT @@last_gtid",
        "SELECT 1 /*! + FOUND_ROWS() */",
    ],
)
def test_reads_of_the_previous_statements_diagnostics(sql: str) -> None:
    assert reads_diagnostics(sql)
    assert route_of(sql) is Route.WRITE


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "SHOW TABLES",
        "SHOW GLOBAL STATUS",
        "SELECT LAST_INSERT_ID(5)",
        "SELECT app.found_rows()",
        "SELECT 'FOUND_ROWS()', `@@warning_count`",
        "SELECT @@max_connections",
        "INSERT INTO t VALUES (1)",
    ],
)
def test_other_statements_read_no_diagnostics(sql: str) -> None:
    assert not reads_diagnostics(sql)


@pytest.mark.parametrize(
    ("sql", "count"),
    [
        ("", 0),
        ("  -- nothing\n", 0),
        ("SELECT 1", 1),
        ("SELECT 1;", 1),
        ("SELECT 1 ; -- done\n /* really */ ", 1),
        ("SELECT 1;;", 1),
        ("SELECT ';', `a;b`, \"c;d\" FROM t -- ; e\n# ; f\n/* ; g */", 1),
        ("SELECT 1; SELECT 2", 2),
        ("SELECT 1;DELETE FROM t;", 2),
        ("SELECT 1 /*! ; DELETE FROM t */", 2),
        ("SELECT 'a\\'; DELETE FROM t; -- '", 2),
        ("SELECT 1 --\u00a0; DELETE FROM t", 2),
        ("BEGIN NOT ATOMIC SELECT 1; END", 2),
        ("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", 3),
    ],
)
def test_statement_count(sql: str, count: int) -> None:
    assert statement_count(sql) == count
