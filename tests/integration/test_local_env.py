"""The local environment against its promises: real MariaDB, HAProxy and TLS on loopback."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import mysql.connector
import pytest
from mysql.connector import errors

from mysql_platform_core.haproxy_config import Balance, HAProxySpec, ServerSpec, render_haproxy_config
from mysql_platform_core.outputs import from_json_file
from scripts.local import env as local_env_module
from scripts.local.env import LocalEnv, find_binary
from scripts.local.haproxy import runtime_api
from scripts.local.procs import pick_ports
from tests.support.probes import listening, pid_alive, scalar, unrelated_ca

pytestmark = pytest.mark.integration

ER_OPTION_PREVENTS_STATEMENT = 1290  # read_only
ER_ACCESS_DENIED = 1045


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


# --- outputs and idempotence ---------------------------------------------------


def test_outputs_follow_the_contract(local_env: LocalEnv) -> None:
    outputs = from_json_file(local_env.outputs_path)
    assert stat.S_IMODE(local_env.outputs_path.stat().st_mode) == 0o600
    assert outputs.environment == "local" and outputs.vpc_id == "local"
    assert outputs.db.engine == "mariadb"
    assert scalar(local_env, "primary", "SELECT VERSION()").startswith(outputs.db.engine_version + "-")
    assert outputs.db.writer.port == local_env.port("primary")
    assert [r.port for r in outputs.db.readers] == [local_env.port("replica")]
    assert outputs.proxy is not None
    assert (outputs.proxy.writer_port, outputs.proxy.reader_port) == (
        local_env.port("writer"),
        local_env.port("reader"),
    )
    assert outputs.ssl_ca == str(local_env.ca_path) and Path(outputs.ssl_ca).is_absolute()
    assert outputs.db.username == "admin" and not outputs.db.publicly_accessible
    # Like RDS with dbName: a real database, created by `up` (default name "app").
    assert outputs.db.database == "app"
    assert (
        scalar(
            local_env,
            "replica",
            "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'app'",
        )
        == "utf8mb4"
    )
    assert len(outputs.db_password.reveal()) >= 20


def test_passwords_are_generated_per_environment(local_env: LocalEnv, local_env_factory: Any) -> None:
    other = local_env_factory()
    assert other.admin_password != local_env.admin_password
    assert set(other.all_ports()).isdisjoint(local_env.all_ports())


def test_up_is_idempotent(local_env: LocalEnv) -> None:
    before = local_env.outputs_path.read_text()
    mtime = local_env.outputs_path.stat().st_mtime_ns
    pids = {n: local_env.pid(n) for n in ("primary", "replica", "haproxy")}
    # A new object, as a second `python -m scripts.local_env up` would be.
    again = LocalEnv(local_env.state_dir).up()
    assert again.to_dict(reveal_secrets=True) == json.loads(before)
    assert local_env.outputs_path.stat().st_mtime_ns == mtime
    assert {n: LocalEnv(local_env.state_dir).pid(n) for n in pids} == pids


def test_cli_never_prints_the_password(local_env: LocalEnv, capsys: pytest.CaptureFixture[str]) -> None:
    password = local_env.admin_password.reveal()
    for command in ("up", "status"):
        assert local_env_module.main(["--state-dir", str(local_env.state_dir), command]) == 0
    assert local_env_module.main(["--state-dir", str(local_env.state_dir), "status", "--json"]) == 0
    out = capsys.readouterr()
    assert password not in out.out + out.err
    assert "running=True" in out.out


def test_rejects_up_with_another_replication_mode(local_env: LocalEnv) -> None:
    with pytest.raises(local_env_module.LocalEnvError, match="async environment but semi-sync"):
        LocalEnv(local_env.state_dir, semi_sync=True).up()


def test_down_stops_its_pids_and_frees_every_port(local_env_factory: Any) -> None:
    env = local_env_factory()
    with contextlib.closing(env.connect("primary")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE kept")
    pids = [env.pid(n) for n in ("primary", "replica", "haproxy")]
    ports = env.all_ports()
    password = env.admin_password
    assert all(listening(p) for p in ports)

    env.down()

    assert not any(pid_alive(p) for p in pids if p is not None)
    assert [p for p in ports if listening(p)] == []
    # Up again: same ports, same password, same data.
    outputs = env.up()
    assert sorted(env.all_ports()) == sorted(ports)
    assert outputs.db_password == password
    assert (
        scalar(env, "replica", "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name='kept'")
        == 1
    )


def test_long_state_dir_puts_sockets_under_tmp(local_env_factory: Any, tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    env = LocalEnv(deep)
    try:
        env.up()
        socket_dir = json.loads(env.state_path.read_text())["socket_dir"]
        assert not Path(socket_dir).is_relative_to(deep)
        assert all(len(str(s)) <= 107 for s in Path(socket_dir).iterdir())
        assert scalar(env, "writer", "SELECT 1") == 1
    finally:
        env.down(purge=True)
    assert not Path(socket_dir).exists()


# --- TLS ----------------------------------------------------------------------------


def test_plain_connections_are_refused_tls_ones_verify(local_env: LocalEnv) -> None:
    user, password = "tls_probe", "probe-password-123456"
    with contextlib.closing(local_env.connect("primary")) as conn, contextlib.closing(conn.cursor()) as cur:
        # No REQUIRE SSL on this user: only the server's require_secure_transport stands in the way.
        cur.execute(f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY %s", (password,))
    for target in ("primary", "writer"):
        with pytest.raises(errors.Error) as refused:
            mysql.connector.connect(
                host="127.0.0.1",
                port=local_env.port(target),
                user=user,
                password=password,
                ssl_disabled=True,
                use_pure=True,
            )
        assert refused.value.errno == ER_ACCESS_DENIED
        tls = local_env.connect(target, user=user, password=password)
        with contextlib.closing(tls) as conn, contextlib.closing(conn.cursor()) as cur:
            cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
            assert cur.fetchone()[1].startswith("TLSv1.")


def test_certificate_names_localhost_and_loopback_and_chains_to_the_ca(local_env: LocalEnv) -> None:
    server_pem = local_env.ca_path.parent / "server.pem"
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(local_env.ca_path), str(server_pem)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    text = subprocess.run(
        ["openssl", "x509", "-in", str(server_pem), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "IP Address:127.0.0.1" in text and "DNS:localhost" in text
    assert not (local_env.ca_path.parent / "ca.key").exists()


def test_rejects_a_server_signed_by_another_ca(local_env: LocalEnv, tmp_path: Path) -> None:
    other_ca = unrelated_ca(tmp_path)
    with pytest.raises(errors.Error, match=r"(?i)certificate"):
        local_env.connect("writer", ssl_ca=str(other_ca))


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


@pytest.fixture(autouse=True)
def _no_env_var_leaks() -> None:
    # The fixtures keep SSL_CERT_FILE pointing at an empty trust store (see conftest).
    assert os.environ.get("SSL_CERT_FILE", "").endswith("no-system-cas.pem")


# --- failures are explained -----------------------------------------------------------


def test_fails_to_start_a_broken_server_with_its_error_log_tail(local_env_factory: Any) -> None:
    env = local_env_factory()
    env.stop("replica")
    (env.state_dir / "db2" / "data" / "ibdata1").write_bytes(b"not an InnoDB tablespace" * 100)
    with pytest.raises(local_env_module.LocalEnvError) as failed:
        env.start("replica")
    message = str(failed.value)
    assert "db2 (mariadbd, port" in message and "exited during startup" in message
    assert "error.log" in message and "[ERROR]" in message
    assert env.admin_password.reveal() not in message


def test_fails_to_start_on_a_port_taken_by_someone_else(local_env_factory: Any) -> None:
    env = local_env_factory()
    env.down()
    port = env.port("primary")
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(local_env_module.LocalEnvError, match=f"port {port} is taken"):
            env.up()
    # The squatter was never ours to stop; once it is gone, up works again.
    env.down()
    assert env.up().db.writer.port == port


def test_concurrent_ups_make_one_environment(tmp_path: Path) -> None:
    if local_env_module.missing_binaries():
        pytest.skip("local environment binaries missing")
    state_dir = tmp_path / "env"
    cli = [sys.executable, "-m", "scripts.local_env", "--state-dir", str(state_dir), "up"]
    env = LocalEnv(state_dir)
    try:
        procs = [subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        results = [p.communicate(timeout=60) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], results
        running = [env.pid(n) for n in ("primary", "replica", "haproxy")]
        assert all(pid is not None and pid_alive(pid) for pid in running)
        # Exactly one set of servers: no stray mariadbd on this state dir.
        ours = subprocess.run(["pgrep", "-f", str(state_dir)], capture_output=True, text=True).stdout.split()
        assert sorted(int(p) for p in ours) == sorted(p for p in running if p is not None)
    finally:
        env.down(purge=True)
