"""What an application sends that a statement classifier alone gets wrong, against real servers.

Each case returned a wrong answer (not an error) when the router ran every statement on
whichever pooled connection came next: session state now pins a session to one writer
connection until the state is gone; the previous statement's diagnostics are read on its
connection; several statements in one call are refused; a connection goes back to the pool
clean.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import mysql.connector
import pytest

from mysql_platform import router
from mysql_platform.local.env import LocalEnv
from mysql_platform.router import AmbiguousWrite, RouterSettings, RoutingRefused, SessionLost, WriteNotApplied
from mysql_platform.router.pool import connect_for_statements
from tests.integration.test_router import _bootstrapped, open_router, ops, server_ids, trial_row


@pytest.fixture(scope="module")
def renv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnv]:
    env = _bootstrapped(tmp_path_factory.mktemp("router-sessions"), replicas=2)
    try:
        yield env
    finally:
        env.down(purge=True)


FAST = RouterSettings(writer_wait_s=20.0)


def master(env: LocalEnv) -> router.Router:
    """A router as the master user, who may create temporary tables and lock tables."""
    return open_router(env, FAST, user=None)


def clean_session(db: router.Router) -> tuple[object, ...]:
    """What a pooled writer connection carries: variables, autocommit, transaction, sql_mode."""
    with db.writer() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT @x, @@session.autocommit, @@in_transaction, @@session.sql_mode = @@global.sql_mode"
        )
        row = cur.fetchone()
        assert isinstance(row, tuple)
        return row


# ----- the six cases -------------------------------------------------------------------------


def test_several_statements_in_one_call_are_refused_and_nothing_runs(renv: LocalEnv) -> None:
    with open_router(renv, RouterSettings(writer_wait_s=20.0, pool_size=1)) as db:
        product = trial_row(db, "multi")
        with pytest.raises(RoutingRefused, match="several statements"):
            db.execute("SELECT 1; UPDATE products SET stock = stock + 1 WHERE id = %s", (product,))
        # Nothing ran, and the next callers (one connection per endpoint) get their own answers.
        assert db.query("SELECT stock FROM products WHERE id = %s", (product,)) == [(0,)]
        assert db.execute("UPDATE products SET stock = 3 WHERE id = %s", (product,)).rowcount == 1
        assert db.query("SELECT 42") == [(42,)]
        # A trailing semicolon is one statement.
        assert db.query("SELECT 7;") == [(7,)]


def test_the_router_s_connections_make_the_server_refuse_several_statements(renv: LocalEnv) -> None:
    # Defence behind the classifier: CLIENT_MULTI_STATEMENTS is off on the router's connections.
    with master(renv) as db:
        target = db.target(db.writer_endpoint)
    conn = connect_for_statements(target, 5.0, 5.0)
    try:
        cur = conn.cursor()
        with pytest.raises(mysql.connector.ProgrammingError) as caught:
            cur.execute("SELECT 1; SELECT 2")
        assert caught.value.errno == 1064
        cur.execute("SELECT 3")
        assert cur.fetchall() == [(3,)]
    finally:
        conn.close()


def test_get_lock_pins_the_session_so_mutual_exclusion_holds(renv: LocalEnv) -> None:
    with open_router(renv) as db:
        one, two = db.session(), db.session()
        assert one.query("SELECT GET_LOCK('job', 0)") == [(1,)]
        assert one.pinned is not None and "'job'" in one.pinned
        assert two.query("SELECT GET_LOCK('job', 0)") == [(0,)]
        assert two.pinned is None  # it did not get the lock: nothing holds it
        # Other statements of the holder run on its connection; the lock is still held.
        assert one.query("SELECT IS_USED_LOCK('job') = CONNECTION_ID()") == [(1,)]
        assert one.query("SELECT RELEASE_LOCK('job')") == [(1,)]
        assert one.pinned is None
        assert two.query("SELECT GET_LOCK('job', 0)") == [(1,)]
        two.close()  # the session's end releases it (the connection is reset)
        assert one.query("SELECT GET_LOCK('job', 0)") == [(1,)]
        one.close()


def test_get_lock_through_the_default_session_of_two_threads(renv: LocalEnv) -> None:
    got: dict[str, int] = {}
    with open_router(renv) as db:
        assert db.query("SELECT GET_LOCK(%s, 0)", ("nightly",)) == [(1,)]

        def other() -> None:
            got["other"] = int(db.query("SELECT GET_LOCK(%s, 0)", ("nightly",))[0][0])

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert got["other"] == 0
        assert db.query("SELECT RELEASE_ALL_LOCKS()") == [(1,)]


def test_found_rows_after_sql_calc_found_rows_counts_the_rows(renv: LocalEnv) -> None:
    with open_router(renv) as db:
        for i in range(5):
            trial_row(db, f"calc-{i}")
        with db.session() as s:
            s.execute("SELECT SQL_CALC_FOUND_ROWS id FROM products WHERE sku LIKE 'calc-%' LIMIT 1")
            assert s.query("SELECT FOUND_ROWS()") == [(5,)]


def test_show_warnings_after_insert_ignore_shows_them(renv: LocalEnv) -> None:
    with open_router(renv) as db:
        product = trial_row(db, "warn")
        with db.session() as s:
            result = s.execute(
                "INSERT IGNORE INTO products (id, sku, title, price_cents, stock) "
                "VALUES (%s, 'warn', 'x', 1, 0)",
                (product,),
            )
            assert result.warnings == 1 and result.rowcount == 0
            warnings = s.query("SHOW WARNINGS")
            assert [(w[0], w[1]) for w in warnings] == [("Warning", 1062)]
            assert s.query("SELECT @@warning_count") == [(1,)]
            # The diagnostics of the statement before, and only of it.
            s.execute("UPDATE products SET stock = stock WHERE id = 0")
            assert s.query("SHOW WARNINGS") == []
            # A replica's clean read leaves nothing to ask about: refused, not guessed.
            assert s.execute("SELECT 1").role == "reader"
            with pytest.raises(RoutingRefused, match="no warnings"):
                s.query("SHOW WARNINGS")


def test_diagnostics_without_a_previous_statement_are_refused_not_guessed(renv: LocalEnv) -> None:
    with open_router(renv) as db, db.session() as s:
        with pytest.raises(RoutingRefused, match="has none"):
            s.query("SHOW WARNINGS")
        s.execute("UPDATE products SET stock = stock WHERE id = 0")
        with pytest.raises(RoutingRefused, match="lastrowid"):
            s.query("SELECT LAST_INSERT_ID()")


def test_last_insert_id_reads_this_session_s_insert(renv: LocalEnv) -> None:
    with open_router(renv) as db, db.session() as s:
        inserted = s.execute(
            "INSERT INTO products (sku, title, price_cents, stock) VALUES (%s, 'x', 1, 0)",
            (f"lid-{time.time()}",),
        )
        assert s.query("SELECT LAST_INSERT_ID()") == [(inserted.lastrowid,)]
        # Another session's inserts in between do not change it.
        db.session().execute(
            "INSERT INTO products (sku, title, price_cents, stock) VALUES (%s, 'x', 1, 0)",
            (f"lid2-{time.time()}",),
        )
        assert s.query("SELECT LAST_INSERT_ID()") == [(inserted.lastrowid,)]


def test_temporary_tables_belong_to_their_session_until_dropped(renv: LocalEnv) -> None:
    with master(renv) as db:
        one, two = db.session(), db.session()
        one.execute("CREATE OR REPLACE TEMPORARY TABLE scratch (n INT)")
        assert one.pinned is not None and "scratch" in one.pinned
        one.execute("INSERT INTO scratch VALUES (1), (2)")
        assert one.query("SELECT COUNT(*) FROM scratch") == [(2,)]  # on its connection, not a replica
        with pytest.raises(mysql.connector.ProgrammingError) as caught:
            two.execute("INSERT INTO scratch VALUES (3)")
        assert caught.value.errno == 1146  # another session cannot see it
        one.execute("DROP TEMPORARY TABLE scratch")
        assert one.pinned is None
        one.close()
        two.close()


def test_a_stored_function_that_writes_runs_on_the_writer(renv: LocalEnv) -> None:
    ops(renv, "db1", "CREATE TABLE IF NOT EXISTS app.bumps (id INT AUTO_INCREMENT PRIMARY KEY)")
    ops(
        renv,
        "db1",
        "CREATE OR REPLACE FUNCTION app.bump() RETURNS INT MODIFIES SQL DATA "
        "BEGIN INSERT INTO app.bumps VALUES (NULL); RETURN LAST_INSERT_ID(); END",
    )
    with open_router(renv) as db:
        first = db.execute("SELECT app.bump()")
        assert first.role == "writer"
        second = db.execute("SELECT bump()")  # unqualified: the default database's function
        assert second.role == "writer" and second.rows[0][0] == first.rows[0][0] + 1
        # Forced to the writer, any read.
        ids = server_ids(renv)
        assert db.query("/* router:writer */ SELECT @@server_id") == [(ids["db1"],)]
        with pytest.raises(RoutingRefused, match="router:reader"):
            db.execute("/* router:reader */ UPDATE products SET stock = stock WHERE id = 0")


def test_stored_functions_declared_read_only_go_to_the_replicas(renv: LocalEnv) -> None:
    ops(renv, "db1", "CREATE OR REPLACE FUNCTION app.double_it(n INT) RETURNS INT DETERMINISTIC RETURN n * 2")
    time.sleep(0.5)  # the replicas apply the function
    replicas = {server_ids(renv)[name] for name in ("db2", "db3")}
    with open_router(renv) as db:
        assert db.execute("SELECT double_it(2), @@server_id").role == "writer"
        hinted = db.execute("/* router:reader */ SELECT double_it(2), @@server_id")
        assert hinted.role == "reader" and hinted.rows[0][0] == 4 and hinted.rows[0][1] in replicas
    declared = RouterSettings(
        writer_wait_s=20.0, read_only_functions=frozenset({"double_it", "app.double_it"})
    )
    with open_router(renv, declared) as db:
        assert db.execute("SELECT app.double_it(3)").role == "reader"
        assert db.execute("SELECT double_it(3)").rows == [(6,)]


# ----- pins: transactions, variables, locks; what goes back to the pool ------------------------


def test_begin_pins_the_session_until_commit(renv: LocalEnv) -> None:
    with open_router(renv) as db:
        product = trial_row(db, "begin")
        with db.session() as s:
            s.execute("BEGIN")
            s.execute("UPDATE products SET stock = 9 WHERE id = %s", (product,))
            assert s.query("SELECT stock FROM products WHERE id = %s", (product,)) == [(9,)]
            assert db.session().query("SELECT stock FROM products WHERE id = %s", (product,)) == [(0,)]
            s.execute("COMMIT")
            assert s.pinned is None
        assert db.query("SELECT stock FROM products WHERE id = %s", (product,)) == [(9,)]


def test_user_variables_pin_until_unset_and_never_leak(renv: LocalEnv) -> None:
    with open_router(renv, RouterSettings(writer_wait_s=20.0, pool_size=1)) as db:
        with db.session() as s:
            s.execute("SET @x = 5")
            assert s.query("SELECT @x") == [(5,)]
            s.execute("SELECT @y := 6")
            s.execute("SET @x = NULL, @y = NULL")
            assert s.pinned is None
        with db.session() as s:
            s.execute("SET @x = 'leak', SESSION sql_mode = ''")
            assert s.pinned is not None and "session variables" in s.pinned
        # The session's end gave the connection back reset: nothing of it is left.
        assert clean_session(db) == (None, 1, 0, 1)


def test_lock_tables_pins_until_unlock(renv: LocalEnv) -> None:
    with master(renv) as db, db.session() as s:
        s.execute("LOCK TABLES products READ")
        assert s.pinned is not None and "LOCK TABLES" in s.pinned
        assert s.query("SELECT COUNT(*) > 0 FROM products") == [(1,)]
        s.execute("UNLOCK TABLES")
        assert s.pinned is None


def test_a_transaction_block_keeps_the_lock_the_session_holds(renv: LocalEnv) -> None:
    with open_router(renv) as db, db.session() as s:
        product = trial_row(db, "lock-tx")
        s.execute("SELECT GET_LOCK('batch', 0)")
        with s.transaction():
            s.execute("UPDATE products SET stock = 4 WHERE id = %s", (product,))
            assert s.query("SELECT IS_USED_LOCK('batch') = CONNECTION_ID()") == [(1,)]
        assert s.pinned is not None and "'batch'" in s.pinned
        s.execute("SELECT RELEASE_LOCK('batch')")
        assert s.pinned is None


def test_a_lost_pinned_connection_says_the_state_is_gone(renv: LocalEnv) -> None:
    with open_router(renv) as db, db.session() as s:
        s.execute("SELECT GET_LOCK('lost', 0)")
        conn_id = s.query("SELECT CONNECTION_ID()")[0][0]
        ops(renv, "db1", f"KILL CONNECTION {int(conn_id)}")
        with pytest.raises(SessionLost, match=r"user locks 'lost'.*is gone"):
            s.query("SELECT 1")
        assert s.pinned is None
        assert s.query("SELECT GET_LOCK('lost', 0)") == [(1,)]


def test_a_procedure_s_result_sets_are_all_read(renv: LocalEnv) -> None:
    ops(
        renv,
        "db1",
        "CREATE OR REPLACE PROCEDURE app.two_sets() BEGIN SELECT 1 AS a; SELECT 2 AS b, 3 AS c; END",
    )
    with open_router(renv, RouterSettings(writer_wait_s=20.0, pool_size=1)) as db:
        result = db.execute("CALL two_sets()")
        assert result.rows == [(1,)] and result.more == ((("b", "c"), [(2, 3)]),)
        # Nothing was left on the (only) writer connection for the next caller.
        assert db.execute("SELECT 5 FROM DUAL FOR UPDATE").rows == [(5,)]


def test_rows_as_dictionaries(renv: LocalEnv) -> None:
    with open_router(renv) as db:
        assert db.query("SELECT 1 AS a, 'x' AS b", dictionary=True) == [{"a": 1, "b": "x"}]
        assert db.execute("SELECT 2 AS a").as_dicts() == [{"a": 2}]


def test_status_counts_statements_per_endpoint(renv: LocalEnv) -> None:
    with open_router(renv) as db:
        for _ in range(10):
            db.query("SELECT 1")
        with pytest.raises(mysql.connector.Error):
            db.execute("SELECT * FROM no_such_table FOR UPDATE")
        status = db.status()
    stats = status["stats"]
    writer = status["writer"]["endpoint"]
    assert sum(s["queries"] for s in stats.values()) >= 11
    assert stats[writer]["errors"] >= 1
    assert set(status["pools"][writer]) == {"in_use", "idle", "parked"}


def test_a_hung_writer_holds_a_caller_no_longer_than_the_read_timeout(renv: LocalEnv) -> None:
    settings = RouterSettings(writer_wait_s=20.0, read_timeout_s=1.0)
    state = renv.store.load()
    assert state is not None
    pid = state.pid_of(state.roles.primary)
    assert pid is not None
    with open_router(renv, settings) as db:
        product = trial_row(db, "sigstop")
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises((AmbiguousWrite, WriteNotApplied)):
                db.execute("UPDATE products SET stock = stock + 1 WHERE id = %s", (product,))
            waited = time.monotonic() - started
        finally:
            os.kill(pid, signal.SIGCONT)
    # One read timeout (whole seconds), plus the connector's close; far from "as long as it hangs".
    assert waited < 2.5, waited


def test_a_hung_reader_costs_a_read_one_timeout_then_another_reader_answers(renv: LocalEnv) -> None:
    # A warm connection waits read_timeout_s for the answer; a new one connect_timeout_s for the
    # server's greeting (the kernel accepts the TCP connection of a stopped process).
    settings = RouterSettings(writer_wait_s=20.0, read_timeout_s=1.0, connect_timeout_s=1.0)
    state = renv.store.load()
    assert state is not None
    with open_router(renv, settings) as db:
        ids = server_ids(renv)
        replicas = state.replicas
        pid = state.pid_of(replicas[0])
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            waits, answers = [], set()
            for _ in range(6):
                started = time.monotonic()
                answers.add(db.query("SELECT @@server_id")[0][0])
                waits.append(time.monotonic() - started)
        finally:
            os.kill(pid, signal.SIGCONT)
    assert answers <= {ids[replicas[1]], ids[state.roles.primary]}
    assert max(waits) < 2.5, waits


# ----- what the server reports, and what is never passed on ----------------------------------


def test_state_left_by_routines_pins_or_is_reset_never_passed_on(renv: LocalEnv) -> None:
    ops(renv, "db1", "CREATE OR REPLACE PROCEDURE app.open_tx() BEGIN START TRANSACTION; END")
    ops(
        renv,
        "db1",
        "CREATE OR REPLACE FUNCTION app.set_var() RETURNS INT MODIFIES SQL DATA "
        "BEGIN SET @fv = 7; RETURN 1; END",
    )
    ops(
        renv,
        "db1",
        "CREATE OR REPLACE FUNCTION app.take_lock() RETURNS INT NO SQL RETURN GET_LOCK('in_function', 0)",
    )
    with open_router(renv, RouterSettings(writer_wait_s=20.0, pool_size=1)) as db:
        with db.session() as s:
            s.execute("CALL open_tx()")  # the server says the session is in a transaction
            assert s.pinned is not None and "transaction" in s.pinned
            s.execute("COMMIT")
            assert s.pinned is None
        with db.session() as s:
            s.execute("SELECT set_var()")  # the server says the session's state changed
            assert s.pinned is not None and s.query("SELECT @fv") == [(7,)]
        with db.session() as s:
            s.execute("SELECT take_lock()")  # not reported: the connection is reset after the call
            assert s.pinned is None
        with db.session() as s:
            assert s.query("SELECT @fv, IS_USED_LOCK('in_function') /* router:writer */") == [(None, None)]


def test_a_lock_name_with_escapes_keeps_the_pin(renv: LocalEnv) -> None:
    with open_router(renv) as db, db.session() as s:
        assert s.query("SELECT GET_LOCK(%s, 0)", ("job's\\lock",)) == [(1,)]
        s.execute("SELECT 1")
        assert s.pinned is not None and "user locks" in s.pinned
        assert db.session().query("SELECT GET_LOCK(%s, 0)", ("job's\\lock",)) == [(0,)]
        s.execute("SELECT RELEASE_ALL_LOCKS()")
        assert s.pinned is None


def test_an_interrupted_pinned_statement_drops_its_connection_and_says_so(renv: LocalEnv) -> None:
    class Deadline(Exception):
        pass

    def interrupt(signum: int, frame: object) -> None:
        raise Deadline

    with open_router(renv) as db, db.session() as s:
        s.execute("SET @mine = 1")
        previous = signal.signal(signal.SIGALRM, interrupt)
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        try:
            with pytest.raises(Deadline):
                s.execute("SELECT SLEEP(2), 'OLD'")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        with pytest.raises(SessionLost, match=r"interrupted.*@mine"):
            s.execute("SELECT 'NEW'")
        assert s.query("SELECT 'NEW'") == [("NEW",)]


def test_a_statement_the_connector_refused_leaves_no_diagnostics_to_read(renv: LocalEnv) -> None:
    with open_router(renv, RouterSettings(writer_wait_s=20.0, pool_size=1)) as db:
        trial_row(db, "client-fail")
        with db.session() as other:
            assert other.execute("SELECT 'x' + 0 FROM DUAL FOR UPDATE").warnings == 1  # on the writer
        with db.session() as s:
            with pytest.raises(mysql.connector.ProgrammingError):
                s.execute("UPDATE products SET stock = %s WHERE id = %s", (1,))  # not enough parameters
            with pytest.raises(RoutingRefused, match="has none"):
                s.query("SHOW WARNINGS")


def test_a_thread_that_ends_pinned_gives_its_connection_back(renv: LocalEnv) -> None:
    with open_router(renv, RouterSettings(writer_wait_s=20.0, pool_size=1, checkout_timeout_s=2.0)) as db:
        thread = threading.Thread(target=lambda: db.execute("SELECT GET_LOCK('worker', 0)"))
        thread.start()
        thread.join()
        # Its default session went with the thread: the lock and the only connection are free.
        assert db.query("SELECT GET_LOCK('worker', 0)") == [(1,)]
        db.execute("SELECT RELEASE_ALL_LOCKS()")


def test_a_closed_router_refuses_its_sessions(renv: LocalEnv) -> None:
    db = open_router(renv)
    s = db.session()
    s.execute("SELECT GET_LOCK('closing', 0)")
    db.close()
    with pytest.raises(router.RouterError, match="closed"):
        s.execute("SELECT 1")
    assert s.pinned is None
    with open_router(renv) as other:
        assert other.query("SELECT GET_LOCK('closing', 0)") == [(1,)]
