"""The operations commands' pure parts: member states, lag, the refusal of a candidate, the
tables and lines people read, the history file, the maintenance flag and the log names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.local import cli, history, logs, maintenance
from mysql_platform.local import members as m
from mysql_platform.local import status as status_report
from mysql_platform.local.layout import Paths


def _slave(io: str = "Yes", sql: str = "Yes", error: str = "", behind: int | None = 0) -> dict[str, Any]:
    return {
        "Slave_IO_Running": io,
        "Slave_SQL_Running": sql,
        "Last_IO_Error": error,
        "Last_SQL_Error": "",
        "Seconds_Behind_Master": behind,
        "Gtid_IO_Pos": "",
    }


def _member(name: str, role: str = "replica", **fields: Any) -> m.Member:
    replica = role == "replica"
    values: dict[str, Any] = dict(
        member=name, role=role, state="replicating" if replica else "running", alive=True,
        pid=100, port=20000, read_only=replica, gtid="0-1-10", gtid_received=None,
        behind_trx=0, behind_s=0 if replica else None, io_running="Yes" if replica else None,
        sql_running="Yes" if replica else None, last_error=None, needs_rejoin=False, diverged=False,
        leader=None, lease_ttl_s=None, agent=None,
    )  # fmt: skip
    values.update(fields)
    return m.Member(**values)


# --- member state and lag -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "found", "needs_rejoin", "diverged", "expected"),
    [
        ("primary", None, False, False, "stopped"),
        ("primary", "Can't connect", False, False, "not answering"),
        ("primary", m.Probe(False, "0-1-1", "0-1-1", None), False, False, "running"),
        ("primary", m.Probe(True, "0-1-1", "0-1-1", None), False, False, "fenced"),
        ("replica", m.Probe(True, "0-1-1", "", _slave()), False, False, "replicating"),
        ("replica", m.Probe(True, "0-1-1", "", _slave(io="Connecting")), False, False, "connecting"),
        ("replica", m.Probe(True, "0-1-1", "", _slave(io="No", sql="No")), False, False, "not replicating"),
        ("replica", m.Probe(True, "0-1-1", "", None), False, False, "not replicating"),
        ("replica", m.Probe(True, "0-1-1", "", _slave(io="No", error="boom")), False, False, "broken"),
        (
            "replica",
            m.Probe(True, "0-1-1", "", _slave(io="Connecting", error="retry")),
            False,
            False,
            "connecting",
        ),
        ("replica", m.Probe(True, "0-1-1", "", None), True, False, "needs rejoin"),
        ("replica", m.Probe(True, "0-1-1", "", None), True, True, "diverged"),
        ("replica", m.Probe(False, "0-1-1", "", _slave()), False, False, "writable"),
    ],
)
def test_member_state(role: str, found: Any, needs_rejoin: bool, diverged: bool, expected: str) -> None:
    assert m.member_state(role, found, needs_rejoin, diverged) == expected


@pytest.mark.parametrize(
    ("position", "ahead", "expected"),
    [
        ("0-1-10", "0-1-10", 0),
        ("0-1-7", "0-1-10", 3),
        ("0-1-7", "0-2-12", 5),  # another server wrote the later ones: the domain's seq_no counts
        ("0-1-12", "0-1-10", 0),
        ("", "0-1-4", 4),
        ("0-1-7,1-1-2", "0-1-9,1-1-5", 5),
        ("garbage", "0-1-1", None),
    ],
)
def test_behind_counts_transactions_per_domain(position: str, ahead: str, expected: int | None) -> None:
    assert m.behind(position, ahead) == expected


# --- the candidate of a failover ------------------------------------------------------------------


def _cluster(**db2: Any) -> list[m.Member]:
    return [_member("db1", "primary"), _member("db2", **db2), _member("db3")]


def test_a_caught_up_running_replica_may_be_promoted() -> None:
    assert m.refusal(_cluster(), "db2") is None
    assert m.refusal(_cluster(behind_trx=1000, behind_s=5), "db2") is None  # the bounds are inclusive


@pytest.mark.parametrize(
    ("candidate", "db2", "bounds", "says"),
    [
        ("db1", {}, {}, "db1 is the primary already"),
        ("db9", {}, {}, "db9 is not a member"),
        ("db2", {"alive": False, "state": "stopped"}, {}, "db2 is not running"),
        ("db2", {"state": "not answering", "last_error": "timeout"}, {}, "db2 does not answer"),
        ("db2", {"diverged": True, "state": "diverged"}, {}, "db2 has diverged"),
        ("db2", {"needs_rejoin": True, "state": "needs rejoin"}, {}, "db2 is a former primary"),
        ("db2", {"state": "broken", "last_error": "Error 1062"}, {}, "db2 cannot be promoted: Error 1062"),
        ("db2", {"state": "not replicating", "sql_running": "No"}, {}, "db2 is not replicating"),
        ("db2", {"behind_trx": 11}, {"max_lag_trx": 10}, "db2 is 11 transactions behind"),
        ("db2", {"behind_s": 7}, {"max_lag_s": 6}, "db2 is 7 s behind"),
    ],
)
def test_rejects_a_candidate_naming_it_and_why(
    candidate: str, db2: dict[str, Any], bounds: dict[str, int], says: str
) -> None:
    refused = m.refusal(_cluster(**db2), candidate, **bounds)
    assert refused is not None and says in refused


def test_rejects_with_the_primary_down_a_replica_that_lacks_what_another_received() -> None:
    members = [
        _member("db1", "primary", alive=False, state="stopped", gtid=None),
        _member("db2", gtid="0-1-10", io_running="Connecting", state="connecting"),
        _member("db3", gtid="0-1-10", gtid_received="0-1-14", io_running="Connecting", state="connecting"),
    ]
    refused = m.refusal(members, "db2")
    assert refused is not None and "db2 lacks 4 transaction(s) that db3 received" in refused
    assert "--to db3" in refused
    assert m.refusal(members, "db3") is None


def test_rejects_with_the_primary_down_a_replica_whose_sql_thread_stopped() -> None:
    down = _member("db1", "primary", alive=False, state="stopped", gtid=None)
    retrying = _member("db2", io_running="Connecting", state="connecting", last_error="error reconnecting")
    assert m.refusal([down, retrying], "db2") is None  # its IO thread retries: the primary is gone
    stopped = _member("db2", io_running="Connecting", sql_running="No", state="not replicating")
    refused = m.refusal([down, stopped], "db2")
    assert refused is not None and "db2's SQL thread is not running" in refused


# --- the table --------------------------------------------------------------------------------------


def test_table_has_one_row_per_member_and_no_python_values() -> None:
    members = [
        _member("db1", "primary", leader=True, lease_ttl_s=0, agent="alive"),
        _member("db2", behind_trx=3, behind_s=None, agent="down", leader=False),
    ]
    lines = m.table(members, auto=True)
    assert lines[0].split() == ["MEMBER", "ROLE", "STATE", "LAG", "(trx)", "LAG", "(s)", "GTID", "AGENT",
                                "LEADER", "LEASE"]  # fmt: skip
    assert lines[1].split()[:3] == ["db1", "primary", "running"] and lines[1].endswith("under 1 s")
    assert lines[2].split() == ["db2", "replica", "replicating", "3", "-", "0-1-10", "down", "-"]
    assert not re.search(r"None|True|False|\{|\[", "\n".join(lines))
    assert "AGENT" not in m.table(members, auto=False)[0]


def test_member_json_has_the_same_keys_for_every_member() -> None:
    docs = [x.to_json() for x in _cluster()]
    assert len({tuple(d) for d in docs}) == 1
    assert {"member", "role", "state", "behind_trx", "behind_s", "gtid", "lease_ttl_s"} <= set(docs[0])


# --- status text ----------------------------------------------------------------------------------


def _status(**overrides: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "state_dir": "/x/.local",
        "initialized": True,
        "semi_sync": False,
        "db_name": "app",
        "roles": {"primary": "db1", "replica": "db2"},
        "processes": [
            {"name": "db1", "role": "primary", "pid": 11, "ports": [21001], "alive": True},
            {"name": "db2", "role": "replica", "pid": 12, "ports": [21002], "alive": True},
            {"name": "db3", "role": "replica", "pid": 13, "ports": [21005], "alive": True},
            {"name": "haproxy", "role": "proxy", "pid": 14, "ports": [21003, 21004], "alive": True},
        ],
        "replication": {"server": "db2", "running": True, "io_running": "Yes", "sql_running": "Yes"},
        "replicas": [{"server": "db3", "running": True, "io_running": "Yes", "sql_running": "Yes"}],
        "proxy": [],
        "problems": [],
        "healthy": True,
    }
    status.update(overrides)
    return status


def test_status_names_the_roles_in_words_not_a_dict() -> None:
    text = "\n".join(cli.status_lines(_status()))
    assert "roles: primary db1, replicas db2, db3" in text
    assert not re.search(r"\{|\}|True|False|None", text), text


def test_status_shows_maintenance_mode() -> None:
    paused = {"since": "2026-01-01T00:00:00Z", "reason": "upgrade"}
    text = "\n".join(cli.status_lines(_status(paused=paused)))
    assert "PAUSED since 2026-01-01T00:00:00Z (upgrade)" in text and "`mysql-platform local resume`" in text


def test_status_of_a_stopped_environment_is_one_line(tmp_path: Path) -> None:
    from mysql_platform.local.state import State

    state = State.new([21001, 21002, 21003, 21004], semi_sync=False, db_name="app")
    state.initialized = True
    status = status_report.stopped(Paths(tmp_path), state)
    assert cli.status_lines(status) == ["stopped: run `mysql-platform local up`"]
    assert status["healthy"] is False and status["problems"] == ["stopped: run `mysql-platform local up`"]
    assert status["replication"] == {"server": "db2", "running": False, "error": "server is not running"}


@pytest.mark.parametrize(
    "overrides",
    [
        {"initialized": False, "orphans": [{"name": "db1", "pid": 5}], "roles": None},
        {"initialized": False},
        {"processes": [{"name": "db2", "role": "replica", "pid": None, "ports": [1], "alive": False}]},
        {"replication": {"server": "db2", "running": False, "error": "server is not running"}},
        {"replication": {"server": "db2", "running": False, "last_error": "Error 1236"}},
        {"replication": {"server": "db2", "running": False}},
        {"replication": {"server": "db2", "running": False, "error": "not configured as a replica"}},
        {
            "replication": {"server": "db2", "running": False, "error": "not configured as a replica"},
            "needs_rejoin": ["db2"],
        },
        {"proxy_disagreements": ["HAProxy has mysql_reader/replica1 DOWN, but the server is running"]},
    ],
)
def test_every_problem_says_what_to_run_next(overrides: dict[str, Any]) -> None:
    status = _status(**overrides)
    if status.get("roles") is None:
        del status["roles"]
    found = status_report.problems(status)
    assert found
    for problem in found:
        assert "`mysql-platform local " in problem, problem


def test_every_auto_failover_problem_says_what_to_run_next(tmp_path: Path) -> None:
    from mysql_platform.local import autofailover

    summary = {
        "etcd": [{"name": "etcd1", "alive": False}],
        "agents": {"db1": {"alive": False}},
        "etcd_reachable": False,
    }
    found = autofailover.problems(summary, "db1", tmp_path)
    found += autofailover.problems({**summary, "etcd_reachable": True, "leader": None}, "db1", tmp_path)
    assert len(found) == 6
    assert all("`mysql-platform local " in problem for problem in found), found


# --- history ----------------------------------------------------------------------------------------


def test_history_appends_lines_and_keeps_an_unreadable_one(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    assert history.read(paths) == [] and history.lines([]) == ["no failover or switchover yet"]
    entry = history.Entry.now(
        kind="switchover", by="command", reason="`mysql-platform local failover`", old_primary="db1",
        new_primary="db2", gtid="0-1-42", took_ms=12.5,
    )  # fmt: skip
    history.record(paths, entry)
    with history.path(paths).open("a") as fh:
        fh.write('{"half": \n')
    history.record(paths, entry)
    entries = history.read(paths)
    assert len(entries) == 3 and entries[1] == {"unreadable": '{"half": '}
    assert entries[0]["at"].endswith("Z") and entries[0]["gtid"] == "0-1-42"
    assert json.loads(history.path(paths).read_text().splitlines()[0])["old_primary"] == "db1"
    text = history.lines(entries)
    assert (
        "switchover  db1 -> db2  gtid 0-1-42  by command, 12 ms: `mysql-platform local failover`" in text[0]
    )
    assert text[1].startswith("(unreadable line")


# --- maintenance and logs ----------------------------------------------------------------------------


def test_pause_and_resume_toggle_a_flag_that_any_content_keeps_on(tmp_path: Path) -> None:
    assert not maintenance.is_paused(tmp_path) and maintenance.details(tmp_path) is None
    assert maintenance.pause(tmp_path, "upgrade") is True
    assert maintenance.pause(tmp_path, "again") is False
    assert maintenance.details(tmp_path)["reason"] == "upgrade"  # type: ignore[index]
    maintenance.flag(tmp_path).write_text("not json")
    assert maintenance.is_paused(tmp_path)
    assert maintenance.details(tmp_path) == {"since": "unknown", "reason": "unknown"}
    assert maintenance.resume(tmp_path) is True and maintenance.resume(tmp_path) is False


def test_logs_select_members_groups_and_rejects_unknown_names(tmp_path: Path) -> None:
    known = {
        "db1": tmp_path / "db1/error.log",
        "haproxy": tmp_path / "haproxy/haproxy.log",
        "agent-db1": tmp_path / "agents/db1.log",
        "agent-db2": tmp_path / "agents/db2.log",
        "etcd1": tmp_path / "etcd/etcd1.log",
    }
    assert list(logs.select(known, "agent")) == ["agent-db1", "agent-db2"]
    assert list(logs.select(known, "etcd")) == ["etcd1"]
    assert list(logs.select(known, "db1")) == ["db1"]
    assert logs.select(known, None) == known
    with pytest.raises(KeyError):
        logs.select(known, "db7")
    (tmp_path / "db1").mkdir()
    (tmp_path / "db1/error.log").write_text("".join(f"line {i}\n" for i in range(100)))
    shown = logs.show({"db1": known["db1"], "haproxy": known["haproxy"]}, 2)
    assert shown[1:3] == ["line 98", "line 99"]
    assert shown[3] == f"== haproxy: {known['haproxy']} (not written yet)"


def test_every_command_documents_its_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    assert "exit status: 0" in capsys.readouterr().out
    for command in ("up", "down", "status", "list", "failover", "switchover", "history", "pause",
                    "resume", "logs"):  # fmt: skip
        assert cli.main([command, "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "exit status: 0" in out and "; 1 " in out and "2 usage error" in out, command


def test_the_analytics_commands_document_their_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    from mysql_platform.cli import local as local_commands

    for command in ("export", "query"):
        assert local_commands.main([command, "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "exit status: 0" in out and "11 no environment" in out, command
