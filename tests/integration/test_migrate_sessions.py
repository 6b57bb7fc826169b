"""What a migration file can rely on, against a real MariaDB: a session of its own, a clear refusal
of a statement over the server's packet limit, the tool's own tables, files that are files.

The reference is the ``mariadb`` client: ``mariadb < file`` is a new session per file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.cli import migrate as migrate_cli
from mysql_platform.local.env import LocalEnv
from tests.support.bootstrap_env import REPO, run_main, unique
from tests.support.migrate_project import Project


@pytest.fixture
def project(local_env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(local_env, tmp_path, capsys)


# --- each file starts from a fresh session -------------------------------------------------------


def test_a_use_in_one_file_does_not_choose_the_next_files_database(project: Project) -> None:
    project.write(
        "V001__use.sql", "CREATE DATABASE IF NOT EXISTS {db};\nUSE {db};\nCREATE TABLE t1 (id INT);\n"
    )
    project.write("V002__unqualified.sql", "CREATE TABLE t2 (id INT);\n")
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_MIGRATION, err
    assert f"{project.sql / 'V002__unqualified.sql'}:1: error 1046" in err and "No database selected" in err
    assert [v for v, _k, _c in project.history()] == [1]
    tables = f"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{project.db}'"
    assert project.rows(tables) == [("t1",)]


def test_session_settings_and_variables_of_one_file_do_not_reach_the_next(project: Project) -> None:
    project.write(
        "V001__loosen.sql",
        "CREATE DATABASE IF NOT EXISTS {db};\n"
        "CREATE TABLE {db}.parent (id INT PRIMARY KEY) ENGINE=InnoDB;\n"
        "CREATE TABLE {db}.child (pid INT, FOREIGN KEY (pid) REFERENCES {db}.parent (id)) ENGINE=InnoDB;\n"
        "CREATE TABLE {db}.seen (what VARCHAR(64), value VARCHAR(255));\n"
        "SET sql_mode = '', time_zone = '+05:00', foreign_key_checks = 0, unique_checks = 0;\n"
        "SET @carried = 'from V001';\n",
    )
    project.write(
        "V002__observe.sql",
        "INSERT INTO {db}.seen VALUES ('tz', @@session.time_zone), ('fk', @@session.foreign_key_checks),\n"
        "  ('uc', @@session.unique_checks), ('var', COALESCE(@carried, 'unset')),\n"
        "  ('mode_is_global', @@session.sql_mode = @@global.sql_mode);\n",
    )
    assert project.run("migrate")[0] == errors.EXIT_OK
    global_tz = project.rows("SELECT @@global.time_zone")[0][0]
    assert dict(project.rows(f"SELECT what, value FROM {project.db}.seen")) == {
        "tz": global_tz,
        "fk": "1",
        "uc": "1",
        "var": "unset",
        "mode_is_global": "1",
    }
    # The server's strict mode again: a bad value fails (1366) instead of being stored as 0.
    project.write("V003__strict.sql", "CREATE TABLE {db}.n (i INT);\nINSERT INTO {db}.n VALUES ('twelve');\n")
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_MIGRATION and "error 1366" in err
    # And foreign keys are checked again.
    project.write("V003__strict.sql", "INSERT INTO {db}.child VALUES (7);\n")
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_MIGRATION and "error 1452" in err


# --- a statement over max_allowed_packet ----------------------------------------------------------


def test_a_statement_over_the_packet_limit_is_refused_once_with_the_limit_and_how_to_raise_it(
    project: Project,
) -> None:
    limit = int(project.rows("SELECT @@global.max_allowed_packet")[0][0])
    project.write(
        "V001__schema.sql", "CREATE DATABASE IF NOT EXISTS {db};\nCREATE TABLE {db}.b (v LONGTEXT);\n"
    )
    project.write("V002__big.sql", "INSERT INTO {db}.b VALUES ('" + "x" * (limit + 1024) + "');\n")
    for _run in range(2):  # the same answer every run: nothing about it is transient
        code, _out, err = project.run("migrate")
        assert code == errors.EXIT_MIGRATION, err
        assert f"{project.sql / 'V002__big.sql'}:1: the statement is" in err
        assert f"over the server's max_allowed_packet of {limit / 1048576:.1f} MiB ({limit} bytes)" in err
        assert "DB parameter group's max_allowed_packet" in err and "lost the connection" not in err
    assert [v for v, _k, _c in project.history()] == [1]
    assert project.rows(f"SELECT COUNT(*) FROM {project.db}.b") == [(0,)]


# --- `migrate new`, then validate and apply ------------------------------------------------------


def test_a_file_from_migrate_new_validates_offline_and_applies(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("V001__schema.sql", "CREATE DATABASE IF NOT EXISTS {db};\nCREATE TABLE {db}.t (c INT);\n")
    assert migrate_cli.main(["new", "add_t_index", "--sql-dir", str(project.sql)]) == errors.EXIT_OK
    created = project.sql / "V002__add_t_index.sql"
    capsys.readouterr()
    offline = ["validate", "--offline", "--sql-dir", str(project.sql)]
    assert migrate_cli.main([*offline, "--app-user", "app-with-dash"]) == errors.EXIT_BAD_INPUT
    assert "V002__add_t_index.sql': contains no statements" in capsys.readouterr().err
    with created.open("a", encoding="utf-8") as handle:
        handle.write(f"CREATE INDEX ix_c ON {project.db}.t (c);\n")
    for user in ("app", "app-with-dash"):  # ${app_user} is undefined for a name that needs quoting
        assert migrate_cli.main([*offline, "--app-user", user]) == errors.EXIT_OK, capsys.readouterr().err
    capsys.readouterr()
    code, out, err = project.run("migrate")
    assert code == errors.EXIT_OK, err
    assert "applied V002__add_t_index.sql (1 statements)" in out
    indexes = f"SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{project.db}'"
    assert project.rows(indexes) == [("ix_c",)]


# --- a FIFO among the files -----------------------------------------------------------------------


def test_validate_offline_skips_a_fifo_by_name_instead_of_hanging(project: Project) -> None:
    project.write("V001__one.sql", "SELECT 1;\n")
    os.mkfifo(project.sql / "V002__x.sql")
    done = subprocess.run(
        [sys.executable, "-m", "scripts.migrate", "validate", "--offline", "--sql-dir", str(project.sql)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == errors.EXIT_OK, done.stderr
    assert f"skipped '{project.sql / 'V002__x.sql'}': a FIFO" in done.stderr
    assert "1 migration files are valid" in done.stdout


# --- the tool's own tables: a project of the user's own migrations only -------------------------


def test_a_bootstrap_of_only_the_users_migrations_passes_its_replication_check(
    local_env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "V001__shop.sql").write_text(
        "CREATE DATABASE IF NOT EXISTS ${database};\nCREATE TABLE IF NOT EXISTS ${database}.items (id INT);\n"
    )
    ops, schema = unique("ops"), unique("shop")
    password_file = tmp_path / "app.password"
    code, out, err = run_main(
        capsys,
        "--outputs", str(local_env.outputs_path), "--sql-dir", str(mine), "--ops-schema", ops,
        "--app-schema", schema, "--app-user", unique("svc"), "--app-password-file", str(password_file),
    )  # fmt: skip
    assert code == errors.EXIT_OK, err
    assert "migrations: 1 applied, 0 skipped" in out
    assert "replica lag: 127.0.0.1:" in out  # it wrote and read back <ops>.heartbeat


# --- the lock's connection is idle while a file runs ----------------------------------------------

LOCK = "mysql-platform.migrations.{ops}"


def spawn_migrate(project: Project, *extra: str) -> subprocess.Popen[str]:
    argv = [
        "--outputs",
        str(project.env.outputs_path),
        "--sql-dir",
        str(project.sql),
        "--ops-schema",
        project.ops,
    ]
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.migrate", "migrate", *argv, *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def lock_holder(project: Project) -> int | None:
    holder = project.rows(f"SELECT IS_USED_LOCK('{LOCK.format(ops=project.ops)}')")[0][0]
    return None if holder is None else int(holder)


def wait_for_holder(project: Project) -> int:
    deadline = time.monotonic() + 20
    while (holder := lock_holder(project)) is None:
        assert time.monotonic() < deadline, "migrate never took its lock"
        time.sleep(0.05)
    return holder


def test_the_lock_outlives_the_servers_idle_timeout_while_a_long_file_runs(project: Project) -> None:
    project.write("V001__slow.sql", "CREATE DATABASE IF NOT EXISTS {db};\nDO SLEEP(5);\n")
    before = project.rows("SELECT @@global.wait_timeout")[0][0]
    with project.env.ops_cursor("primary") as cur:
        cur.execute("SET GLOBAL wait_timeout = 2")  # new sessions: the runner's among them
    proc = spawn_migrate(project)
    try:
        holder = wait_for_holder(project)
        time.sleep(3.5)  # idle for longer than its wait_timeout, but pinged
        assert lock_holder(project) == holder
        _out, err = proc.communicate(timeout=60)
    finally:
        with project.env.ops_cursor("primary") as cur:
            cur.execute(f"SET GLOBAL wait_timeout = {int(before)}")
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == errors.EXIT_OK, err
    assert [v for v, _k, _c in project.history()] == [1]


def test_a_file_that_ran_while_the_lock_was_lost_is_not_recorded(project: Project) -> None:
    project.write("V001__slow.sql", "CREATE DATABASE IF NOT EXISTS {db};\nDO SLEEP(2);\n")
    project.write("V002__next.sql", "CREATE TABLE {db}.t (id INT);\n")
    proc = spawn_migrate(project)
    holder = wait_for_holder(project)
    with project.env.ops_cursor("primary") as cur:
        cur.execute(f"KILL {holder}")  # what wait_timeout, a proxy or the network would do
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == errors.EXIT_MIGRATION, err
    assert "V001__slow.sql ran, but the migration lock" in err and "was not recorded" in err
    assert project.history() == []  # and V002 never ran
    assert project.rows(
        f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{project.db}'"
    ) == [(0,)]
