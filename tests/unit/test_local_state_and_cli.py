"""The local environment's pure parts: typed state, status text, the client option file. No servers."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.local import cli
from mysql_platform.local.layout import Paths
from mysql_platform.local.mariadb import native_password_hash
from mysql_platform.local.outputs import client_command, render_client_cnf, write_client_cnf
from mysql_platform.local.procs import LocalEnvError
from mysql_platform.local.state import Secrets, State, StateStore, UnusableStateError, state_problem

SECRETS = Secrets(admin="a" * 32, repl="r" * 32, ops="o" * 32)


def _state() -> State:
    return State.new([21001, 21002, 21003, 21004], semi_sync=False, db_name="app")


def test_state_round_trips_through_the_json_older_versions_wrote() -> None:
    state = _state()
    doc = state.to_json()
    assert doc["servers"]["db1"] == {"port": 21001, "server_id": 1, "pid": None, "needs_rejoin": False}
    assert doc["haproxy"] == {"writer_port": 21003, "reader_port": 21004, "pid": None}
    assert doc["roles"] == {"primary": "db1", "replica": "db2"}
    assert state_problem(doc) is None
    assert State.from_json(json.loads(json.dumps(doc))) == state


def test_state_written_before_db_name_and_failovers_loads_with_defaults() -> None:
    doc = _state().to_json()
    del doc["db_name"], doc["failovers"]
    del doc["servers"]["db2"]["needs_rejoin"]
    state = State.from_json(doc)
    assert state.db_name is None and state.failovers == 0 and state.servers["db2"].needs_rejoin is False


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda d: d["servers"]["db1"].update(port="x"),
            "state.json servers.db1.port is 'x', expected a TCP port",
        ),
        (lambda d: d["roles"].update(replica="db1"), "state.json roles names 'db1' twice"),
        (lambda d: d.update(version=2), "state.json has version 2, expected 1"),
    ],
)
def test_rejects_a_state_file_naming_the_key_and_value(tmp_path: Path, edit: Any, problem: str) -> None:
    paths = Paths(tmp_path)
    doc = _state().to_json()
    edit(doc)
    paths.state.write_text(json.dumps(doc))
    paths.secrets.write_text(json.dumps(SECRETS.to_json()))
    with pytest.raises(UnusableStateError, match="down --purge") as refused:
        StateStore(paths).load()
    assert problem in str(refused.value)


def test_store_without_a_state_file_is_no_environment(tmp_path: Path) -> None:
    store = StateStore(Paths(tmp_path / "none"))
    assert store.load() is None
    with pytest.raises(LocalEnvError, match="run `mysql-platform local up` first"):
        store.current()
    assert not (tmp_path / "none").exists()


def test_store_saves_private_files_and_rereads_another_writers_changes(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    store = StateStore(paths)
    store.create(_state(), SECRETS)
    assert stat.S_IMODE(paths.state.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.secrets.stat().st_mode) == 0o600
    other = StateStore(paths)
    loaded = other.load()
    assert loaded is not None
    loaded.roles.primary, loaded.roles.replica = "db2", "db1"
    other.save()
    reloaded = store.load()
    assert reloaded is not None and reloaded.roles.primary == "db2"


# --- status text -----------------------------------------------------------------------------


def _status(**overrides: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "state_dir": "/x/.local",
        "initialized": True,
        "semi_sync": False,
        "db_name": "app",
        "roles": {"primary": "db1", "replica": "db2"},
        "processes": [
            {"name": "db1", "role": "primary", "pid": 11, "ports": [21001], "alive": True},
            {"name": "db2", "role": "replica", "pid": None, "ports": [21002], "alive": False},
            {"name": "haproxy", "role": "proxy", "pid": 13, "ports": [21003, 21004], "alive": True},
        ],
        "replication": {
            "server": "db2",
            "running": False,
            "io_running": "No",
            "sql_running": "No",
            "seconds_behind_master": None,
            "gtid_current_pos": "",
            "last_error": "",
        },
        "proxy": [],
        "problems": ["db2 (replica) is not running"],
        "healthy": False,
    }
    status.update(overrides)
    return status


def test_status_lines_say_unknown_instead_of_none() -> None:
    text = "\n".join(cli.status_lines(_status()))
    assert "None" not in text
    assert "pid=unknown" in text and "behind=unknown" in text and "gtid=unknown" in text
    assert text.endswith("NOT HEALTHY:\n  - db2 (replica) is not running")


def test_status_lines_end_with_healthy_when_nothing_is_wrong() -> None:
    repl = {
        "server": "db2",
        "running": True,
        "io_running": "Yes",
        "sql_running": "Yes",
        "seconds_behind_master": 0,
    }
    lines = cli.status_lines(_status(problems=[], healthy=True, replication=repl))
    assert "behind=0s" in lines[-2] and lines[-1] == "healthy"


# --- the client option file --------------------------------------------------------------------


def test_client_option_file_has_what_both_clients_read_and_is_private(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    state = _state()
    write_client_cnf(paths, state, SECRETS)
    text = paths.client_cnf.read_text()
    assert stat.S_IMODE(paths.client_cnf.stat().st_mode) == 0o600
    client = text.split("[client]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert client == [
        "user=admin",
        f"password={SECRETS.admin}",
        "host=127.0.0.1",
        "port=21003",  # HAProxy's writer port: it follows failovers
        f"ssl-ca={paths.ca}",
    ]
    assert "[client-mariadb]\nssl-verify-server-cert\n" in text


def test_rejects_a_password_an_option_file_would_mangle(tmp_path: Path) -> None:
    hand_edited = Secrets(admin='pa"ss word#1', repl="r" * 32, ops="o" * 32)
    with pytest.raises(
        LocalEnvError, match=r"admin password in secrets\.json is not a generated one"
    ) as refused:
        render_client_cnf(Paths(tmp_path), _state(), hand_edited)
    assert hand_edited.admin not in str(refused.value)


def test_client_command_is_relative_under_the_working_dir_and_absolute_elsewhere(tmp_path: Path) -> None:
    cnf = tmp_path / ".local" / "client-admin.cnf"
    assert client_command(cnf, cwd=tmp_path) == "mariadb --defaults-extra-file=.local/client-admin.cnf"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert client_command(cnf, cwd=elsewhere) == f"mariadb --defaults-extra-file={cnf}"
    spaced = tmp_path / "my env" / "client-admin.cnf"
    assert client_command(spaced, cwd=tmp_path) == "mariadb --defaults-extra-file='my env/client-admin.cnf'"


def test_the_native_password_hash_is_the_servers() -> None:
    # MariaDB: SELECT PASSWORD('password'), the hash the accounts are created with.
    assert native_password_hash("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
