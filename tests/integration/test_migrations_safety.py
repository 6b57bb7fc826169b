"""The migration runner's safety rules against a real MariaDB (issues 12-15).

- 12: the server runs exactly the statements the splitter produced (what the native
  ``mariadb`` client rejects, the runner rejects too), and an error names the
  statement the server actually failed on;
- 13: a migration that drops or empties the history table stops the run, naming the file,
  and the history is put back, so a rerun does not apply everything again;
- 14: a version the history cannot hold is rejected before connecting;
- 15: ``--ops-schema`` puts the heartbeat (``${ops_schema}`` in V002) where the replication check
  looks for it.

One environment for the module; every test uses its own history schema and table names.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.db.migration_files import discover
from mysql_platform.db.migrations import MigrationError, Runner
from mysql_platform.local.env import ADMIN_USER, LocalEnv
from tests.integration.test_bootstrap import REPO_VERSIONS, history, run_main, scalar, sql_copy


def token() -> str:
    return secrets.token_hex(4)


def one_file_dir(tmp_path: Path, name: str, text: str) -> Path:
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir(exist_ok=True)
    (sql_dir / name).write_text(text, encoding="utf-8")
    return sql_dir


def apply_with_runner(env: LocalEnv, sql_dir: Path, schema: str) -> None:
    """discover + Runner.run over a connection to the writer, as the bootstrap does."""
    found = discover(sql_dir, {"database": "TempDB"})
    conn = env.connect("primary")
    try:
        opener = lambda: env.connect("primary")  # noqa: E731 - a session per file, as the CLI opens them
        Runner(conn, open_session=opener, history_schema=schema, progress=lambda _line: None).run(found)
    finally:
        conn.close()


def run_native_client(env: LocalEnv, script: Path, work: Path) -> subprocess.CompletedProcess[str]:
    """``mariadb < script`` as the admin user, password in a 0600 option file (never in argv)."""
    cnf = work / "client.cnf"
    fd = os.open(cnf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"[client]\npassword={env.admin_password.reveal()}\n")
    argv = [
        "mariadb",
        f"--defaults-extra-file={cnf}",
        "--host=127.0.0.1",
        f"--port={env.port('primary')}",
        f"--user={ADMIN_USER}",
        f"--ssl-ca={env.ca_path}",
        "--ssl-verify-server-cert",
    ]
    with open(script, "rb") as stdin:
        return subprocess.run(argv, stdin=stdin, capture_output=True, text=True, check=False, timeout=30)


def count(env: LocalEnv, sql: str, role: str = "primary") -> int:
    return int(scalar(env, sql, role))


def execute(env: LocalEnv, sql: str) -> None:
    with env.ops_cursor("primary") as cur:
        cur.execute(sql)


def routine_exists(env: LocalEnv, name: str) -> bool:
    return bool(count(env, f"SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_NAME = '{name}'"))


# --- 12: the server runs exactly the splitter's statements ----------------------------------------

# Compound statements need DELIMITER: without it the client sends the pieces between ';'
# one by one and the server rejects the first. With it, the whole block is one statement.
COMPOUND_CASES = {
    "procedure_without_delimiter": (
        "CREATE PROCEDURE ${database}.NAME()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n",
        False,
    ),
    "begin_not_atomic_without_delimiter": (
        "CREATE TABLE IF NOT EXISTS ${database}.NAME (id INT);\n"
        "BEGIN NOT ATOMIC\n  INSERT INTO ${database}.NAME VALUES (1);\n"
        "  INSERT INTO ${database}.NAME VALUES (2);\nEND;\n",
        False,
    ),
    "procedure_with_delimiter": (
        "DELIMITER //\nCREATE PROCEDURE ${database}.NAME()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND//\n"
        "DELIMITER ;\n",
        True,
    ),
    "begin_not_atomic_with_delimiter": (
        "CREATE TABLE IF NOT EXISTS ${database}.NAME (id INT);\nDELIMITER //\n"
        "BEGIN NOT ATOMIC\n  INSERT INTO ${database}.NAME VALUES (1);\n"
        "  INSERT INTO ${database}.NAME VALUES (2);\nEND//\nDELIMITER ;\n",
        True,
    ),
}


@pytest.mark.skipif(shutil.which("mariadb") is None, reason="needs the mariadb client")
@pytest.mark.parametrize("case", sorted(COMPOUND_CASES))
def test_accepts_and_rejects_compound_statements_exactly_as_the_mariadb_client_does(
    env: LocalEnv, tmp_path: Path, case: str
) -> None:
    template, accepted = COMPOUND_CASES[case]
    native_name, runner_name = f"n_{token()}", f"r_{token()}"

    native_script = tmp_path / "native.sql"
    native_script.write_text(template.replace("${database}", "TempDB").replace("NAME", native_name))
    execute(env, "CREATE DATABASE IF NOT EXISTS TempDB")
    native = run_native_client(env, native_script, tmp_path)
    assert (native.returncode == 0) is accepted, native.stderr

    sql_dir = one_file_dir(tmp_path, "V001__compound.sql", template.replace("NAME", runner_name))
    schema = f"hist_{token()}"
    if accepted:
        apply_with_runner(env, sql_dir, schema)
        assert [v for v, _ in history(env, schema)] == [1]
    else:
        with pytest.raises(MigrationError) as info:
            apply_with_runner(env, sql_dir, schema)
        # The first piece fails alone, as in the client: the server never saw the whole block.
        where = "V001__compound.sql:2" if case.startswith("begin") else "V001__compound.sql:1"
        assert where in str(info.value) and "1064" in str(info.value)
        assert history(env, schema) == []
    for name in (native_name, runner_name):
        if case.startswith("procedure"):
            assert routine_exists(env, name) is accepted
        else:
            rows = count(env, f"SELECT COUNT(*) FROM TempDB.{name}")
            assert rows == (2 if accepted else 0)


def test_fails_naming_the_statement_the_server_rejected_not_a_later_line(
    env: LocalEnv, tmp_path: Path
) -> None:
    table = f"t_{token()}"
    text = (
        f"CREATE TABLE IF NOT EXISTS TempDB.{table} (id INT);\n"  # line 1
        "BEGIN NOT ATOMIC\n"  # line 2: a compound statement without DELIMITER
        f"  INSERT INTO TempDB.{table} VALUES (1);\n"  # line 3
        "END;\n"  # line 4
        "INSERT INTO TempDB.no_such_table VALUES (1);\n"  # line 5
    )
    sql_dir = one_file_dir(tmp_path, "V001__blame.sql", text)
    with pytest.raises(MigrationError) as info:
        apply_with_runner(env, sql_dir, f"hist_{token()}")
    message = str(info.value)
    assert f"{sql_dir / 'V001__blame.sql'}:2:" in message and "statement: BEGIN NOT ATOMIC" in message
    assert ":4:" not in message and ":5:" not in message and "statement: END" not in message
    # The block never ran as one statement behind the splitter's back.
    assert count(env, f"SELECT COUNT(*) FROM TempDB.{table}") == 0


# --- 13: a migration that drops or empties the history table ---------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE {schema}.schema_history;\n",
        "DROP DATABASE {schema};\n",
        "DELETE FROM {schema}.schema_history;\n",
        "DROP TABLE {schema}.schema_history;\nINSERT INTO TempDB.no_such_table VALUES (1);\n",
        "DROP TABLE IF EXISTS {schema}.old_history;\n"
        "RENAME TABLE {schema}.schema_history TO {schema}.old_history;\n"
        "CREATE TABLE {schema}.schema_history LIKE {schema}.old_history;\n",
    ],
    ids=["drop_table", "drop_database", "delete_rows", "drop_then_fail", "recreate_empty"],
)
def test_fails_when_a_migration_drops_the_history_and_a_rerun_does_not_reapply_everything(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], statement: str
) -> None:
    schema = f"hist_{token()}"
    log = f"TempDB.log_{token()}"
    extra = {
        # Not idempotent on purpose: applied twice, it leaves two rows.
        "V899__log.sql": f"CREATE TABLE IF NOT EXISTS {log} (v INT);\nINSERT INTO {log} VALUES (899);\n",
        "V900__drop_history.sql": statement.format(schema=schema),
        "V901__after.sql": f"INSERT INTO {log} VALUES (901);\n",
    }
    sql_dir = sql_copy(tmp_path, extra)
    args = ["--outputs", str(env.outputs_path), "--sql-dir", str(sql_dir), "--ops-schema", schema]
    args.append("--skip-replication-check")

    for _attempt in range(2):
        code, out, err = run_main(capsys, *args)
        assert code == errors.EXIT_MIGRATION, err
        assert str(sql_dir / "V900__drop_history.sql") in err and "history table" in err
        assert "Traceback" not in err
        # The history is back as it was before V900; V900 is not recorded, V901 never ran.
        assert [v for v, _ in history(env, schema)] == [*REPO_VERSIONS, 899]
        assert count(env, f"SELECT COUNT(*) FROM {log} WHERE v = 899") == 1
        assert count(env, f"SELECT COUNT(*) FROM {log} WHERE v = 901") == 0
    assert "applied V899" not in out  # the rerun skipped what had been applied


# --- 14: versions the history cannot hold ------------------------------------------------------------


def test_rejects_a_version_beyond_the_history_column_before_connecting(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = f"hist_{token()}"
    sql_dir = sql_copy(tmp_path, {"V4294967296__too_big.sql": "SELECT 1;\n"})
    code, out, err = run_main(
        capsys, "--outputs", str(env.outputs_path), "--sql-dir", str(sql_dir), "--ops-schema", schema
    )
    assert code == errors.EXIT_BAD_INPUT, err
    assert str(sql_dir / "V4294967296__too_big.sql") in err and "4294967295" in err
    assert "connected to writer" not in out
    assert count(env, f"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{schema}'") == 0


# --- 15: --ops-schema ---------------------------------------------------------------------------------


def test_ops_schema_holds_history_and_heartbeat_and_the_replication_check_passes(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = f"ops_{token()}"
    code, out, err = run_main(capsys, "--outputs", str(env.outputs_path), "--ops-schema", schema)
    assert code == 0, err
    assert "replica lag: 127.0.0.1:" in out
    assert [v for v, _ in history(env, schema)] == REPO_VERSIONS
    tables = (
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{s}' AND TABLE_NAME = '{t}'"
    )
    for role in ("primary", "replica"):
        assert count(env, tables.format(s=schema, t="heartbeat"), role) == 1, role
        assert count(env, f"SELECT COUNT(*) FROM `{schema}`.heartbeat", role) >= 1, role
