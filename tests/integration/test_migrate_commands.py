"""``mysql-platform migrate``: every command against a real MariaDB (the session's environment).

Each test has its own history schema (``--ops-schema``) and its own tables, so they share one
server without seeing each other's history.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.cli import migrate as migrate_cli
from mysql_platform.local.env import LocalEnv
from tests.support.migrate_project import Project, three_files


@pytest.fixture
def project(local_env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(local_env, tmp_path, capsys)


# --- migrate, info ------------------------------------------------------------------------------


def test_migrate_applies_what_is_pending_and_a_rerun_applies_nothing(project: Project) -> None:
    three_files(project)
    code, out, _ = project.run("migrate")
    assert code == errors.EXIT_OK and "migrations: 3 applied, 0 already applied" in out
    assert project.rows(f"SELECT COUNT(*) FROM {project.db}.t") == [(3,)]
    code, out, _ = project.run("migrate")
    assert code == errors.EXIT_OK and "migrations: 0 applied, 3 already applied" in out
    assert [v for v, kind, _c in project.history() if kind == "migrate"] == [1, 2, 3]


def test_info_lists_every_version_as_a_table_and_as_json(project: Project) -> None:
    three_files(project)
    project.run("migrate")
    project.write("V004__later.sql", "INSERT INTO {db}.t VALUES (4);\n")
    code, out, _ = project.run("info")
    assert code == errors.EXIT_OK
    lines = out.splitlines()
    assert lines[0].split() == ["version", "description", "state", "applied", "at", "ms", "checksum"]
    assert [line.split()[0] for line in lines[1:]] == ["1", "2", "3", "4"]
    assert " applied " in lines[1] and lines[4].split()[-2:] == ["pending", lines[4].split()[-1]]
    code, out, _ = project.run("info", "--json")
    doc = json.loads(out)
    assert (doc["command"], doc["ok"], doc["exit_code"], doc["error"]) == ("info", True, 0, None)
    data = doc["versions"]
    assert [(d["version"], d["state"]) for d in data] == [
        (1, "applied"),
        (2, "applied"),
        (3, "applied"),
        (4, "pending"),
    ]
    assert data[0]["applied_at"] and data[0]["duration_ms"] is not None and data[0]["statements"] == 2
    assert data[0]["checksum"] == data[0]["applied_checksum"] and data[3]["applied_at"] is None


def test_dry_run_prints_the_statements_as_sent_and_applies_nothing(project: Project) -> None:
    project.write(
        "V001__proc.sql",
        "CREATE DATABASE IF NOT EXISTS {db};\nCREATE TABLE {db}.t (id INT);\n"
        "DELIMITER //\nCREATE PROCEDURE {db}.p() BEGIN SELECT 1; END//\nDELIMITER ;\n",
    )
    code, out, _ = project.run("migrate", "--dry-run")
    assert code == errors.EXIT_OK
    assert "-- V001__proc.sql, line 1: 2 statement(s) in one round trip" in out
    assert "-- V001__proc.sql, line 4: 1 statement(s) in one round trip" in out
    assert f"CREATE PROCEDURE {project.db}.p() BEGIN SELECT 1; END\n//" in out
    assert project.rows(
        f"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{project.db}'"
    ) == [(0,)]
    assert project.rows(
        f"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{project.ops}'"
    ) == [(0,)]


# --- out of order ---------------------------------------------------------------------------------


def test_a_pending_version_below_the_newest_applied_is_refused_unless_allowed(project: Project) -> None:
    three_files(project)
    (project.sql / "V002__rows.sql").rename(project.aside())
    assert project.run("migrate")[0] == errors.EXIT_OK
    project.aside().rename(project.sql / "V002__rows.sql")
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_MIGRATION
    assert "V002__rows.sql (version 2) is pending but version 3 (V003__more.sql) is already applied" in err
    assert "--out-of-order" in err and [v for v, _k, _c in project.history()] == [1, 3]
    code, out, _ = project.run("info")
    assert "out of order" in out
    code, out, _ = project.run("migrate", "--out-of-order")
    assert code == errors.EXIT_OK and [v for v, _k, _c in project.history()] == [1, 2, 3]


# --- validate -----------------------------------------------------------------------------------


def test_validate_checks_the_history_and_every_files_text_without_applying(project: Project) -> None:
    three_files(project)
    assert project.run("validate")[0] == errors.EXIT_OK  # nothing applied yet: all pending, all fine
    project.run("migrate")
    project.write("V002__rows.sql", "INSERT INTO {db}.t VALUES (1), (2), (99);\n")
    project.write("V004__bad.sql", "INSERT INTO {db}.t VALUES ('unterminated);\n")
    code, _out, err = project.run("validate")
    assert code == errors.EXIT_BAD_INPUT
    assert "V002__rows.sql changed after it was applied" in err
    assert "V004__bad.sql': line 1: unterminated string" in err
    assert project.rows(f"SELECT COUNT(*) FROM {project.db}.t") == [(3,)]


def test_validate_offline_needs_no_database(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    three_files(project)
    assert migrate_cli.main(["validate", "--offline", "--sql-dir", str(project.sql)]) == errors.EXIT_OK
    assert "3 migration files are valid" in capsys.readouterr().out
    project.write("V004__bad.sql", "SELECT ${nope};\n")
    assert migrate_cli.main(["validate", "--offline", "--sql-dir", str(project.sql)]) == errors.EXIT_BAD_INPUT
    assert "V004__bad.sql': line 1: unknown placeholder ${nope}" in capsys.readouterr().err


def test_a_byte_order_mark_or_crlf_added_to_an_applied_file_is_not_an_edit(project: Project) -> None:
    three_files(project)
    project.run("migrate")
    path = project.sql / "V002__rows.sql"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert project.run("validate")[0] == errors.EXIT_OK
    assert project.run("migrate")[0] == errors.EXIT_OK


# --- repair -------------------------------------------------------------------------------------


def test_repair_drops_rows_of_deleted_files_realigns_reformats_and_refuses_edits(project: Project) -> None:
    three_files(project)
    project.write("V004__four.sql", "INSERT INTO {db}.t VALUES (4);\n")
    project.run("migrate")
    before = dict((v, c) for v, _k, c in project.history())
    (project.sql / "V003__more.sql").unlink()
    # Only the layout: comments, indentation, line breaks.
    project.write("V002__rows.sql", "-- two rows\nINSERT INTO {db}.t\n    VALUES (1),   (2);  /* done */\n")
    project.write("V004__four.sql", "INSERT INTO {db}.t VALUES (40);\n")  # an edit
    code, _out, err = project.run("repair")  # no terminal, no --yes: asks, gets no, changes nothing
    assert code == errors.EXIT_BAD_INPUT and "nothing changed" in err
    assert dict((v, c) for v, _k, c in project.history()) == before
    code, out, err = project.run("repair", "--yes")
    assert code == errors.EXIT_MIGRATION  # one file was refused
    assert "did remove the history row of version 3 (V003__more.sql)" in out
    assert "did re-align the checksum of V002__rows.sql" in out
    assert "V004__four.sql: not re-aligned: its statements changed" in err
    after = dict((v, c) for v, _k, c in project.history())
    assert sorted(after) == [1, 2, 4] and after[2] != before[2] and after[4] == before[4]
    # Put the edit back: the history and the files agree again.
    project.write("V004__four.sql", "INSERT INTO {db}.t VALUES (4);\n")
    assert project.run("validate")[0] == errors.EXIT_OK


# --- baseline -----------------------------------------------------------------------------------


def test_baseline_marks_existing_versions_then_migrate_applies_only_the_rest(project: Project) -> None:
    three_files(project)
    # The schema exists already (made by hand, restored from a dump): V001 and V002 are in it.
    with project.env.ops_cursor("primary") as cur:
        cur.execute(f"CREATE DATABASE {project.db}")
        cur.execute(f"CREATE TABLE {project.db}.t (id INT PRIMARY KEY)")
        cur.execute(f"INSERT INTO {project.db}.t VALUES (1), (2)")
    code, out, _ = project.run("baseline", "--version", "2")
    assert code == errors.EXIT_OK and "V002__rows.sql marked as applied (not run)" in out
    assert [(v, k) for v, k, _c in project.history()] == [(1, "baseline"), (2, "baseline")]
    code, out, _ = project.run("migrate")
    assert code == errors.EXIT_OK and "migrations: 1 applied, 2 already applied" in out
    assert project.rows(f"SELECT COUNT(*) FROM {project.db}.t") == [(3,)]
    assert "baseline" in project.run("info")[1]
    code, _out, err = project.run("baseline", "--version", "1")
    assert code == errors.EXIT_MIGRATION and "baseline needs an empty history" in err


# --- new ----------------------------------------------------------------------------------------


def test_new_creates_the_next_version_with_the_existing_width(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    three_files(project)
    assert migrate_cli.main(["new", "add_index", "--sql-dir", str(project.sql)]) == errors.EXIT_OK
    created = project.sql / "V004__add_index.sql"
    assert created.is_file() and str(created) in capsys.readouterr().out
    assert migrate_cli.main(["new", "bad-name", "--sql-dir", str(project.sql)]) == errors.EXIT_BAD_INPUT
    assert "name must be letters, digits and _" in capsys.readouterr().err


# --- placeholders, bytes, and the client's result -------------------------------------------------


def test_app_user_and_database_placeholders_are_filled(project: Project) -> None:
    project.write(
        "V001__p.sql",
        "CREATE DATABASE IF NOT EXISTS {db};\n"
        "CREATE TABLE {db}.t (u VARCHAR(64), d VARCHAR(64), lit VARCHAR(64));\n"
        "INSERT INTO {db}.t VALUES ('${app_user}', '${database}', '${{database}');\n",
    )
    assert project.run("migrate", "--app-schema", "shop")[0] == errors.EXIT_OK
    assert project.rows(f"SELECT u, d, lit FROM {project.db}.t") == [("app", "shop", "${database}")]


def test_bytes_that_are_not_utf8_inside_literals_are_stored_as_the_client_stores_them(
    project: Project,
) -> None:
    blob = bytes(range(256))
    escaped = blob.replace(b"\\", b"\\\\").replace(b"'", b"\\'").replace(b"\0", b"\\0")
    body = (
        (
            f"CREATE DATABASE IF NOT EXISTS {project.db};\n"
            f"CREATE TABLE {project.db}.b (id INT, data BLOB, txt VARCHAR(20) CHARACTER SET latin1);\n"
        ).encode()
        + b"INSERT INTO "
        + project.db.encode()
        + b".b VALUES (1, '"
        + escaped
        + b"', 'caf\xc3\xa9');\n"
    )
    body += b"SET NAMES latin1;\nINSERT INTO " + project.db.encode() + b".b VALUES (2, '', 'caf\xe9');\n"
    project.write("V001__bytes.sql", body)
    project.write("V002__after.sql", "INSERT INTO {db}.b VALUES (3, '', 'café');\n")  # back to utf8mb4
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_OK, err
    rows = project.rows(f"SELECT id, HEX(data), HEX(txt) FROM {project.db}.b ORDER BY id")
    assert rows[0][1] == blob.hex().upper()
    # 'café' in latin1 is 636166E9 whichever way it arrived: utf8mb4 bytes, latin1 bytes, utf8mb4 again.
    assert [r[2] for r in rows] == ["636166E9"] * 3


def test_routine_bodies_are_stored_as_the_mariadb_client_stores_them(project: Project) -> None:
    body = (
        "DELIMITER ;;\n"
        "CREATE PROCEDURE {db}.p()\nBEGIN\n"
        "  -- a line comment\n"
        "  SELECT 1; # a hash comment\n"
        "  /* a block */ SELECT 2;\n"
        "  SELECT 3 /* inline */ + 4, 5/**/+6;\n"
        "  SELECT '-- not; a comment', \"# nor /* this */\";\n"
        "END ;;\n"
        "DELIMITER ;\n"
    )
    project.write("V001__db.sql", "CREATE DATABASE IF NOT EXISTS {db};\n")
    project.write("V002__proc.sql", body)
    assert project.run("migrate")[0] == errors.EXIT_OK
    client_db = project.with_client("CREATE DATABASE {db};\n" + body)
    query = (
        "SELECT ROUTINE_SCHEMA, ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN "
    )
    found = dict(project.rows(query + f"('{project.db}', '{client_db}')"))
    assert found[project.db] == found[client_db]
    assert "SELECT 3  + 4, 5 +6" in found[project.db]


def test_a_statement_that_fails_after_its_first_result_is_named(project: Project) -> None:
    project.write(
        "V001__call.sql",
        "CREATE DATABASE IF NOT EXISTS {db};\n"
        "DELIMITER //\n"
        "CREATE PROCEDURE {db}.p() BEGIN SELECT 1; SELECT * FROM {db}.missing; END//\n"
        "DELIMITER ;\n"
        "CALL {db}.p();\n",
    )
    code, _out, err = project.run("migrate")
    assert code == errors.EXIT_MIGRATION
    assert "V001__call.sql:5: error 1146" in err and f"statement: CALL {project.db}.p()" in err


def test_a_dump_with_executable_comments_applies_as_the_client_applies_it(project: Project) -> None:
    # What mariadb-dump writes for a trigger: the body inside /*!50003 ... */, with `*/` in a string
    # and comments inside, between DELIMITER ;; lines.
    body = (
        "CREATE DATABASE IF NOT EXISTS {db};\nCREATE TABLE {db}.t (a VARCHAR(20));\n"
        "DELIMITER ;;\n"
        "/*!50003 CREATE*/ /*!50003 TRIGGER {db}.tr BEFORE INSERT ON {db}.t FOR EACH ROW\n"
        "BEGIN\n  -- a comment\n  SET NEW.a = CONCAT(NEW.a, '*/;'); # another\nEND */;;\n"
        "DELIMITER ;\n"
        "INSERT INTO {db}.t VALUES ('x');\n"
    )
    project.write("V001__dump.sql", body)
    project.write("V001__dump.sql.conf", "placeholderReplacement=false\nexecuteInTransaction=false\n")
    assert project.run("migrate")[0] == errors.EXIT_OK
    client_db = project.with_client(body)
    query = (
        "SELECT TRIGGER_SCHEMA, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN "
    )
    found = dict(project.rows(query + f"('{project.db}', '{client_db}')"))
    assert found[project.db] == found[client_db].replace(client_db, project.db)
    assert project.rows(f"SELECT a FROM {project.db}.t") == [("x*/;",)]
