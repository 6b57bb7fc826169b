"""The bootstrap against real MariaDB primary/replica + HAProxy (issue 3, part 5).

Read-mostly tests share one environment made for this module (so the counts of
applied migrations are this file's own); destructive tests get a fresh one from
``local_env_factory``. Tests that need bad or edited migrations use a copy of
``sql/`` in a tmp dir and their own history schema (``--ops-schema``).
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts import errors
from scripts.cli import bootstrap as bootstrap_cli
from scripts.db import replication_check
from scripts.local.env import LocalEnv, missing_binaries

REPO = Path(__file__).resolve().parents[2]
SQL = REPO / "sql"
REPO_VERSIONS = sorted(int(p.name[1:4]) for p in SQL.glob("V*.sql"))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnv]:
    """This module's own environment (not the session's): its migration history is ours alone.

    Composes LocalEnv like conftest's fixtures do; skipped the same way without binaries.
    """
    missing = missing_binaries()
    if missing:
        pytest.skip(f"local environment needs {', '.join(missing)} (install: make system-deps)")
    e = LocalEnv(tmp_path_factory.mktemp("bsenv"))
    try:
        e.up()
        yield e
    finally:
        e.down(purge=True)


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = bootstrap_cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def spawn(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.bootstrap", *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def history(env: LocalEnv, schema: str = "ops") -> list[tuple[int, str]]:
    with env.ops_cursor("primary") as cur:
        cur.execute(f"SELECT version, checksum FROM `{schema}`.schema_history ORDER BY version")
        return [(int(v), str(c)) for v, c in cur.fetchall()]


def scalar(env: LocalEnv, sql: str, role: str = "primary") -> Any:
    with env.ops_cursor(role) as cur:  # type: ignore[arg-type]
        cur.execute(sql)
        return cur.fetchone()[0]


def sql_copy(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(SQL, target)
    for name, text in (extra or {}).items():
        (target / name).write_text(text, encoding="utf-8")
    return target


def outputs_with(env: LocalEnv, tmp_path: Path, **db_changes: Any) -> Path:
    data = json.loads(env.outputs_path.read_text())
    password = db_changes.pop("db_password", None)
    data["db"].update(db_changes)
    if password is not None:
        data["db_password"] = password
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


# --- applies everything, rerun applies nothing ---------------------------------------------------


def test_applies_everything_then_a_rerun_applies_nothing(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(capsys, "--outputs", str(env.outputs_path))
    assert code == 0, err
    progress = [line for line in out.splitlines() if line.startswith("applied V")]
    assert len(progress) == len(REPO_VERSIONS)
    assert all(line.endswith(" ms") for line in progress)
    assert f"migrations: {len(REPO_VERSIONS)} applied, 0 skipped" in out
    databases = next(line for line in out.splitlines() if line.startswith("databases: "))
    assert {"TempDB", "app", "ops"} <= set(databases.removeprefix("databases: ").split(", "))
    assert "replica lag: 127.0.0.1:" in out
    assert [v for v, _ in history(env)] == REPO_VERSIONS

    code, out, err = run_main(capsys, "--outputs", str(env.outputs_path))
    assert code == 0, err
    assert "applied V" not in out
    assert f"migrations: 0 applied, {len(REPO_VERSIONS)} skipped" in out
    assert [v for v, _ in history(env)] == REPO_VERSIONS


def test_app_user_has_only_data_privileges_on_the_app_schema(
    env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(capsys, "--outputs", str(env.outputs_path), "--skip-replication-check")
    assert code == 0, err
    password_file = env.outputs_path.parent / "local-app.password"
    assert password_file.stat().st_mode & 0o777 == 0o600
    password = password_file.read_text().strip()
    assert len(password) >= 32
    assert password not in out + err
    with env.ops_cursor("primary") as cur:
        cur.execute("SHOW GRANTS FOR 'app'@'%'")
        grants = " ".join(row[0] for row in cur.fetchall())
    assert "ON `app`.*" in grants and "REQUIRE SSL" in grants
    assert "GRANT OPTION" not in grants and "ALL PRIVILEGES" not in grants
    conn = env.connect("writer", user="app", password=password, database="app")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM customers")
            assert cur.fetchone()[0] >= 0
            with pytest.raises(Exception, match=r"1044|denied"):
                cur.execute("CREATE DATABASE should_fail")
            with pytest.raises(Exception, match=r"1142|denied"):
                cur.execute("SELECT * FROM ops.schema_history")
    finally:
        conn.close()


# --- writes reach the replica; reads through the reader port come from the replica ------------


def test_writes_reach_the_replica_and_reader_port_reads_come_from_it(
    env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(capsys, "--outputs", str(env.outputs_path), "--via-proxy")
    assert code == 0, err
    assert f"connected to writer admin@127.0.0.1:{env.port('writer')}" in out
    assert f"replica lag: 127.0.0.1:{env.port('reader')}" in out

    replica_id = scalar(env, "SELECT @@server_id", "replica")
    email = f"{secrets.token_hex(6)}@example.test"
    writer, reader = env.connect("writer"), env.connect("reader")
    try:
        with writer.cursor() as wcur, reader.cursor() as rcur:
            wcur.execute("SELECT @@server_id")
            assert wcur.fetchone()[0] != replica_id
            rcur.execute("SELECT @@server_id, @@read_only")
            assert rcur.fetchone() == (replica_id, 1)
            wcur.execute("INSERT INTO app.customers (email, display_name) VALUES (%s, 'r')", (email,))

            def visible() -> bool:
                rcur.execute("SELECT COUNT(*) FROM app.customers WHERE email = %s", (email,))
                return bool(rcur.fetchone()[0])

            wait_until(visible, 10, "the row to reach the replica through the reader port")
    finally:
        writer.close()
        reader.close()


# --- bad SQL: non-zero, names file + statement, no history row; fixed -> completes ---------------


def test_fails_on_bad_sql_naming_file_line_and_statement_then_fixed_rerun_completes(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = f"hist_{secrets.token_hex(4)}"
    table = f"TempDB.t_{secrets.token_hex(4)}"
    bad = f"CREATE TABLE IF NOT EXISTS {table} (id INT);\n-- a comment\nINSERT INTO {table} VALUES (1);\n"
    # DDL after the bad statement would commit on its own: it must never run.
    after = f"CREATE TABLE {table}_after (id INT);\n"
    sql_dir = sql_copy(tmp_path, {"V900__bad.sql": bad + "SELEC oops FROM nowhere;\n" + after})
    args = ["--outputs", str(env.outputs_path), "--sql-dir", str(sql_dir), "--ops-schema", schema]
    args.append("--skip-replication-check")

    code, out, err = run_main(capsys, *args)
    assert code == errors.EXIT_MIGRATION
    assert f"{sql_dir / 'V900__bad.sql'}:4" in err
    assert "SELEC oops FROM nowhere" in err and "1064" in err
    assert [v for v, _ in history(env, schema)] == REPO_VERSIONS  # none for V900
    # Its INSERT ran with autocommit off and was rolled back with the failure.
    assert scalar(env, f"SELECT COUNT(*) FROM {table}") == 0
    name = table.split(".")[1]
    exists = f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = '{name}_after'"
    assert scalar(env, exists) == 0

    (sql_dir / "V900__bad.sql").write_text(bad + "SELECT 1;\n" + after)
    code, out, err = run_main(capsys, *args)
    assert code == 0, err
    assert "applied V900__bad.sql" in out
    assert [v for v, _ in history(env, schema)] == [*REPO_VERSIONS, 900]
    assert scalar(env, f"SELECT COUNT(*) FROM {table}") == 1
    assert scalar(env, exists) == 1


def test_rejects_an_edited_or_removed_applied_migration(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = f"hist_{secrets.token_hex(4)}"
    sql_dir = sql_copy(tmp_path)
    args = ["--outputs", str(env.outputs_path), "--sql-dir", str(sql_dir), "--ops-schema", schema]
    args.append("--skip-replication-check")
    assert run_main(capsys, *args)[0] == 0
    before = history(env, schema)

    edited = next(sql_dir.glob("V003__*.sql"))
    edited.write_text(edited.read_text() + "-- harmless looking edit\n")
    code, _out, err = run_main(capsys, *args)
    assert code == errors.EXIT_MIGRATION
    assert str(edited) in err and "edited after it was applied" in err
    assert history(env, schema) == before

    edited.unlink()
    code, _out, err = run_main(capsys, *args)
    assert code == errors.EXIT_MIGRATION
    assert "history has version 3" in err and edited.name in err


# --- credentials and reachability ------------------------------------------------------------


def test_fails_on_wrong_password_with_a_clear_error_that_does_not_contain_it(
    env: LocalEnv, tmp_path: Path
) -> None:
    wrong = "Wrong-" + secrets.token_urlsafe(16)
    path = outputs_with(env, tmp_path, db_password=wrong)
    started = time.monotonic()
    proc = spawn("--outputs", str(path), "--connect-timeout", "30")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == errors.EXIT_CONNECT
    assert time.monotonic() - started < 10, "access denied must fail fast, not wait for the deadline"
    assert "access denied" in err and "1045" in err
    assert wrong not in out + err
    assert env.admin_password.reveal() not in out + err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_fails_on_unreachable_writer_within_the_configured_bound(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    with socket.socket() as listener:
        if kind == "silent":
            # Accepts TCP (kernel backlog) but never sends a MySQL greeting.
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            port = int(listener.getsockname()[1])
        else:
            port = free_port()
        path = outputs_with(env, tmp_path, writer={"host": "127.0.0.1", "port": port})
        bound = 1.5
        started = time.monotonic()
        code, _out, err = run_main(capsys, "--outputs", str(path), "--connect-timeout", str(bound))
        took = time.monotonic() - started
    assert code == errors.EXIT_CONNECT
    assert f"cannot connect to admin@127.0.0.1:{port} within 1.5 s" in err
    assert bound <= took < bound + 1.0


# --- 8 concurrent bootstraps (processes) apply each migration once -----------------------------


def test_eight_concurrent_bootstraps_apply_each_migration_exactly_once(
    local_env_factory: Callable[..., LocalEnv], tmp_path: Path
) -> None:
    fresh = local_env_factory()
    log = "TempDB.apply_log"
    extra = {
        "V900__log_a.sql": f"CREATE TABLE IF NOT EXISTS {log} (version INT, conn BIGINT);\n"
        f"INSERT INTO {log} VALUES (900, CONNECTION_ID());\n",
        # A slow migration widens the window in which a second runner could sneak in.
        "V901__log_b.sql": f"SELECT SLEEP(0.3);\nINSERT INTO {log} VALUES (901, CONNECTION_ID());\n",
        "V902__log_c.sql": f"INSERT INTO {log} VALUES (902, CONNECTION_ID());\n",
    }
    sql_dir = sql_copy(tmp_path, extra)
    procs = [
        spawn("--outputs", str(fresh.outputs_path), "--sql-dir", str(sql_dir), "--skip-replication-check")
        for _ in range(8)
    ]
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * 8, [err for _, _, err in results]
    applied = sum(out.count("applied V") for _, out, _ in results)
    assert applied == len(REPO_VERSIONS) + 3
    assert [v for v, _ in history(fresh)] == [*REPO_VERSIONS, 900, 901, 902]
    with fresh.ops_cursor("primary") as cur:
        cur.execute(f"SELECT version, COUNT(*) FROM {log} GROUP BY version ORDER BY version")
        assert cur.fetchall() == [(900, 1), (901, 1), (902, 1)]


# --- primary killed mid-run, restarted: a rerun converges without duplicates ---------------------


def test_primary_killed_mid_migration_then_rerun_converges_without_duplicates(
    local_env_factory: Callable[..., LocalEnv], tmp_path: Path
) -> None:
    fresh = local_env_factory()
    knob = "TempDB.test_knobs"
    seed = (
        "INSERT INTO app.products (sku, title, price_cents, stock) VALUES\n"
        "  ('sku-1', 'one', 100, 1), ('sku-2', 'two', 200, 2), ('sku-3', 'three', 300, 3);\n"
    )
    extra = {
        # Plain INSERTs (not idempotent) followed by a slow statement the test kills the primary in.
        "V900__seed_products.sql": seed + f"SELECT SLEEP((SELECT seconds FROM {knob}));\n",
        "V901__more_products.sql": "INSERT INTO app.products (sku, title, price_cents)\n"
        "VALUES ('sku-4', 'four', 4);\n",
    }
    sql_dir = sql_copy(tmp_path, extra)
    with fresh.ops_cursor("primary") as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS TempDB")
        cur.execute(f"CREATE TABLE {knob} (seconds INT NOT NULL)")
        cur.execute(f"INSERT INTO {knob} VALUES (60)")
    args = ["--outputs", str(fresh.outputs_path), "--sql-dir", str(sql_dir), "--connect-timeout", "20"]

    proc = spawn(*args)

    def sleeping() -> bool:
        with fresh.ops_cursor("primary") as cur:
            cur.execute(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                " WHERE INFO LIKE '%SELECT SLEEP((SELECT seconds%' AND ID <> CONNECTION_ID()"
            )
            return bool(cur.fetchone()[0])

    wait_until(sleeping, 30, "the bootstrap to reach the slow statement")
    fresh.kill("primary")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == errors.EXIT_CONNECT, err
    assert "lost the connection while applying" in err and "V900__seed_products.sql" in err
    assert "applied V004" in out and "applied V900" not in out

    fresh.start("primary")
    with fresh.ops_cursor("primary") as cur:
        cur.execute(f"UPDATE {knob} SET seconds = 0")
    rerun = spawn(*args)
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    assert "applied V900__seed_products.sql" in out and "applied V901__more_products.sql" in out
    assert [v for v, _ in history(fresh)] == [*REPO_VERSIONS, 900, 901]
    with fresh.ops_cursor("primary") as cur:
        cur.execute("SELECT sku, COUNT(*) FROM app.products GROUP BY sku ORDER BY sku")
        assert cur.fetchall() == [("sku-1", 1), ("sku-2", 1), ("sku-3", 1), ("sku-4", 1)]


# --- replica stopped: the replication check fails with its own exit code ----------------------


def test_fails_replication_check_with_its_own_exit_code_when_the_replica_is_stopped(
    local_env_factory: Callable[..., LocalEnv], capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = local_env_factory()
    outputs = str(fresh.outputs_path)
    assert run_main(capsys, "--outputs", outputs)[0] == 0

    # Replica up but not applying: the heartbeat never shows up.
    with fresh.ops_cursor("replica") as cur:
        cur.execute("STOP SLAVE SQL_THREAD")
    code, _out, err = run_main(capsys, "--outputs", outputs, "--replication-timeout", "1")
    assert code == errors.EXIT_REPLICATION, err
    assert f"not visible on reader(s) 127.0.0.1:{fresh.port('replica')} within 1 s" in err
    with fresh.ops_cursor("replica") as cur:
        cur.execute("START SLAVE SQL_THREAD")

    fresh.stop("replica")

    started = time.monotonic()
    code, _out, err = run_main(capsys, "--outputs", outputs, "--replication-timeout", "2")
    assert code == errors.EXIT_REPLICATION, err
    assert f"reader 127.0.0.1:{fresh.port('replica')}" in err
    assert time.monotonic() - started < 10

    # Through the proxy the reader port falls back to the primary: that is not a replica either.
    code, _out, err = run_main(capsys, "--outputs", outputs, "--via-proxy", "--replication-timeout", "2")
    assert code == errors.EXIT_REPLICATION, err
    assert "answered by the writer itself" in err


def test_fails_fast_when_the_server_certificate_is_not_signed_by_the_given_ca(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other_ca = tmp_path / "other-ca.pem"
    key = str(tmp_path / "other.key")
    argv = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=x"]
    argv += ["-keyout", key, "-out", str(other_ca)]
    subprocess.run(
        argv,
        check=True,
        capture_output=True,
    )
    started = time.monotonic()
    code, _out, err = run_main(
        capsys, "--outputs", str(env.outputs_path), "--ssl-ca", str(other_ca), "--connect-timeout", "30"
    )
    assert code == errors.EXIT_CONNECT
    assert "TLS verification failed" in err and "CERTIFICATE_VERIFY_FAILED" in err
    assert time.monotonic() - started < 5


def test_fails_when_another_run_holds_the_migration_lock_past_the_timeout(
    env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = env.connect("writer")
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT GET_LOCK('mysql-platform.migrations.ops', 0)")
            assert cur.fetchone()[0] == 1
        started = time.monotonic()
        code, out, err = run_main(capsys, "--outputs", str(env.outputs_path), "--lock-timeout", "1")
        assert code == errors.EXIT_MIGRATION
        assert "waiting up to 1 s for the migration lock" in out
        assert "could not take the migration lock 'mysql-platform.migrations.ops' within 1 s" in err
        assert 1.0 <= time.monotonic() - started < 5
    finally:
        holder.close()
    assert run_main(capsys, "--outputs", str(env.outputs_path), "--skip-replication-check")[0] == 0


def test_wait_for_readers_makes_the_next_read_through_the_reader_port_see_the_write(
    env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(capsys, "--outputs", str(env.outputs_path), "--skip-replication-check")[0] == 0
    replica_id = scalar(env, "SELECT @@server_id", "replica")
    writer, reader = env.connect("writer"), env.connect("reader")
    try:
        with writer.cursor() as wcur, reader.cursor() as rcur:
            rcur.execute("SELECT @@server_id")
            assert rcur.fetchone()[0] == replica_id, "the reader port must be served by the replica"
            for _ in range(25):
                email = f"{secrets.token_hex(6)}@fence.test"
                wcur.execute("INSERT INTO app.customers (email, display_name) VALUES (%s, 'f')", (email,))
                lags = replication_check.wait_for_readers(writer, [reader], timeout_s=5)
                assert len(lags) == 1 and lags[0] >= 0
                # One read, no retry: the fence guarantees it.
                rcur.execute("SELECT COUNT(*) FROM app.customers WHERE email = %s", (email,))
                assert rcur.fetchone()[0] == 1
    finally:
        writer.close()
        reader.close()
