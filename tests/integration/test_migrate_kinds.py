"""``mysql-platform migrate`` with Flyway's other kinds of files, against a real MariaDB: ``--target``,
repeatable ``R__`` files, callbacks and ``undo`` with ``U<NNN>__`` files.

Each test has its own history schema (``--ops-schema``) and its own tables (the Project helper).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.local.env import LocalEnv
from tests.support.bootstrap_env import run_main, scalar, sql_copy
from tests.support.migrate_project import Project, three_files


@pytest.fixture
def project(local_env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(local_env, tmp_path, capsys)


def count(p: Project, table: str = "t") -> int:
    return int(p.rows(f"SELECT COUNT(*) FROM {p.db}.{table}")[0][0])


# --- --target ------------------------------------------------------------------------------------


def test_target_applies_up_to_that_version_and_info_shows_the_rest_above_target(project: Project) -> None:
    three_files(project)
    code, out, _ = project.run("migrate", "--target", "2")
    assert code == errors.EXIT_OK, out
    assert "migrations: 2 applied, 0 already applied, 1 above target 2" in out
    assert [v for v, _k, _c in project.history()] == [1, 2]
    assert count(project) == 2
    code, out, _ = project.run("info", "--target", "2", "--json")
    doc = json.loads(out)
    assert doc["target"] == 2
    assert [(d["version"], d["state"]) for d in doc["versions"]] == [
        (1, "applied"),
        (2, "applied"),
        (3, "above target"),
    ]
    code, out, _ = project.run("migrate", "--json")
    doc = json.loads(out)
    assert [a["version"] for a in doc["applied"]] == [3] and doc["already_applied"] == 2
    assert doc["above_target"] == 0 and doc["target"] is None
    # A target below what is applied: nothing to do, and the files above it are still checked.
    code, out, err = project.run("migrate", "--target", "1")
    assert code == errors.EXIT_OK and "migrations: 0 applied, 3 already applied, 0 above target 1" in out
    assert "note: target 1 is below the newest applied version 3: migrate never goes back" in err
    project.write("V003__more.sql", "INSERT INTO {db}.t VALUES (33);\n")
    code, _out, err = project.run("migrate", "--target", "1")
    assert code == errors.EXIT_MIGRATION and "V003__more.sql' was edited after it was applied" in err


def test_target_dry_run_shows_only_the_versions_up_to_it(project: Project) -> None:
    three_files(project)
    code, out, _ = project.run("migrate", "--dry-run", "--target", "1", "--json")
    doc = json.loads(out)
    assert code == errors.EXIT_OK and doc["target"] == 1
    assert {b["script"] for b in doc["batches"]} == {"V001__schema.sql"}


def test_a_target_with_no_file_is_refused_naming_the_nearest_versions(project: Project) -> None:
    project.write("V001__a.sql", "CREATE DATABASE IF NOT EXISTS {db};\n")
    project.write("V005__b.sql", "CREATE TABLE IF NOT EXISTS {db}.t (id INT);\n")
    code, _out, err = project.run("migrate", "--target", "3")
    assert code == errors.EXIT_BAD_INPUT
    assert "--target 3: no migration file has version 3 (nearest: 1 below, 5 above)" in err
    assert project.rows(
        f"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{project.db}'"
    ) == [(0,)]


# --- repeatable migrations -----------------------------------------------------------------------


def test_repeatables_apply_after_the_versioned_files_and_again_when_changed(project: Project) -> None:
    three_files(project)
    # Described "b view" and "a log": applied in that order of descriptions (a before b).
    project.write("R__b_view.sql", "CREATE OR REPLACE VIEW {db}.v AS SELECT COUNT(*) AS n FROM {db}.t;\n")
    project.write(
        "R__a_log.sql",
        "CREATE TABLE IF NOT EXISTS {db}.log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20));\n"
        "INSERT INTO {db}.log (what) VALUES ('a');\n",
    )
    code, out, _ = project.run("migrate", "--json")
    doc = json.loads(out)
    assert code == errors.EXIT_OK, out
    assert [r["script"] for r in doc["repeatables"]] == ["R__a_log.sql", "R__b_view.sql"]
    assert project.rows(f"SELECT n FROM {project.db}.v") == [(3,)]
    # Unchanged: not applied again.
    code, out, _ = project.run("migrate")
    assert "0 repeatable applied" in out and count(project, "log") == 1
    # Changed: applied again, never an "edited" error; only the changed one.
    project.write(
        "R__a_log.sql",
        "CREATE TABLE IF NOT EXISTS {db}.log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20));\n"
        "INSERT INTO {db}.log (what) VALUES ('a2');\n",
    )
    code, out, _ = project.run("info", "--json")
    states = {r["script"]: r["state"] for r in json.loads(out)["repeatables"]}
    assert states == {"R__a_log.sql": "outdated", "R__b_view.sql": "applied"}
    code, out, _ = project.run("migrate", "--json")
    assert [r["script"] for r in json.loads(out)["repeatables"]] == ["R__a_log.sql"]
    assert count(project, "log") == 2
    rows = project.rows(f"SELECT script, statements FROM {project.ops}.repeatable_history ORDER BY 1")
    assert rows == [("R__a_log.sql", 2), ("R__b_view.sql", 1)]
    # The versioned history holds versions only.
    assert [v for v, _k, _c in project.history()] == [1, 2, 3]
    code, out, _ = project.run("validate")
    assert code == errors.EXIT_OK, out


def test_a_deleted_repeatable_fails_validate_and_repair_drops_its_row(project: Project) -> None:
    three_files(project)
    gone = project.write("R__v.sql", "CREATE OR REPLACE VIEW {db}.v AS SELECT 1 AS one;\n")
    assert project.run("migrate")[0] == errors.EXIT_OK
    code, out, _ = project.run("info")
    assert any(line.split()[:2] == ["R__v.sql", "applied"] for line in out.splitlines())
    gone.unlink()
    code, _out, err = project.run("validate")
    assert code == errors.EXIT_BAD_INPUT and "R__v.sql is in repeatable_history but its file is gone" in err
    code, out, _ = project.run("repair", "--yes")
    assert code == errors.EXIT_OK and "remove the row of repeatable R__v.sql" in out
    assert project.rows(f"SELECT COUNT(*) FROM {project.ops}.repeatable_history") == [(0,)]


def test_a_failing_repeatable_is_not_recorded(project: Project) -> None:
    three_files(project)
    project.write("R__bad.sql", "CREATE OR REPLACE VIEW {db}.v AS SELECT nope FROM {db}.t;\n")
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_MIGRATION and "R__bad.sql:1" in err
    assert project.rows(f"SELECT COUNT(*) FROM {project.ops}.repeatable_history") == [(0,)]
    assert [v for v, _k, _c in project.history()] == [1, 2, 3]


# --- callbacks -----------------------------------------------------------------------------------


def test_callbacks_run_around_the_run_and_each_file_and_are_not_recorded(project: Project) -> None:
    log = "{db}_cb.log"
    project.write(
        "beforeMigrate.sql",
        f"CREATE DATABASE IF NOT EXISTS {{db}}_cb;\n"
        f"CREATE TABLE IF NOT EXISTS {log} (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40));\n"
        f"INSERT INTO {log} (what) VALUES ('before');\n",
    )
    project.write("beforeEachMigrate.sql", f"INSERT INTO {log} (what) VALUES ('each-before');\n")
    project.write(
        "afterEachMigrate.sql",
        # A new session per file: no database selected, so the callback's USE does not leak.
        f"INSERT INTO {log} (what) SELECT CONCAT('each-after ', COALESCE(DATABASE(), '-'));\n",
    )
    project.write("afterMigrate.sql", f"INSERT INTO {log} (what) VALUES ('after');\n")
    project.write("V001__a.sql", "CREATE DATABASE IF NOT EXISTS {db};\nUSE {db};\nCREATE TABLE t (id INT);\n")
    project.write("R__r.sql", "CREATE OR REPLACE VIEW {db}.v AS SELECT 1 AS one;\n")
    code, out, _ = project.run("migrate", "--json")
    doc = json.loads(out)
    assert code == errors.EXIT_OK, out
    assert doc["callbacks"] == [
        "beforeMigrate.sql",
        "beforeEachMigrate.sql",
        "afterEachMigrate.sql",
        "beforeEachMigrate.sql",
        "afterEachMigrate.sql",
        "afterMigrate.sql",
    ]
    whats = [w for (w,) in project.rows(f"SELECT what FROM {project.db}_cb.log ORDER BY id")]
    assert whats == ["before", "each-before", "each-after -", "each-before", "each-after -", "after"]
    assert [v for v, _k, _c in project.history()] == [1]
    # Nothing pending: beforeMigrate and afterMigrate still run (Flyway's meaning).
    project.run("migrate")
    whats = [w for (w,) in project.rows(f"SELECT what FROM {project.db}_cb.log ORDER BY id")]
    assert whats[-2:] == ["before", "after"]
    code, out, _ = project.run("info")
    assert (
        "callbacks: beforeMigrate.sql, beforeEachMigrate.sql, afterEachMigrate.sql, afterMigrate.sql" in out
    )
    project.rows(f"DROP DATABASE {project.db}_cb")


def test_a_failing_callback_stops_the_run_naming_it(project: Project) -> None:
    three_files(project)
    project.write("afterEachMigrate.sql", "SELECT * FROM no_such_db.no_such_table;\n")
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_MIGRATION
    assert "callback afterEachMigrate.sql failed, so the run stopped there" in err
    # The first file ran and was recorded; the callback after it stopped the rest.
    assert [v for v, _k, _c in project.history()] == [1]


def test_other_sql_names_are_still_refused_naming_the_kinds(project: Project) -> None:
    three_files(project)
    project.write("afterMigrateX.sql", "SELECT 1;\n")
    code, _out, err = project.run("validate", "--offline")
    assert code == errors.EXIT_BAD_INPUT
    assert "afterMigrateX.sql': name must be one of V001__name.sql (versioned), R__name.sql" in err


# --- undo ----------------------------------------------------------------------------------------


def undo_files(p: Project) -> None:
    three_files(p)
    p.write("U003__more.sql", "DELETE FROM {db}.t WHERE id = 3;\n")
    p.write("U002__rows.sql", "DELETE FROM {db}.t WHERE id IN (1, 2);\n")


def test_undo_runs_the_newest_versions_undo_file_and_removes_its_row(project: Project) -> None:
    undo_files(project)
    assert project.run("migrate")[0] == errors.EXIT_OK
    code, out, _ = project.run("info")
    assert out.splitlines()[0].split()[-1] == "undo" and out.splitlines()[3].split()[-1] == "U003__more.sql"
    code, out, _ = project.run("undo", "--json")
    doc = json.loads(out)
    assert code == errors.EXIT_OK, out
    assert doc["undone"][0]["version"] == 3 and doc["undone"][0]["undo_script"] == "U003__more.sql"
    assert [v for v, _k, _c in project.history()] == [1, 2] and count(project) == 2
    # migrate applies it again, as a pending version.
    code, out, _ = project.run("migrate")
    assert "1 applied, 2 already applied" in out and count(project) == 3


def test_undo_to_a_target_undoes_everything_above_it_newest_first(project: Project) -> None:
    undo_files(project)
    project.run("migrate")
    code, out, _ = project.run("undo", "--target", "1")
    assert code == errors.EXIT_OK, out
    lines = [line for line in out.splitlines() if line.startswith("undo:")]
    assert [line.split()[2] for line in lines] == ["3", "2"]
    assert [v for v, _k, _c in project.history()] == [1] and count(project) == 0


def test_undo_is_refused_without_an_undo_file_or_on_a_baseline_row(project: Project) -> None:
    undo_files(project)
    project.run("migrate")
    code, _out, err = project.run("undo", "--target", "0")
    assert code == errors.EXIT_MIGRATION
    assert "version 1 (V001__schema.sql) has no undo file (U001__<name>.sql" in err
    # Refused before anything ran: every version and row is still there.
    assert [v for v, _k, _c in project.history()] == [1, 2, 3] and count(project) == 3

    (project.sql.parent / "b").mkdir()
    other = Project(project.env, project.sql.parent / "b", project.capsys)
    other.write("V001__a.sql", "SELECT 1;\n")
    other.write("U001__a.sql", "SELECT 2;\n")
    assert other.run("baseline", "--version", "1")[0] == errors.EXIT_OK
    code, _out, err = other.run("undo")
    assert code == errors.EXIT_MIGRATION and "marked as applied by baseline" in err
    assert [v for v, _k, _c in other.history()] == [1]


def test_validate_offline_checks_undo_files(project: Project) -> None:
    three_files(project)
    project.write("U009__nothing.sql", "DELETE FROM {db}.t;\n")
    project.write("U002__rows.sql", "DELETE FROM {db}.t WHERE 'unterminated;\n")
    code, out, _err = project.run("validate", "--offline", "--json")
    assert code == errors.EXIT_BAD_INPUT
    problems = json.loads(out)["problems"]
    assert any("U002__rows.sql" in p for p in problems)
    assert any(
        "U009__nothing.sql undoes version 9, but there is no V file of version 9" in p for p in problems
    )


# --- the bootstrap applies the same kinds ----------------------------------------------------------


def test_the_bootstrap_applies_repeatables_and_runs_callbacks(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = f"hist_{secrets.token_hex(4)}"
    extra = {
        "R__kinds_view.sql": "CREATE OR REPLACE VIEW ${database}.kinds_view AS SELECT 1 AS one;\n",
        "afterMigrate.sql": "CREATE TABLE IF NOT EXISTS ${database}.kinds_after (id INT);\n",
    }
    sql_dir = sql_copy(tmp_path, extra)
    args = ["--outputs", str(env.outputs_path), "--sql-dir", str(sql_dir), "--ops-schema", schema]
    code, out, err = run_main(capsys, *args, "--skip-replication-check")
    assert code == errors.EXIT_OK, err
    assert "applied R__kinds_view.sql" in out and "ran callback afterMigrate.sql" in out
    assert scalar(env, f"SELECT COUNT(*) FROM {schema}.repeatable_history") == 1
    # The local environment's application schema is `app`.
    found = "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'app'"
    assert scalar(env, found + " AND TABLE_NAME IN ('kinds_view', 'kinds_after')") == 2


# --- from the attack review ----------------------------------------------------------------------


def test_a_repeatable_that_drops_the_repeatable_history_is_stopped_and_the_rows_put_back(
    project: Project,
) -> None:
    three_files(project)
    project.write("R__a_view.sql", "CREATE OR REPLACE VIEW {db}.va AS SELECT 1 AS x;\n")
    project.write("R__b_view.sql", "CREATE OR REPLACE VIEW {db}.vb AS SELECT 2 AS x;\n")
    assert project.run("migrate")[0] == errors.EXIT_OK
    project.write(
        "R__d_drop.sql",
        "DROP TABLE IF EXISTS ${ops_schema}.repeatable_history;\n"
        "CREATE OR REPLACE VIEW {db}.vd AS SELECT 4 AS x;\n",
    )
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_MIGRATION
    assert "R__d_drop.sql' dropped the table" in err and "repeatable_history" in err
    assert "put back the 2 rows" in err and "LOCK TABLES" not in err
    code, out, _ = project.run("info", "--json")
    states = {r["script"]: r["state"] for r in json.loads(out)["repeatables"]}
    assert states == {"R__a_view.sql": "applied", "R__b_view.sql": "applied", "R__d_drop.sql": "pending"}


def test_a_versioned_file_that_empties_the_repeatable_history_is_stopped(project: Project) -> None:
    three_files(project)
    project.write("R__a_view.sql", "CREATE OR REPLACE VIEW {db}.va AS SELECT 1 AS x;\n")
    assert project.run("migrate")[0] == errors.EXIT_OK
    project.write("V004__sneaky.sql", "DELETE FROM ${ops_schema}.repeatable_history;\n")
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_MIGRATION and "V004__sneaky.sql' changed the rows of the table" in err
    assert [v for v, _k, _c in project.history()] == [1, 2, 3]
    assert project.rows(f"SELECT script FROM {project.ops}.repeatable_history") == [("R__a_view.sql",)]


def test_undo_json_after_a_failure_part_way_lists_what_was_undone(project: Project) -> None:
    undo_files(project)
    assert project.run("migrate")[0] == errors.EXIT_OK
    project.write("U002__rows.sql", "DELETE FROM {db}.t WHERE id IN (1, 2);\nSELECT * FROM nope.nope;\n")
    code, out, _ = project.run("undo", "--target", "1", "--json")
    doc = json.loads(out)
    assert code == errors.EXIT_MIGRATION and doc["target"] == 1
    assert [u["version"] for u in doc["undone"]] == [3]
    assert [v for v, _k, _c in project.history()] == [1, 2]


def test_undo_takes_the_most_recently_applied_version_first(project: Project) -> None:
    undo_files(project)
    (project.sql / "V002__rows.sql").rename(project.sql / "V002__rows.later")  # it comes later
    assert project.run("migrate")[0] == errors.EXIT_OK
    (project.sql / "V002__rows.later").rename(project.sql / "V002__rows.sql")
    assert project.run("migrate", "--out-of-order")[0] == errors.EXIT_OK
    code, out, _ = project.run("undo", "--json")
    assert code == errors.EXIT_OK, out
    assert [u["version"] for u in json.loads(out)["undone"]] == [2]


def test_migrate_json_after_a_failing_callback_lists_the_callbacks_that_ran(project: Project) -> None:
    three_files(project)
    project.write("beforeMigrate.sql", "SELECT 1;\n")
    project.write("afterEachMigrate.sql", "SELECT * FROM nope.nope;\n")
    code, out, _ = project.run("migrate", "--json")
    doc = json.loads(out)
    assert code == errors.EXIT_MIGRATION
    assert doc["callbacks"] == ["beforeMigrate.sql"] and [a["version"] for a in doc["applied"]] == [1]
