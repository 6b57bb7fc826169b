"""``mysql-platform migrate``'s surface against a real MariaDB: ``--json`` on every command,
``current``, settings from the environment and a config file, and a dead server that says so."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mysql_platform import errors
from mysql_platform.cli import bootstrap as bootstrap_cli
from mysql_platform.cli import main as main_cli
from mysql_platform.cli import migrate as migrate_cli
from tests.integration.test_migrate_commands import Project, project, three_files
from tests.support.bootstrap_env import REPO

__all__ = ["project"]  # the fixture, shared with test_migrate_commands


def run_json(p: Project, command: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = p.run(command, "--json", *extra)
    doc = json.loads(out)  # the whole of stdout is one document
    assert doc["command"] == command and doc["exit_code"] == code and doc["ok"] is (code == 0)
    return code, doc, err


# --- --json ---------------------------------------------------------------------------------------


def test_migrate_json_is_one_document_on_stdout_with_progress_on_stderr(project: Project) -> None:
    three_files(project)
    code, doc, err = run_json(project, "migrate", "--dry-run")
    assert code == 0 and doc["dry_run"] is True and doc["applied"] == []
    assert (doc["batches"][0]["script"], doc["batches"][0]["line"]) == ("V001__schema.sql", 1)
    assert doc["batches"][0]["statements"][0] == f"CREATE DATABASE IF NOT EXISTS {project.db};"
    code, doc, err = run_json(project, "migrate")
    assert code == 0 and doc["error"] is None and doc["already_applied"] == 0
    assert [(a["version"], a["script"]) for a in doc["applied"]] == [
        (1, "V001__schema.sql"),
        (2, "V002__rows.sql"),
        (3, "V003__more.sql"),
    ]
    assert all(isinstance(a["duration_ms"], int) for a in doc["applied"])
    assert "V001__schema.sql" in err  # the runner's progress lines


def test_a_failed_migration_is_a_json_error_with_its_kind(project: Project) -> None:
    project.write("V001__bad.sql", "CREATE TABLE {db}.t (id INT);\n")  # no such database
    code, doc, err = run_json(project, "migrate")
    assert code == errors.EXIT_MIGRATION and doc["ok"] is False
    assert doc["error"]["kind"] == "migration" and "V001__bad.sql" in doc["error"]["message"]
    assert doc["error"]["message"] in err


def test_info_current_validate_repair_baseline_in_json(project: Project) -> None:
    project.write("V001__existing.sql", "DO 1;\n")  # what the database already has
    project.write("V002__rows.sql", "CREATE DATABASE IF NOT EXISTS {db};\nCREATE TABLE {db}.t (id INT);\n")
    project.write("V003__more.sql", "INSERT INTO {db}.t VALUES (3);\n")
    code, doc, _ = run_json(project, "current")
    assert code == 0 and doc["current"] is None and doc["pending"] == 3
    assert doc["text"] == "none (empty history); 3 pending"
    code, doc, _ = run_json(project, "baseline", "--version", "1")
    assert (
        code == 0 and doc["version"] == 1 and [m["script"] for m in doc["marked"]] == ["V001__existing.sql"]
    )
    project.run("migrate")
    code, doc, _ = run_json(project, "info")
    assert [(v["version"], v["state"]) for v in doc["versions"]] == [
        (1, "baseline"),
        (2, "applied"),
        (3, "applied"),
    ]
    code, doc, _ = run_json(project, "validate")
    assert (code, doc["offline"], doc["files"], doc["problems"]) == (0, False, 3, [])
    (project.sql / "V003__more.sql").unlink()
    code, doc, err = run_json(project, "validate")
    assert code == errors.EXIT_BAD_INPUT and doc["error"]["kind"] == "bad_input"
    assert len(doc["problems"]) == 1 and "V003__more.sql" in doc["problems"][0] and "V003__more.sql" in err
    code, doc, _ = run_json(project, "repair")  # not confirmed: no terminal
    assert code == errors.EXIT_BAD_INPUT and doc["changed"] is False and len(doc["changes"]) == 1
    code, doc, _ = run_json(project, "repair", "--yes")
    assert code == 0 and doc["changed"] is True and doc["refusals"] == []
    code, doc, _ = run_json(project, "current")
    assert doc["current"] == {"version": 2, "description": "rows", "script": "V002__rows.sql"}
    assert doc["pending"] == 0


def test_validate_offline_json(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    three_files(project)
    project.write("V004__bad.sql", "SELECT ${nope};\n")
    code = migrate_cli.main(["validate", "--offline", "--json", "--sql-dir", str(project.sql)])
    doc = json.loads(capsys.readouterr().out)
    assert code == errors.EXIT_BAD_INPUT and doc["offline"] is True
    assert doc["files"] is None and "unknown placeholder ${nope}" in doc["problems"][0]
    project.write("V004__bad.sql", "INSERT INTO t VALUES ('unterminated);\n")
    code = migrate_cli.main(["validate", "--offline", "--json", "--sql-dir", str(project.sql)])
    doc = json.loads(capsys.readouterr().out)
    assert code == errors.EXIT_BAD_INPUT and doc["offline"] is True and doc["files"] == 4
    assert len(doc["problems"]) == 1 and "unterminated string" in doc["problems"][0]


# --- current ---------------------------------------------------------------------------------------


def test_current_is_one_line_with_the_newest_applied_version_and_the_pending_count(project: Project) -> None:
    three_files(project)
    code, out, _ = project.run("current")
    assert code == 0 and out == "none (empty history); 3 pending\n"
    project.run("migrate")
    project.write("V004__add_order_item.sql", "INSERT INTO {db}.t VALUES (4);\n")
    code, out, _ = project.run("current")
    assert code == 0 and out == "3 (more); 1 pending\n"
    project.run("migrate")
    assert project.run("current")[1] == "4 (add order item); 0 pending\n"


# --- where the settings come from -----------------------------------------------------------------


def test_settings_from_the_environment_and_a_config_file(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    three_files(project)
    work = tmp_path / "work"
    work.mkdir()
    # Relative to the file's directory: ../sql from work/.
    (work / "mysql-platform.toml").write_text(f'sql-dir = "../sql"\nops-schema = "{project.ops}"\n')
    monkeypatch.chdir(work)
    monkeypatch.setenv("MYSQL_PLATFORM_OUTPUTS", str(project.env.outputs_path))
    assert main_cli.main(["-v", "migrate", "migrate"]) == 0
    err = capsys.readouterr().err
    assert f"outputs: {project.env.outputs_path} (from $MYSQL_PLATFORM_OUTPUTS)" in err
    assert f"sql-dir: {work / '../sql'} (from {work / 'mysql-platform.toml'})" in err
    assert [v for v, _k, _c in project.history()] == [1, 2, 3]
    # The command line still wins: another history schema sees nothing applied.
    assert migrate_cli.main(["current", "--ops-schema", project.ops + "_x"]) == 0
    assert capsys.readouterr().out == "none (empty history); 3 pending\n"


def test_a_config_file_typo_is_refused_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mysql-platform.toml").write_text('sql_dir = "sql"\n')
    monkeypatch.chdir(tmp_path)
    assert migrate_cli.main(["info", "--json"]) == errors.EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert "unknown key 'sql_dir' (did you mean 'sql-dir'?)" in captured.err
    assert json.loads(captured.out)["error"]["kind"] == "bad_input"


def test_no_migrations_folder_names_the_ways_to_give_one_never_the_tools_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert migrate_cli.main(["new", "first"]) == errors.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"no migrations directory: {tmp_path / 'sql'} does not exist" in err
    for way in ("--sql-dir", "$MYSQL_PLATFORM_SQL_DIR", "mysql-platform.toml"):
        assert way in err
    (tmp_path / "sql").mkdir()
    assert migrate_cli.main(["new", "first"]) == errors.EXIT_OK
    assert [p.name for p in (tmp_path / "sql").iterdir()] == ["V001__first.sql"]


def test_no_outputs_anywhere_names_the_four_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sql").mkdir()  # ./sql, the migrations' default: only the outputs are missing
    monkeypatch.delenv("MYSQL_PLATFORM_OUTPUTS", raising=False)
    assert migrate_cli.main(["info"]) == errors.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    for way in ("--outputs", "$MYSQL_PLATFORM_OUTPUTS", "mysql-platform.toml", ".local/outputs.json"):
        assert way in err


# --- a dead server ----------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("tool", ["migrate", "bootstrap"])
def test_a_dead_server_says_so_every_few_seconds_until_the_deadline(
    project: Project, tool: str, capsys: pytest.CaptureFixture[str]
) -> None:
    three_files(project)
    port = closed_port()
    argv = ["--outputs", str(project.env.outputs_path), "--sql-dir", str(project.sql)]
    argv += ["--ops-schema", project.ops, "--writer", f"127.0.0.1:{port}", "--connect-timeout", "7"]
    start = time.monotonic()
    if tool == "migrate":
        code = migrate_cli.main(["migrate", *argv])
    else:
        code = bootstrap_cli.main([*argv, "--skip-replication-check"])
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == errors.EXIT_CONNECT and 7 <= elapsed < 11
    waits = [line for line in err.splitlines() if "cannot reach" in line and "yet" in line]
    # At the first failure, then at the first failure 3 s later: retries are at most 2 s apart
    # (Backoff.max_delay_s), so one fails between 3 and 5 s, before the deadline's last attempt.
    assert len(waits) >= 2, err
    assert f"127.0.0.1:{port}" in waits[0] and "error 2003" in waits[0] and "s more" in waits[0]
    assert project.env.admin_password.reveal() not in err
    assert "within 7 s" in err


def test_sigterm_is_handled_as_ctrl_c_is_with_exit_143_and_one_json_document(project: Project) -> None:
    three_files(project)
    argv = ["--outputs", str(project.env.outputs_path), "--sql-dir", str(project.sql), "--json"]
    argv += ["--writer", f"127.0.0.1:{closed_port()}", "--connect-timeout", "60"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.migrate", "info", *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # waiting for the dead writer: its first waiting line
        if "cannot reach" in line:
            break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == errors.EXIT_TERMINATED, (out, err)
    document = json.loads(out)
    assert document["exit_code"] == 143 and document["error"]["kind"] == "interrupted"
    assert "terminated (SIGTERM)" in document["error"]["message"] and "terminated (SIGTERM)" in err


def test_ctrl_c_part_way_says_in_json_what_was_applied_before_it(project: Project) -> None:
    project.write("V001__first.sql", "CREATE DATABASE IF NOT EXISTS {db};\n")
    project.write("V002__slow.sql", "DO SLEEP(30);\n")
    argv = ["--outputs", str(project.env.outputs_path), "--sql-dir", str(project.sql)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.migrate", "migrate", *argv, "--ops-schema", project.ops, "--json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # progress goes to stderr under --json
        if line.startswith("applied V001__first.sql"):
            break
    time.sleep(0.5)  # into V002's SLEEP
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == errors.EXIT_INTERRUPTED, err
    document = json.loads(out)
    assert document["error"]["kind"] == "interrupted"
    assert [a["script"] for a in document["applied"]] == ["V001__first.sql"]
    assert [v for v, _k, _c in project.history()] == [1]


def test_the_database_is_verified_against_the_given_ca_alone_never_the_shells_bundle(
    project: Project, tmp_path: Path
) -> None:
    three_files(project)
    other = tmp_path / "other-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "k.pem"),
         "-out", str(other), "-days", "1", "-subj", "/CN=not the database's CA"],
        check=True, capture_output=True,
    )  # fmt: skip
    # The shell trusts the environment's CA (as if the database's CA were in the system bundle);
    # --ssl-ca names another one: only that one counts.
    env = {**os.environ, "SSL_CERT_FILE": str(project.env.ca_path), "PYTHONWARNINGS": "error"}
    argv = ["--outputs", str(project.env.outputs_path), "--sql-dir", str(project.sql)]
    argv += ["--ops-schema", project.ops, "--connect-timeout", "3"]
    run = [sys.executable, "-m", "scripts.migrate", "current", *argv]
    refused = subprocess.run(
        [*run, "--ssl-ca", str(other)], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert refused.returncode == errors.EXIT_CONNECT, refused.stderr
    assert "TLS verification failed" in refused.stderr
    # With its own CA it connects, warnings as errors and all (no deprecated TLS settings).
    ok = subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True)
    assert ok.returncode == errors.EXIT_OK, ok.stderr
    assert "Warning" not in ok.stderr


def test_fields_the_command_line_fixes_are_in_the_document_when_it_cannot_connect(project: Project) -> None:
    three_files(project)
    dead = ["--writer", f"127.0.0.1:{closed_port()}", "--connect-timeout", "1", "--json"]
    code, out, _ = project.run("migrate", "--dry-run", "--target", "2", *dead)
    doc = json.loads(out)
    assert code == errors.EXIT_CONNECT and doc["dry_run"] is True and doc["target"] == 2
    code, out, _ = project.run("info", "--target", "3", *dead)
    assert json.loads(out)["target"] == 3
