"""The operations commands on real servers: `list`, `failover --to`/`switchover` and their
refusals, `history`, `pause`/`resume` (with the agents), `logs`, and what `status` tells to run."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mysql_platform.local import cli
from mysql_platform.local.env import LocalEnv
from mysql_platform.local.procs import missing_binaries
from tests.support.probes import scalar

Make = Callable[..., LocalEnv]


@pytest.fixture
def make_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Make]:
    """``make_env(replicas=1, auto=False)``: a running environment made by `local up`, torn down after."""
    missing = missing_binaries()
    if missing:
        pytest.skip(f"local environment needs {', '.join(missing)} (install: make system-deps)")
    made: list[LocalEnv] = []

    def make(*, replicas: int = 1, auto: bool = False) -> LocalEnv:
        if auto and not shutil.which("etcd"):
            pytest.skip("auto-failover needs etcd (install: make system-deps)")
        path = tmp_path_factory.mktemp("ops")
        argv = ["--state-dir", str(path), "up", "--replicas", str(replicas)]
        env = LocalEnv(path)
        made.append(env)
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli.main(argv + (["--auto-failover"] if auto else [])) == 0
        env.store.load()
        return env

    yield make
    for env in made:
        env.down(purge=True)


def _run(env: LocalEnv, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--state-dir", str(env.state_dir), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _members(env: LocalEnv, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    code, out, _ = _run(env, capsys, "list", "--json")
    assert code == 0
    return {m["member"]: m for m in json.loads(out)["members"]}


def _wait(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _write(env: LocalEnv, rows: int) -> None:
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS ops")
        cur.execute("CREATE TABLE IF NOT EXISTS ops.t (id INT AUTO_INCREMENT PRIMARY KEY)")
        for _ in range(rows):
            cur.execute("INSERT INTO ops.t () VALUES ()")


# --- list ------------------------------------------------------------------------------------------


def test_list_gives_every_member_the_same_keys(make_env: Make, capsys: pytest.CaptureFixture[str]) -> None:
    env = make_env(replicas=2)
    _write(env, 3)
    _wait(lambda: all(m["behind_trx"] == 0 for m in _members(env, capsys).values()))
    members = _members(env, capsys)
    assert list(members) == ["db1", "db2", "db3"]
    assert len({tuple(m) for m in members.values()}) == 1
    assert [(m["role"], m["state"]) for m in members.values()] == [
        ("primary", "running"), ("replica", "replicating"), ("replica", "replicating")
    ]  # fmt: skip
    gtid = scalar(env, "writer", "SELECT @@gtid_binlog_pos")
    assert {m["gtid"] for m in members.values()} == {gtid}
    assert members["db1"]["lease_ttl_s"] is None and members["db2"]["agent"] is None

    code, out, _ = _run(env, capsys, "list")
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["MEMBER", "ROLE", "STATE"]
    assert out.splitlines()[2].split()[:5] == ["db2", "replica", "replicating", "0", "0"]
    assert "None" not in out and "True" not in out


def test_list_shows_a_stopped_replica_and_its_lag(make_env: Make, capsys: pytest.CaptureFixture[str]) -> None:
    env = make_env(replicas=2)
    with env.servers.ops_connection("db3") as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("STOP SLAVE SQL_THREAD")
    _write(env, 4)
    env.kill("replica")  # db2
    members = _members(env, capsys)
    assert members["db2"]["state"] == "stopped" and members["db2"]["gtid"] is None
    assert members["db3"]["state"] == "not replicating"
    assert members["db3"]["behind_trx"] >= 4  # the database and table too


# --- failover --to, switchover, refusals, history ----------------------------------------------------


def test_failover_to_a_chosen_replica_and_switchover_back_are_in_the_history(
    make_env: Make, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(replicas=2)
    _write(env, 2)
    code, out, err = _run(env, capsys, "failover", "--to", "db3")
    assert code == 0, err
    assert "failover done" in out and "(switchover: db1 -> db3)" in out
    assert env.store.load().roles.primary == "db3"  # type: ignore[union-attr]
    gtid_at_switch = scalar(env, "writer", "SELECT @@gtid_current_pos")
    _write(env, 1)
    code, out, err = _run(env, capsys, "switchover", "--to", "db1")
    assert code == 0, err
    assert scalar(env, "writer", "SELECT @@server_id") == 1

    code, out, _ = _run(env, capsys, "history", "--json")
    assert code == 0
    entries = json.loads(out)
    assert [(e["kind"], e["old_primary"], e["new_primary"], e["by"]) for e in entries] == [
        ("switchover", "db1", "db3", "command"),
        ("switchover", "db3", "db1", "command"),
    ]
    assert entries[0]["gtid"] == gtid_at_switch and entries[0]["at"].endswith("Z")
    assert entries[0]["reason"] == "`mysql-platform local failover --to db3`"
    assert entries[1]["gtid"] != gtid_at_switch  # the write on db3 came after
    code, out, _ = _run(env, capsys, "history")
    assert code == 0 and len(out.splitlines()) == 2 and "db3 -> db1" in out.splitlines()[1]


@pytest.mark.parametrize(
    ("candidate", "message"),
    [("db1", "db1 is the primary already"), ("db7", "db7 is not a member")],
)
def test_rejects_failover_to_what_is_not_a_replica(
    make_env: Make, capsys: pytest.CaptureFixture[str], candidate: str, message: str
) -> None:
    env = make_env()
    code, _, err = _run(env, capsys, "failover", "--to", candidate)
    assert code == 1 and message in err
    assert env.store.load().roles.primary == "db1"  # type: ignore[union-attr]
    assert _run(env, capsys, "history", "--json")[1].strip() == "[]"


def test_rejects_failover_to_a_stopped_replica(make_env: Make, capsys: pytest.CaptureFixture[str]) -> None:
    env = make_env(replicas=2)
    env.kill("replica")  # db2, the designated one
    code, _, err = _run(env, capsys, "failover")
    assert code == 1 and "db2 is not running" in err
    code, _, err = _run(env, capsys, "switchover", "--to", "db3")  # another replica is fine
    assert code == 0, err


def test_rejects_failover_to_a_lagging_replica(make_env: Make, capsys: pytest.CaptureFixture[str]) -> None:
    env = make_env()
    with env.servers.ops_connection("db2") as conn, contextlib.closing(conn.cursor()) as cur:
        # It replicates (both threads run) but applies each event a minute late.
        cur.execute("STOP SLAVE")
        cur.execute("CHANGE MASTER TO MASTER_DELAY = 60")
        cur.execute("START SLAVE")
    _write(env, 5)
    code, _, err = _run(env, capsys, "failover", "--to", "db2", "--max-lag-trx", "3")
    assert code == 1 and "db2 is" in err and "transactions behind the primary (the bound is 3)" in err
    assert env.store.load().roles.primary == "db1"  # type: ignore[union-attr]
    # The primary was never fenced: it still takes writes.
    _write(env, 1)


def test_rejects_failover_to_a_diverged_former_primary(
    make_env: Make, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(replicas=2)
    for replica in ("db2", "db3"):
        with env.servers.ops_connection(replica) as conn, contextlib.closing(conn.cursor()) as cur:
            cur.execute("STOP SLAVE IO_THREAD")
    _write(env, 1)  # only db1 has it
    env.kill("primary")
    code, _, err = _run(env, capsys, "failover")
    assert code == 0, err
    code, _, err = _run(env, capsys, "up")  # db1 restarts read-only and cannot rejoin
    assert code == 1 and "cannot rejoin" in err
    assert _members(env, capsys)["db1"]["state"] == "diverged"
    code, _, err = _run(env, capsys, "failover", "--to", "db1")
    assert code == 1 and "db1 has diverged" in err
    entries = json.loads(_run(env, capsys, "history", "--json")[1])
    assert [(e["kind"], e["old_primary"], e["new_primary"]) for e in entries] == [("failover", "db1", "db2")]
    assert entries[0]["reason"] == "`mysql-platform local failover`"


def test_failover_with_the_primary_down_promotes_a_replica_whose_io_thread_retries(
    make_env: Make, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env()
    _write(env, 2)
    env.kill("primary")
    # Its IO thread keeps retrying the dead primary, and says so in Last_IO_Error.
    _wait(lambda: bool(_members(env, capsys)["db2"]["last_error"]))
    assert _members(env, capsys)["db2"]["state"] == "connecting"
    code, out, err = _run(env, capsys, "failover")
    assert code == 0, err
    assert "(failover: db1 -> db2)" in out
    entry = json.loads(_run(env, capsys, "history", "--json")[1])[-1]
    assert (entry["kind"], entry["reason"]) == ("failover", "`mysql-platform local failover`")
    assert entry["gtid"] == scalar(env, "writer", "SELECT @@gtid_current_pos")


# --- status: what to run next ------------------------------------------------------------------------


def test_status_after_down_is_one_line_and_up_brings_it_back(
    make_env: Make, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env()
    assert _run(env, capsys, "down")[0] == 0
    code, out, _ = _run(env, capsys, "status")
    assert code == 1 and out == "stopped: run `mysql-platform local up`\n"
    assert _run(env, capsys, "up")[0] == 0
    assert _run(env, capsys, "status")[0] == 0


def test_fails_status_with_stopped_threads_and_up_restarts_them_as_it_says(
    make_env: Make, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(replicas=2)
    with env.servers.ops_connection("db3") as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("STOP SLAVE")
    env.kill("replica")  # db2
    code, out, _ = _run(env, capsys, "status")
    assert code == 1
    problems = out.split("NOT HEALTHY:\n", 1)[1].splitlines()
    # db2 down, replication to db2 and to db3; HAProxy's view of db2 too once it has noticed.
    assert len(problems) >= 3, problems
    assert all(
        "run `mysql-platform local up`" in p or "`mysql-platform local up` starts it" in p for p in problems
    ), problems
    assert _run(env, capsys, "up")[0] == 0
    _wait(lambda: _run(env, capsys, "status")[0] == 0, timeout=10)


# --- pause / resume ------------------------------------------------------------------------------------


def test_pause_stops_automatic_failover_until_resume(
    make_env: Make, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(auto=True)
    code, out, _ = _run(env, capsys, "pause", "--reason", "kernel upgrade")
    assert code == 0 and out.startswith("paused")
    code, out, _ = _run(env, capsys, "status")
    assert code == 0 and "PAUSED since" in out and "(kernel upgrade)" in out
    members = _members(env, capsys)
    assert members["db1"]["leader"] is True and members["db1"]["agent"] == "alive"
    assert members["db2"]["leader"] is False and members["db2"]["lease_ttl_s"] is None

    env.kill("primary")
    time.sleep(4.0)  # four leader leases (1 s): unpaused, a promotion takes about 1.3 s
    assert env.store.load().roles.primary == "db1"  # type: ignore[union-attr]
    assert json.loads(_run(env, capsys, "history", "--json")[1]) == []

    code, out, _ = _run(env, capsys, "resume")
    assert code == 0 and out.startswith("resumed")
    # The promotion appends to the history last (after HAProxy and the replicas moved).
    _wait(lambda: json.loads(_run(env, capsys, "history", "--json")[1]) != [])
    assert env.store.load().roles.primary == "db2"  # type: ignore[union-attr]
    entries = json.loads(_run(env, capsys, "history", "--json")[1])
    assert [(e["kind"], e["new_primary"], e["by"]) for e in entries] == [("failover", "db2", "agent of db2")]
    assert "leader lease expired" in entries[0]["reason"]
    code, out, _ = _run(env, capsys, "status")
    assert "PAUSED" not in out


# --- logs ---------------------------------------------------------------------------------------------


def test_logs_print_where_each_log_is_and_its_tail(
    make_env: Make, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(auto=True)
    code, out, _ = _run(env, capsys, "logs", "db1", "-n", "3")
    assert code == 0
    header, *tail = out.splitlines()
    assert header.startswith(f"== db1: {env.state_dir / 'db1' / 'error.log'} (")
    assert len(tail) == 3 and tail == (env.state_dir / "db1" / "error.log").read_text().splitlines()[-3:]
    code, out, _ = _run(env, capsys, "logs", "-n", "1")
    names = [line.split(":")[0] for line in out.splitlines() if line.startswith("== ")]
    assert names == ["== db1", "== db2", "== haproxy", "== agent-db1", "== agent-db2", "== etcd1"]
    assert str(env.state_dir / "etcd" / "etcd1.log") in out
    assert str(env.state_dir / "agents" / "db2.log") in out
    code, _, err = _run(env, capsys, "logs", "db9")
    assert code == 2 and "no log named 'db9'" in err and "agent-db1" in err
