"""What state a statement leaves on its connection, and when the router may let the connection go."""

from __future__ import annotations

import pytest

from mysql_platform.router.plans import plan_of
from mysql_platform.router.session_state import SessionState, apply, creates_state, words
from mysql_platform.router.statements import Route

PINS = [
    "SET @x = 1",
    "set session sql_mode = ''",
    "SET NAMES utf8mb4",
    "USE app",
    "BEGIN",
    "START TRANSACTION READ ONLY",
    "XA START 'x'",
    "LOCK TABLES t READ",
    "PREPARE s FROM 'SELECT 1'",
    "EXECUTE s",
    "CREATE TEMPORARY TABLE t (a INT)",
    "CREATE OR REPLACE TEMPORARY TABLE t (a INT)",
    "SELECT GET_LOCK('job', 0)",
    "SELECT get_lock (%s, 0)",
    "SELECT @n := 1",
    "SELECT a INTO @x FROM t",
    "SELECT a, b INTO @x, @y FROM t",
    "HANDLER t OPEN",
    "BACKUP LOCK t",
    "FLUSH TABLES t WITH READ LOCK",
    "/*!50000 SELECT 1 */",
]

NO_PIN = [
    "SELECT 1",
    "SELECT @x",
    "SELECT @@warning_count",
    "INSERT INTO t VALUES (@x)",
    "INSERT INTO t SELECT a FROM u",
    "SELECT 'SET @x = 1', `GET_LOCK` FROM t",
    "UPDATE t SET a = 1",
    "SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1",
]


@pytest.mark.parametrize("sql", PINS)
def test_statements_that_leave_state_pin_the_session(sql: str) -> None:
    assert plan_of(sql).pins


@pytest.mark.parametrize("sql", NO_PIN)
def test_statements_without_state_do_not(sql: str) -> None:
    assert not creates_state(words(sql)), sql


def _after(*statements: str) -> SessionState:
    state = SessionState()
    for sql in statements:
        apply(state, sql)
    return state


def test_user_variables_last_until_set_to_null() -> None:
    state = _after("SET @a = 1, @B := 2", "SELECT @c := 3", "SELECT x INTO @d FROM t")
    assert state.user_variables == {"a", "b", "c", "d"}
    assert _after("SET @a = 1, @b = 2", "SET @A = NULL, @b = NULL").empty()
    assert not _after("SET @a = 1", "SET @a = (NULL)").empty()  # not the literal NULL: kept


def test_temporary_tables_last_until_dropped_by_the_same_name() -> None:
    state = _after(
        "CREATE OR REPLACE TEMPORARY TABLE IF NOT EXISTS `my t` (a INT)",
        "CREATE TEMPORARY TABLE db.u (a INT)",
    )
    assert state.temporary_tables == {"my t", "db.u"}
    apply(state, "DROP TEMPORARY TABLE IF EXISTS `my t`, other")
    assert state.temporary_tables == {"db.u"}
    apply(state, "DROP TABLE u")  # another spelling: the pin stays
    assert state.temporary_tables == {"db.u"}
    apply(state, "DROP TABLE db.u")
    assert state.empty()
    assert not _after("CREATE TEMPORARY TABLE t (a INT)", "ALTER TABLE t RENAME TO v", "DROP TABLE t").empty()


def test_user_locks_by_name_and_release_all() -> None:
    state = SessionState()
    assert apply(state, "SELECT GET_LOCK('job', 0)")  # the server is asked which are held
    assert state.user_locks == {"job"}
    apply(state, "SELECT GET_LOCK(CONCAT('a', id), 0) FROM t")
    assert state.unnamed_user_locks
    assert apply(state, "SELECT RELEASE_LOCK('job')")
    apply(state, "SELECT RELEASE_ALL_LOCKS()")
    assert state.empty()


def test_the_rest_of_the_session_state() -> None:
    assert _after("LOCK TABLES t WRITE", "UNLOCK TABLES").empty()
    assert _after("PREPARE s FROM 'SELECT 1'", "DEALLOCATE PREPARE s").empty()
    assert _after("PREPARE s FROM 'SELECT 1'", "DROP PREPARE s").empty()
    assert _after("HANDLER t OPEN", "HANDLER t CLOSE").empty()
    assert _after("XA START 'x'", "XA END 'x'", "XA PREPARE 'x'", "XA COMMIT 'x'").empty()
    assert _after("BACKUP LOCK t", "BACKUP UNLOCK").empty()
    for lasting in ("USE app", "SET sql_mode = ''", "EXECUTE s", "/*! SET @a = 1 */"):
        state = _after(lasting)
        assert state.lasting and not state.empty(), lasting
    assert "user variables @x" in _after("SET @x = 1").describe()


def test_plans_refuse_several_statements_and_spot_diagnostics() -> None:
    assert plan_of("SELECT 1; UPDATE t SET a = 1").multi
    assert plan_of("SELECT 1 ; -- done").multi is False
    assert plan_of("SELECT ';' FROM t").multi is False
    assert plan_of("SELECT 1;").multi is False
    for sql in ("SHOW WARNINGS", "SHOW COUNT(*) ERRORS", "GET DIAGNOSTICS @n = NUMBER", "SELECT FOUND_ROWS()",
                "SELECT ROW_COUNT()", "SELECT @@warning_count", "SELECT @@session.error_count"):  # fmt: skip
        plan = plan_of(sql)
        assert plan.diagnostics and not plan.last_insert_id, sql
    for sql in (
        "SELECT LAST_INSERT_ID()",
        "SELECT @@identity",
        "INSERT INTO c (p) VALUES (LAST_INSERT_ID())",
    ):
        assert plan_of(sql).last_insert_id, sql
    assert not plan_of("SELECT LAST_INSERT_ID(5)").last_insert_id  # sets it: a write, not a read of it
    assert plan_of("SELECT 1").route is Route.READ and not plan_of("SELECT 1").diagnostics
