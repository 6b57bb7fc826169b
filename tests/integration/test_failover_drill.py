"""Failover as code, locally: the drill (issue 5, 3b) and the `failover` command's contract."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from mysql.connector import errors

from mysql_platform.cli import local as local_cli
from mysql_platform.core.outputs import from_json_file
from mysql_platform.local.drill import DrillResult, run_drill
from mysql_platform.local.env import LocalEnv, LocalEnvError
from tests.support.probes import scalar

pytestmark = pytest.mark.integration


def _report(result: DrillResult, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\nfailover drill: {result.line()}")


def _check_drill(result: DrillResult) -> None:
    assert result.acked_before_kill > 20, "the client was not writing before the kill"
    assert result.acked_after_failover > 20, "the client did not resume writing after the failover"
    # Measured here: 20-30 ms; bounds leave room for a loaded CI runner.
    assert result.detect_s < 1.5
    assert result.promote_s < 1.0
    assert result.downtime_s < 2.0


def test_failover_drill_async(local_env_factory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env = local_env_factory()
    old_primary_port, old_replica_port = env.port("primary"), env.port("replica")
    replica_id = scalar(env, "replica", "SELECT @@server_id")

    result = run_drill(env, clients=4)

    _report(result, capsys)
    _check_drill(result)
    # Async: an acknowledged write can be lost; the count is the measurement, not a bug.
    assert 0 <= result.lost_acked <= result.acked_before_kill

    # The outputs contract stays true: the writer is the promoted replica, no reader is left.
    outputs = from_json_file(env.outputs_path)
    assert outputs.db.writer.port == old_replica_port == env.port("primary")
    assert outputs.db.readers == ()
    assert scalar(env, "writer", "SELECT @@server_id") == replica_id
    assert scalar(env, "writer", "SELECT @@read_only") == 0
    # Reads fall back to the new primary (the reader's replica is the dead old primary).
    assert scalar(env, "reader", "SELECT @@server_id") == replica_id
    assert env.status()["roles"] == {"primary": "db2", "replica": "db1"}

    # The old primary restarts fenced (read-only). It rejoins as a replica, unless
    # it committed writes the new primary never received: then it says so.
    try:
        env.start("replica")
    except LocalEnvError as exc:
        assert "cannot rejoin" in str(exc)
        with capsys.disabled():
            print(f"old primary diverged (async): {exc}")
    else:
        assert [r.port for r in from_json_file(env.outputs_path).db.readers] == [old_primary_port]
        assert scalar(env, "reader", "SELECT @@server_id") != replica_id
    assert env.port("replica") == old_primary_port
    assert scalar(env, "replica", "SELECT @@read_only") == 1


def test_old_primary_rejoins_as_replica_after_an_idle_failover(local_env_factory: Any) -> None:
    env = local_env_factory()
    primary_id = scalar(env, "primary", "SELECT @@server_id")
    env.kill("primary")
    env.failover()
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE written_after_failover")
        cur.execute("SELECT @@last_gtid")
        gtid = cur.fetchone()[0]

    env.start("replica")

    assert scalar(env, "replica", "SELECT @@server_id") == primary_id
    assert scalar(env, "replica", "SELECT MASTER_GTID_WAIT(%s, 5)", gtid) == 0
    assert env.status()["replication"]["running"] is True
    assert [r.port for r in from_json_file(env.outputs_path).db.readers] == [env.port("replica")]
    # HAProxy follows: reads go back to a replica, which is the old primary now.
    deadline_reads = {scalar(env, "reader", "SELECT @@server_id") for _ in range(3)}
    assert deadline_reads == {primary_id}


def test_failover_drill_semi_sync_loses_no_acknowledged_write(
    local_env_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = local_env_factory(semi_sync=True)

    result = run_drill(env, clients=4)

    _report(result, capsys)
    _check_drill(result)
    assert result.semi_sync_status_at_kill == "ON"
    # AFTER_SYNC: a write is acknowledged only once the replica has it, and the
    # replica applies its whole relay log before it is promoted.
    assert result.lost_acked == 0


def test_planned_switchover_from_the_cli_loses_nothing_and_swaps_roles(
    local_env_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = local_env_factory()
    primary_id = scalar(env, "primary", "SELECT @@server_id")
    replica_id = scalar(env, "replica", "SELECT @@server_id")
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE switch")
        cur.execute("CREATE TABLE switch.t (id INT PRIMARY KEY)")
        cur.executemany("INSERT INTO switch.t VALUES (%s)", [(i,) for i in range(200)])
    held = env.connect("writer")  # an application's pooled connection, open across the switchover

    assert local_cli.main(["--state-dir", str(env.state_dir), "failover"]) == 0

    # Cut, not left on the now read-only old primary: a 2013 is retried, a 1290 is not.
    with pytest.raises(errors.Error) as cut, contextlib.closing(held.cursor()) as cur:
        cur.execute("INSERT INTO switch.t VALUES (-1)")
    assert cut.value.errno != 1290
    held.close()

    out = capsys.readouterr().out
    assert "failover done" in out and env.admin_password.reveal() not in out
    fresh = LocalEnv(env.state_dir)  # what the next CLI call sees
    assert scalar(fresh, "writer", "SELECT @@server_id") == replica_id
    assert scalar(fresh, "writer", "SELECT COUNT(*) FROM switch.t") == 200
    # The old primary is now the replica, already following the new primary.
    assert scalar(fresh, "reader", "SELECT @@server_id") == primary_id
    with contextlib.closing(fresh.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("INSERT INTO switch.t VALUES (200)")
        cur.execute("SELECT @@last_gtid")
        gtid = cur.fetchone()[0]
    assert scalar(fresh, "replica", "SELECT MASTER_GTID_WAIT(%s, 5)", gtid) == 0
    assert scalar(fresh, "replica", "SELECT COUNT(*) FROM switch.t") == 201
    outputs = from_json_file(fresh.outputs_path)
    assert outputs.db.writer.port == fresh.port("primary")
    assert [r.port for r in outputs.db.readers] == [fresh.port("replica")]


def test_rejects_failover_without_a_running_replica(
    local_env_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = local_env_factory()
    env.kill("replica")
    with pytest.raises(LocalEnvError, match=r"replica \(db2\) is not running"):
        env.failover()
    assert local_cli.main(["--state-dir", str(env.state_dir), "failover"]) == 1
    assert "not running" in capsys.readouterr().err
    # Nothing changed: the primary still takes writes through the proxy.
    assert scalar(env, "writer", "SELECT @@read_only") == 0
