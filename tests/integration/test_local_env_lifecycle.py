"""The local environment's life cycle on loopback (real MariaDB, HAProxy and TLS): outputs that
follow the contract, an idempotent ``up``, ``down`` and ``up`` again, and failures that say why.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import local as local_cli
from mysql_platform.core.outputs import from_json_file
from mysql_platform.local import env as local_env_module
from mysql_platform.local.env import LocalEnv
from tests.support.probes import execute, listening, pid_alive, scalar, servers_lacking

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("_no_env_var_leaks")]


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
    # A new object, as a second `mysql-platform local up` would be.
    again = LocalEnv(local_env.state_dir).up()
    assert again.to_dict(reveal_secrets=True) == json.loads(before)
    assert local_env.outputs_path.stat().st_mtime_ns == mtime
    assert {n: LocalEnv(local_env.state_dir).pid(n) for n in pids} == pids


def test_cli_never_prints_the_password(local_env: LocalEnv, capsys: pytest.CaptureFixture[str]) -> None:
    password = local_env.admin_password.reveal()
    for command in ("up", "status"):
        assert local_cli.main(["--state-dir", str(local_env.state_dir), command]) == 0
    assert local_cli.main(["--state-dir", str(local_env.state_dir), "status", "--json"]) == 0
    out = capsys.readouterr()
    assert password not in out.out + out.err
    assert "running=yes" in out.out


@pytest.mark.parametrize(
    ("options", "refused", "flag"),
    [
        (["--semi-sync"], "holds an async environment but semi-sync was asked", "--semi-sync"),
        (["--replicas", "2"], "holds 1 replica(s) but 2 replica(s) was asked", "--replicas"),
        (["--db-name", "shop"], "holds database 'app' but 'shop' was asked", "--db-name"),
    ],
)
def test_rejects_up_with_another_mode_count_or_name_and_says_how_to_keep_the_data(
    local_env: LocalEnv, capsys: pytest.CaptureFixture[str], options: list[str], refused: str, flag: str
) -> None:
    code = local_cli.main(["--state-dir", str(local_env.state_dir), "up", *options])
    err = capsys.readouterr().err
    assert code == 1 and refused in err and "cannot change in place" in err
    # Keeping the data comes first; `down --purge` only with what it costs.
    assert f"To keep this environment and its data, run `mysql-platform local up` without {flag}" in err
    assert "`mysql-platform local down --purge` DELETES this one and all its data" in err
    assert f"mariadb-dump --defaults-extra-file={local_env.client_cnf_path} --databases app" in err
    assert local_env.status()["healthy"]  # refused before anything changed


def test_a_plain_up_keeps_a_semi_sync_environment_and_its_data(tmp_path: Path) -> None:
    if local_env_module.missing_binaries():
        pytest.skip("local environment binaries missing")
    env = LocalEnv(tmp_path / "env")
    try:
        assert _up(env.state_dir, "--semi-sync") == 0
        execute(env, "writer", "CREATE DATABASE kept")
        env.down()
        assert _up(env.state_dir) == 0  # no flag: the recorded mode, not async
        status = env.status()
        assert status["healthy"] and status["semi_sync"], status["problems"]
        assert scalar(env, "primary", "SELECT @@GLOBAL.rpl_semi_sync_master_enabled") == 1
        assert scalar(
            env, "replica", "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name='kept'"
        )
    finally:
        env.down(purge=True)


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


def _up(state_dir: Path, *options: str) -> int:
    """``up`` through the command line, as a person runs it (its output is not what is tested)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return local_cli.main(["--state-dir", str(state_dir), "up", *options])


@pytest.fixture
def two_replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnv]:
    """A running environment of db1 (primary), db2 and db3 (replicas), torn down afterwards."""
    if local_env_module.missing_binaries():
        pytest.skip("local environment binaries missing")
    state_dir = tmp_path_factory.mktemp("env")
    try:
        assert _up(state_dir, "--replicas", "2") == 0
        yield LocalEnv(state_dir)
    finally:
        LocalEnv(state_dir).down(purge=True)


def _alive(status: dict[str, Any]) -> dict[str, bool]:
    return {p["name"]: p["alive"] for p in status["processes"]}


def test_down_then_up_starts_every_server_again(two_replicas: LocalEnv) -> None:
    env = two_replicas
    env.down()
    assert _up(env.state_dir) == 0
    status = env.status()
    assert _alive(status) == {"db1": True, "db2": True, "db3": True, "haproxy": True}
    assert status["healthy"], status["problems"]
    # Both replicas resumed replicating: a new write reaches every server.
    execute(env, "writer", "CREATE DATABASE after_restart")
    assert servers_lacking(env, "after_restart") == []


def test_up_after_a_failover_starts_the_former_primary_and_it_rejoins(two_replicas: LocalEnv) -> None:
    env = two_replicas
    env.kill("primary")
    env.failover()  # unplanned: db2 leads, db3 follows it, db1 must rejoin when it starts
    assert env.store.current().roles.primary == "db2" and env.store.current().servers["db1"].needs_rejoin
    assert _up(env.state_dir) == 0
    status = env.status()
    assert _alive(status)["db1"] and status["healthy"], status["problems"]
    assert not env.store.current().servers["db1"].needs_rejoin
    execute(env, "writer", "CREATE DATABASE after_rejoin")
    assert servers_lacking(env, "after_rejoin") == []


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
