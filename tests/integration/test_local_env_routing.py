"""The local environment's replication and routing on loopback (real MariaDB and HAProxy):
writes reach the replica, the reader port reads from it and falls back to the primary while it
is down, semi-sync, restarts, and configs from the HAProxy renderer run in real HAProxy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from mysql.connector import errors

from mysql_platform.core.haproxy_config import Balance, HAProxySpec, ServerSpec, render_haproxy_config
from mysql_platform.local.env import LocalEnv, find_binary
from mysql_platform.local.haproxy import runtime_api
from mysql_platform.local.procs import pick_ports
from tests.support.probes import listening, pid_alive, scalar

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("_no_env_var_leaks")]

ER_OPTION_PREVENTS_STATEMENT = 1290  # read_only


def _until(predicate: Any, timeout: float, what: str) -> float:
    """Poll ``predicate`` until true; return the seconds it took."""
    start = time.monotonic()
    last: Any = None
    while time.monotonic() - start < timeout:
        try:
            if predicate():
                return time.monotonic() - start
        except errors.Error as exc:  # a server in transition may refuse a connection
            last = exc
        time.sleep(0.01)
    raise AssertionError(f"{what} not true after {timeout} s (last error: {last})")


# --- replication and routing ----------------------------------------------------------


def test_writes_through_the_writer_reach_the_replica(local_env: LocalEnv) -> None:
    with contextlib.closing(local_env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS le_test")
        cur.execute("CREATE TABLE IF NOT EXISTS le_test.t (id INT PRIMARY KEY, v VARCHAR(20))")
        cur.execute("REPLACE INTO le_test.t VALUES (1, %s)", ("héllo wörld",))
        cur.execute("SELECT @@last_gtid")
        gtid = cur.fetchone()[0]
    # Async replication: wait for the writer's position, never assume it arrived.
    assert scalar(local_env, "replica", "SELECT MASTER_GTID_WAIT(%s, 5)", gtid) == 0
    assert scalar(local_env, "replica", "SELECT v FROM le_test.t WHERE id = 1") == "héllo wörld"


def test_reader_port_reads_from_the_replica_writer_port_from_the_primary(local_env: LocalEnv) -> None:
    primary_id = scalar(local_env, "primary", "SELECT @@server_id")
    replica_id = scalar(local_env, "replica", "SELECT @@server_id")
    assert primary_id != replica_id
    assert {scalar(local_env, "reader", "SELECT @@server_id") for _ in range(5)} == {replica_id}
    assert {scalar(local_env, "writer", "SELECT @@server_id") for _ in range(5)} == {primary_id}
    assert scalar(local_env, "reader", "SELECT @@read_only") == 1
    assert scalar(local_env, "writer", "SELECT @@read_only") == 0


def test_admin_cannot_write_on_the_replica_but_can_manage_users_on_the_primary(local_env: LocalEnv) -> None:
    with contextlib.closing(local_env.connect("replica")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("SHOW GRANTS")
        grants = " ".join(row[0] for row in cur.fetchall())
        assert "READ_ONLY ADMIN" not in grants and "SUPER" not in grants
        for statement in ("CREATE DATABASE must_fail", "SET GLOBAL read_only = OFF"):
            with pytest.raises(errors.Error) as refused:
                cur.execute(statement)
            assert refused.value.errno in (ER_OPTION_PREVENTS_STATEMENT, 1227), statement
    # Like the RDS master user: databases, users and grants on the primary.
    with contextlib.closing(local_env.connect("primary")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS grant_test")
        cur.execute("CREATE USER IF NOT EXISTS 'grant_probe'@'%' IDENTIFIED BY %s", ("x" * 24,))
        cur.execute("GRANT SELECT ON grant_test.* TO 'grant_probe'@'%'")
        cur.execute("DROP USER 'grant_probe'@'%'")


def test_semi_sync_environment_acknowledges_through_the_replica(local_env_factory: Any) -> None:
    env = local_env_factory(semi_sync=True)
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE semi")
        cur.execute(
            "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status', "
            "'Rpl_semi_sync_master_clients', 'Rpl_semi_sync_master_yes_tx')"
        )
        status = dict(cur.fetchall())
    assert status["Rpl_semi_sync_master_status"] == "ON"
    assert status["Rpl_semi_sync_master_clients"] == "1"
    assert int(status["Rpl_semi_sync_master_yes_tx"]) >= 1
    assert env.status()["semi_sync"] is True


def test_replica_killed_reads_fall_back_to_the_primary_and_come_back(local_env_factory: Any) -> None:
    env = local_env_factory()
    primary_id = scalar(env, "primary", "SELECT @@server_id")
    replica_id = scalar(env, "replica", "SELECT @@server_id")
    replica_pid = env.pid("replica")

    env.kill("replica")

    assert replica_pid is not None and not pid_alive(replica_pid)
    assert not listening(env.port("replica"))
    took = _until(lambda: scalar(env, "reader", "SELECT @@server_id") == primary_id, 3.0, "reads on primary")
    assert took < 2.0
    # Writes while the replica is down are replicated once it is back.
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE while_down")
        cur.execute("SELECT @@last_gtid")
        gtid = cur.fetchone()[0]
    pooled = env.connect("reader")  # a pooled read connection, now on the primary

    env.start("replica")

    assert env.pid("replica") != replica_pid
    assert scalar(env, "replica", "SELECT MASTER_GTID_WAIT(%s, 5)", gtid) == 0
    assert env.status()["replication"]["running"] is True
    _until(lambda: scalar(env, "reader", "SELECT @@server_id") == replica_id, 3.0, "reads back on replica")
    # on-marked-up shutdown-backup-sessions: the pooled connection is cut, so its
    # reconnect lands on the replica instead of loading the primary indefinitely.
    with pytest.raises(errors.Error), contextlib.closing(pooled.cursor()) as cur:
        cur.execute("SELECT @@server_id")
        cur.fetchall()
    pooled.close()


def test_primary_restarted_replica_resumes(local_env_factory: Any) -> None:
    env = local_env_factory()
    env.stop("primary")
    assert not listening(env.port("primary"))
    env.start("primary")
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE after_restart")
        cur.execute("SELECT @@last_gtid")
        gtid = cur.fetchone()[0]
    # MASTER_CONNECT_RETRY=1: the replica reconnects within about a second.
    assert scalar(env, "replica", "SELECT MASTER_GTID_WAIT(%s, 10)", gtid) == 0


# --- the renderer against real HAProxy -----------------------------------------------------


def test_rendered_config_runs_in_real_haproxy(local_env: LocalEnv, tmp_path: Path) -> None:
    """A second HAProxy, rendered with other options, routes to the same servers."""
    ports = pick_ports(2, set(local_env.all_ports()))
    spec = HAProxySpec(
        bind_address="127.0.0.1",
        writer_port=ports[0],
        reader_port=ports[1],
        primary=ServerSpec("db-primary", "127.0.0.1", local_env.port("primary")),
        replicas=(ServerSpec("db-replica-1", "127.0.0.1", local_env.port("replica")),),
        balance=Balance.LEASTCONN,
        runtime_api_socket=str(tmp_path / "api.sock"),
        pidfile=str(tmp_path / "haproxy.pid"),
    )
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render_haproxy_config(spec))
    haproxy = find_binary("haproxy")
    assert haproxy is not None
    proc = subprocess.Popen([haproxy, "-db", "-f", str(cfg)], stderr=subprocess.PIPE)
    try:
        _until(lambda: listening(ports[0]) and listening(ports[1]), 5.0, "haproxy listening")
        replica_id = scalar(local_env, "replica", "SELECT @@server_id")
        primary_id = scalar(local_env, "primary", "SELECT @@server_id")
        for port, expected in ((ports[0], primary_id), (ports[1], replica_id)):
            with (
                contextlib.closing(local_env.connect("primary", port=port)) as conn,
                contextlib.closing(conn.cursor()) as cur,
            ):
                cur.execute("SELECT @@server_id")
                assert cur.fetchone()[0] == expected
        state = runtime_api(str(tmp_path / "api.sock"), "show servers state")
        assert "db-replica-1" in state and "db-primary" in state
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_second_haproxy_cannot_take_the_environments_ports(local_env: LocalEnv, tmp_path: Path) -> None:
    """The environment binds with noreuseport; otherwise a second HAProxy would share its ports."""
    spec = dataclasses.replace(local_env.haproxy_spec(), runtime_api_socket=None, log_target=None)
    cfg = tmp_path / "intruder.cfg"
    cfg.write_text(render_haproxy_config(spec))
    haproxy = find_binary("haproxy")
    assert haproxy is not None
    intruder = subprocess.run([haproxy, "-db", "-f", str(cfg)], capture_output=True, text=True, timeout=10)
    assert intruder.returncode != 0
    assert "cannot bind" in (intruder.stdout + intruder.stderr).lower()
    assert scalar(local_env, "writer", "SELECT 1") == 1


def test_ec2_flavoured_config_passes_haproxy_check(tmp_path: Path) -> None:
    haproxy = find_binary("haproxy")
    if haproxy is None:
        pytest.skip("haproxy not installed")
    spec = HAProxySpec(
        bind_address="0.0.0.0",  # noqa: S104  (EC2: the security group admits the clients)
        writer_port=3306,
        reader_port=3307,
        primary=ServerSpec("primary", "db-primary.abc123.eu-west-1.rds.amazonaws.com", 3306),
        replicas=(
            ServerSpec("replica1", "db-replica-1.abc123.eu-west-1.rds.amazonaws.com", 3306),
            ServerSpec("replica2", "db-replica-2.abc123.eu-west-1.rds.amazonaws.com", 3306),
        ),
        runtime_api_socket="/run/haproxy/admin.sock",
        pidfile="/run/haproxy.pid",
        log_target="/dev/log local0",
        resolve_dns=True,
    )
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render_haproxy_config(spec))
    check = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0.0.0.0/0" not in cfg.read_text()
