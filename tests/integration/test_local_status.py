"""`status` tells the truth and says it in its exit status; `up` prints a client command that connects.

Real MariaDB and HAProxy on loopback. `status` exits 0 only when every process runs,
replication runs and HAProxy's view agrees with the servers; it never prints
``=None`` for what it does not know.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.core.haproxy_config import READER_SECTION, WRITER_SECTION
from mysql_platform.local import cli
from mysql_platform.local.env import LocalEnv, missing_binaries
from tests.support.probes import unrelated_ca

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


def _status(env: LocalEnv, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = cli.main(["--state-dir", str(env.state_dir), "status", *extra])
    return code, capsys.readouterr().out


def _json_status(env: LocalEnv, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code, out = _status(env, capsys, "--json")
    return code, json.loads(out)


def _assert_no_none(text: str) -> None:
    assert "None" not in text, text


def _wait_exited(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state == "Z":
            return
        time.sleep(0.02)
    raise AssertionError(f"pid {pid} still running after {timeout} s")


# --- status ------------------------------------------------------------------------------


def test_status_of_a_healthy_environment_exits_0_and_says_so(
    local_env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _status(local_env, capsys)
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == "healthy"
    assert "running=yes" in out and "NOT HEALTHY" not in out
    _assert_no_none(out)
    code, doc = _json_status(local_env, capsys)
    assert code == 0
    assert doc["healthy"] is True and doc["problems"] == [] and doc["proxy_disagreements"] == []
    assert {(row["backend"], row["server"]) for row in doc["proxy"]} == {
        (WRITER_SECTION, "primary"),
        (READER_SECTION, "primary"),
        (READER_SECTION, "replica1"),
    }


def test_status_fails_when_the_replica_is_down_and_names_what_is_unknown(
    local_env_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = local_env_factory()
    env.kill("replica")

    code, out = _status(env, capsys)

    assert code == 1, out
    assert "NOT HEALTHY:" in out
    assert "  - db2 (replica) is not running" in out
    assert "  - replication to db2 is not running: server is not running" in out
    assert "behind=unknown" in out and "io=unknown" in out
    _assert_no_none(out)
    code, doc = _json_status(env, capsys)
    assert code == 1 and doc["healthy"] is False
    assert "db2 (replica) is not running: run `mysql-platform local up` to start it" in doc["problems"]


def test_status_fails_when_replication_is_stopped(
    local_env_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = local_env_factory()
    with env.ops_cursor("replica") as cur:
        cur.execute("STOP SLAVE")

    code, out = _status(env, capsys)

    assert code == 1, out
    assert "running=no io=No sql=No" in out
    # Seconds_Behind_Master is NULL when the threads are stopped: said, not printed as None.
    assert "behind=unknown" in out
    assert "replication to db2 is not running" in out
    _assert_no_none(out)


def test_status_fails_when_the_primary_is_read_only(
    local_env_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = local_env_factory()
    with env.ops_cursor("primary") as cur:
        cur.execute("SET GLOBAL read_only = ON")  # fenced: running, routed to, yet refusing writes

    code, out = _status(env, capsys)

    assert code == 1, out
    assert "  - the primary db1 is read-only (fenced): every write through the writer port fails; " in out
    assert "run `mysql-platform local failover`" in out
    code, doc = _json_status(env, capsys)
    assert doc["primary"] == {"server": "db1", "read_only": True, "error": None}
    with env.ops_cursor("primary") as cur:
        cur.execute("SET GLOBAL read_only = OFF")
    assert _status(env, capsys)[0] == 0


def test_status_fails_when_haproxy_is_down(
    local_env_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = local_env_factory()
    pid = env.pid("haproxy")
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    _wait_exited(pid)

    code, out = _status(env, capsys)

    assert code == 1, out
    assert "haproxy  (no view: HAProxy is not running)" in out
    assert "  - haproxy (proxy) is not running" in out
    _assert_no_none(out)


def test_status_fails_when_haproxys_view_disagrees_with_the_servers(
    local_env_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = local_env_factory()
    # Maintenance survives health checks: HAProxy keeps calling a running replica DOWN.
    env.haproxy_command(f"set server {READER_SECTION}/replica1 state maint")

    code, out = _status(env, capsys)

    assert code == 1, out
    replica = f"127.0.0.1:{env.port('replica')}"
    assert f"HAProxy has {READER_SECTION}/replica1 DOWN, but the server ({replica}) is running" in out

    # And a writer sent to the wrong port (the replica's).
    env.haproxy_command(f"set server {WRITER_SECTION}/primary addr 127.0.0.1 port {env.port('replica')}")
    code, doc = _json_status(env, capsys)
    assert code == 1
    primary = f"127.0.0.1:{env.port('primary')}"
    assert (
        f"HAProxy sends {WRITER_SECTION}/primary to {replica}, but that server is on {primary}"
        in doc["proxy_disagreements"]
    )


def test_up_makes_haproxy_agree_at_once_after_restarting_a_server(
    local_env_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = local_env_factory()
    env.kill("replica")
    time.sleep(1.2)  # HAProxy's checks (inter 500 ms, fall 2) mark it DOWN
    assert LocalEnv(env.state_dir).up() is not None

    code, out = _status(env, capsys)
    assert code == 0, out


def test_status_without_an_environment_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--state-dir", str(tmp_path / "none"), "status"]) == 1
    assert "no local environment here (run `mysql-platform local up`)" in capsys.readouterr().out
    assert not (tmp_path / "none").exists()


def test_status_help_documents_json_and_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["status", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--json" in out and "machine-readable" in out
    assert "Exit status 0 when the environment is healthy" in out


@pytest.mark.parametrize("argv", [["bogus"], [], ["status", "--bogus"], ["up", "--db-name"]])
def test_rejects_usage_errors_with_exit_2_not_systemexit(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    assert "usage:" in capsys.readouterr().err


# --- the client command line after up --------------------------------------------------------


def _client_line(stdout: str) -> str:
    lines = [line.strip() for line in stdout.splitlines() if "--defaults-extra-file=" in line]
    assert len(lines) == 1, stdout
    return lines[0]


def test_up_prints_a_client_command_that_connects_without_showing_the_password(tmp_path: Path) -> None:
    if missing_binaries():
        pytest.skip(f"local environment needs {', '.join(missing_binaries())}")
    env = LocalEnv(tmp_path / ".local")
    try:
        up = subprocess.run(
            [sys.executable, "-m", "scripts.local_env", "--state-dir", ".local", "up"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert up.returncode == 0, up.stderr
        line = _client_line(up.stdout)
        assert line == "mariadb --defaults-extra-file=.local/client-admin.cnf"
        password = env.admin_password.reveal()
        assert password not in up.stdout + up.stderr
        cnf = tmp_path / ".local" / "client-admin.cnf"
        assert stat.S_IMODE(cnf.stat().st_mode) == 0o600
        text = cnf.read_text()
        assert (
            "user=admin" in text and f"port={env.port('writer')}" in text and f"ssl-ca={env.ca_path}" in text
        )

        clients = ["mariadb"] + (["mysql"] if shutil.which("mysql") else [])
        for client in clients:
            argv = shlex.split(line)
            argv[0] = shutil.which(client) or client
            done = subprocess.run(
                [
                    *argv,
                    "--batch",
                    "--skip-column-names",
                    "-e",
                    "select 1; show session status like 'Ssl_version'",
                ],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            assert done.stdout.splitlines()[0] == "1"
            assert "TLSv1." in done.stdout
            assert done.stderr == "", done.stderr  # no warning about unknown options
            assert password not in done.stdout + done.stderr
    finally:
        env.down(purge=True)


def test_client_option_file_follows_a_failover_and_verifies_the_server(
    local_env_factory: Any, tmp_path: Path
) -> None:
    env = local_env_factory()
    old_primary_id = _scalar_via_cnf(env, "select @@server_id", tmp_path)
    env.failover()
    # The writer port follows the roles: the same file now reaches the new primary.
    assert _scalar_via_cnf(env, "select @@server_id", tmp_path) != old_primary_id
    # The server is verified against the environment's CA: another CA is refused.
    other_ca = unrelated_ca(tmp_path)
    other = tmp_path / "other.cnf"
    other.write_text(env.client_cnf_path.read_text().replace(f"ssl-ca={env.ca_path}", f"ssl-ca={other_ca}"))
    other.chmod(0o600)
    done = subprocess.run(
        ["mariadb", f"--defaults-extra-file={other}", "-e", "select 1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0 and "certificate" in done.stderr.lower(), done.stderr


def _scalar_via_cnf(env: LocalEnv, sql: str, cwd: Path) -> str:
    done = subprocess.run(
        [
            "mariadb",
            f"--defaults-extra-file={env.client_cnf_path}",
            "--batch",
            "--skip-column-names",
            "-e",
            sql,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()
