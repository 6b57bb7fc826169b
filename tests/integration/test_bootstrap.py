"""The bootstrap's migrations against real MariaDB primary/replica + HAProxy (issue 3, part 5):
everything applied once, the app user it makes, bad and edited migrations, the migration lock.

These tests share one environment made for this module (the ``env`` fixture of conftest), so
the counts of applied migrations are this file's own. Tests that need bad or edited
migrations use a copy of ``sql/`` in a tmp dir and their own history schema (``--ops-schema``).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.local.env import LocalEnv
from tests.support.bootstrap_env import REPO_VERSIONS, history, run_main, scalar, sql_copy

# test_database_name.py and test_migrations_safety.py import REPO_VERSIONS, SQL, history, run_main,
# scalar and sql_copy from this module, where they used to be defined; SQL is only passed on.
from tests.support.bootstrap_env import SQL as SQL

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


# --- the migration lock: another run holding it past the timeout ----------------------------------


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
