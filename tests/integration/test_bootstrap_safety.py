"""The bootstrap against careless and hostile input, on real MariaDB (primary/replica, TLS).

One environment for the module; every test uses its own application user (and, where it
adds migrations, its own history schema), so tests do not see each other's accounts. The
TLS tests also start a throwaway MariaDB without TLS on loopback.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scripts import errors
from scripts.db import app_user, bootstrap_options
from scripts.local.env import LocalEnv, find_binary, missing_binaries
from tests.integration.test_bootstrap import REPO, run_main, sql_copy, wait_until

SKIP = "--skip-replication-check"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnv]:
    """This module's own environment, composed like test_bootstrap's."""
    missing = missing_binaries()
    if missing:
        pytest.skip(f"local environment needs {', '.join(missing)} (install: make system-deps)")
    e = LocalEnv(tmp_path_factory.mktemp("bssafety"))
    try:
        e.up()
        yield e
    finally:
        e.down(purge=True)


@pytest.fixture(autouse=True)
def _no_password_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(app_user.PASSWORD_ENV, raising=False)


def unique(prefix: str = "u") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def rows(
    env: LocalEnv, sql: str, params: tuple[Any, ...] = (), role: str = "primary"
) -> list[tuple[Any, ...]]:
    with env.ops_cursor(role) as cur:  # type: ignore[arg-type]
        cur.execute(sql, params)
        return [tuple(row) for row in cur.fetchall()] if cur.with_rows else []


def execute(env: LocalEnv, *statements: str) -> None:
    with env.ops_cursor("primary") as cur:
        for sql in statements:
            cur.execute(sql)


def auth_string(env: LocalEnv, user: str, host: str = "%") -> str:
    found = rows(
        env, "SELECT authentication_string FROM mysql.user WHERE User = %s AND Host = %s", (user, host)
    )
    return str(found[0][0]) if found else ""


def grants(env: LocalEnv, user: str, host: str = "%") -> list[str]:
    return [str(r[0]) for r in rows(env, f"SHOW GRANTS FOR '{user}'@'{host}'")]


def binlog(env: LocalEnv) -> str:
    """Every event of the primary's binary logs, as SHOW BINLOG EVENTS shows them."""
    text = []
    for name, *_ in rows(env, "SHOW BINARY LOGS"):
        text += [str(event[-1]) for event in rows(env, f"SHOW BINLOG EVENTS IN '{name}'")]
    return "\n".join(text)


def can_log_in(env: LocalEnv, user: str, password: str) -> bool:
    try:
        env.connect("writer", user=user, password=password).close()
    except Exception as exc:
        assert "1045" in str(exc), exc
        return False
    return True


def copy_outputs(env: LocalEnv, folder: Path, **changes: Any) -> Path:
    data = json.loads(env.outputs_path.read_text())
    data.update(changes)
    for key, value in changes.items():
        if value is None:
            del data[key]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "outputs.json"
    path.write_text(json.dumps(data))
    path.chmod(0o600)
    return path


def stderr_line(err: str) -> str:
    """stderr is one line and no traceback."""
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err.strip()


# --- 1: an existing user's password is never replaced unless asked ---------------------------------


def test_fails_when_the_app_user_exists_but_its_password_is_not_at_hand(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = unique()
    code, _out, err = run_main(capsys, "--outputs", str(env.outputs_path), "--app-user", user, SKIP)
    assert code == 0, err
    password_file = env.outputs_path.parent / f"local-{user}.password"
    password, before = password_file.read_text().strip(), auth_string(env, user)

    # The same stack's outputs saved in another folder: no password file there. A pending
    # migration shows that a refusal changes nothing, not even the schema.
    moved = copy_outputs(env, tmp_path / "elsewhere")
    history = unique("hist")
    marker = unique("TempDB.t")
    sql_dir = sql_copy(tmp_path, {"V900__marker.sql": f"CREATE TABLE {marker} (id INT);\n"})
    args = ["--outputs", str(moved), "--app-user", user, "--sql-dir", str(sql_dir), "--ops-schema", history]
    code, out, err = run_main(capsys, *args, SKIP)
    assert code == errors.EXIT_BAD_INPUT
    line = stderr_line(err)
    assert f"application user '{user}'@'%' exists but its password is not at hand" in line
    assert str(moved.parent / f"local-{user}.password") in line and "--rotate-app-password" in line
    assert "applied V" not in out
    assert not (moved.parent / f"local-{user}.password").exists()
    assert auth_string(env, user) == before and can_log_in(env, user, password)
    assert rows(
        env, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (history,)
    ) == [(0,)]

    # With the file the applications use, or the variable holding its value: kept, not re-sent.
    code, out, err = run_main(capsys, *args, "--app-password-file", str(password_file), SKIP)
    assert code == 0, err
    assert f"'{user}'@'%' (SELECT, INSERT, UPDATE, DELETE, EXECUTE, SHOW VIEW on `app`.*; password in" in out
    assert out.rstrip().count("; kept)") == 1
    monkeypatch.setenv(app_user.PASSWORD_ENV, password)
    assert run_main(capsys, *args, SKIP)[0] == 0
    assert auth_string(env, user) == before and can_log_in(env, user, password)


def test_fails_when_the_password_at_hand_is_not_the_live_one(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = unique()
    assert run_main(capsys, "--outputs", str(env.outputs_path), "--app-user", user, SKIP)[0] == 0
    before = auth_string(env, user)
    monkeypatch.setenv(app_user.PASSWORD_ENV, "Not-the-live-" + secrets.token_urlsafe(8))
    code, _out, err = run_main(capsys, "--outputs", str(env.outputs_path), "--app-user", user, SKIP)
    assert code == errors.EXIT_BAD_INPUT
    assert f"from ${app_user.PASSWORD_ENV} is not the live password of '{user}'@'%'" in stderr_line(err)
    assert auth_string(env, user) == before


def test_rotates_only_when_asked_and_never_sends_an_unchanged_password(
    env: LocalEnv, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = unique()
    base = ["--outputs", str(env.outputs_path), "--app-user", user, SKIP]
    assert run_main(capsys, *base)[0] == 0
    password_file = env.outputs_path.parent / f"local-{user}.password"
    old = password_file.read_text().strip()

    code, out, err = run_main(capsys, *base, "--rotate-app-password")
    assert code == 0, err
    assert "; rotated)" in out
    new = password_file.read_text().strip()
    assert new != old and oct(password_file.stat().st_mode & 0o777) == "0o600"
    assert can_log_in(env, user, new) and not can_log_in(env, user, old)
    assert [p.name for p in password_file.parent.glob(f".local-{user}*")] == []  # no staged file left

    # Rotating to the password it already has: nothing is sent (so nothing is logged).
    alters = binlog(env).count(f"ALTER USER '{user}'")
    monkeypatch.setenv(app_user.PASSWORD_ENV, new)
    code, out, err = run_main(capsys, *base, "--rotate-app-password")
    assert code == 0, err
    assert "; unchanged)" in out
    assert binlog(env).count(f"ALTER USER '{user}'") == alters
    assert old not in binlog(env) and new not in binlog(env)


# --- 2: only accounts the bootstrap created --------------------------------------------------------


def test_refuses_the_master_user_as_app_user_and_its_password_survives(
    local_env_factory: Callable[..., LocalEnv], capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = local_env_factory()  # its own: were the master password overwritten, nothing else would run
    code, out, err = run_main(capsys, "--outputs", str(fresh.outputs_path), "--app-user", "admin", SKIP)
    assert code == errors.EXIT_BAD_INPUT
    assert "application user 'admin' is the master user (the outputs' db.username)" in stderr_line(err)
    assert "connected to writer" not in out
    fresh.connect("writer").close()  # the master password still works


def test_refuses_an_existing_account_the_bootstrap_did_not_create(
    env: LocalEnv, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    person, elsewhere = unique("alice"), unique("svc")
    execute(
        env,
        f"CREATE USER '{person}'@'%' IDENTIFIED BY 'alice-Password-1'",
        f"GRANT SELECT ON TempDB.* TO '{person}'@'%'",
        # Same name, another host: creating name@'%' would be a second account that shadows it.
        f"CREATE USER '{elsewhere}'@'10.1.2.3' IDENTIFIED BY 'svc-Password-1'",
    )
    before = auth_string(env, person), grants(env, person)
    monkeypatch.setenv(app_user.PASSWORD_ENV, "Attacker-chosen-" + secrets.token_urlsafe(8))
    for user, host in ((person, "%"), (elsewhere, "10.1.2.3")):
        code, out, err = run_main(capsys, "--outputs", str(env.outputs_path), "--app-user", user, SKIP)
        assert code == errors.EXIT_BAD_INPUT
        line = stderr_line(err)
        assert f"already exists as '{user}'@'{host}', which the bootstrap did not create" in line
        assert "--adopt-app-user" in line and "applied V" not in out
    assert (auth_string(env, person), grants(env, person)) == before
    assert rows(env, "SELECT Host FROM mysql.user WHERE User = %s", (elsewhere,)) == [("10.1.2.3",)]


def test_adopts_an_older_bootstraps_account_only_when_asked(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user, password = unique("legacy"), "Legacy-" + secrets.token_urlsafe(12)
    # What a bootstrap made before accounts were recorded.
    execute(
        env,
        f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}' REQUIRE SSL",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE, SHOW VIEW, DROP ON app.* TO '{user}'@'%'",
    )
    password_file = tmp_path / "legacy.password"
    password_file.write_text(password + "\n")
    before = auth_string(env, user)
    args = ["--outputs", str(env.outputs_path), "--app-user", user, "--app-password-file", str(password_file)]
    assert run_main(capsys, *args, SKIP)[0] == errors.EXIT_BAD_INPUT

    code, out, err = run_main(capsys, *args, "--adopt-app-user", SKIP)
    assert code == 0, err
    assert f"revoked from '{user}'@'%': DROP ON `app`.*" in out
    assert auth_string(env, user) == before and can_log_in(env, user, password)
    recorded = rows(env, "SELECT host, how FROM mysql_platform.app_accounts WHERE user = %s", (user,))
    assert recorded == [("%", "adopted")]
    assert run_main(capsys, *args, SKIP)[0] == 0  # recorded now: no flag needed any more


# --- 3: grants reconciled to the documented set, printed as the server reports them ----------------


EXPECTED_SCHEMA_GRANT = "GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE, SHOW VIEW ON `app`.* TO `{u}`@`%`"


def summary_grants(out: str) -> list[str]:
    return [
        line.removeprefix("app user grant: ")
        for line in out.splitlines()
        if line.startswith("app user grant: ")
    ]


def test_revokes_privileges_beyond_the_documented_set_at_every_level(
    env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    user, role, proc = unique(), unique("role"), unique("p")
    base = ["--outputs", str(env.outputs_path), "--app-user", user, SKIP]
    assert run_main(capsys, *base)[0] == 0
    execute(
        env,
        f"GRANT PROCESS, SELECT ON *.* TO '{user}'@'%' WITH GRANT OPTION",
        f"GRANT SELECT, UPDATE ON mysql.* TO '{user}'@'%'",
        f"GRANT CREATE, DROP ON app.* TO '{user}'@'%'",
        f"GRANT INSERT ON ops.schema_history TO '{user}'@'%'",
        f"GRANT UPDATE (description) ON ops.schema_history TO '{user}'@'%'",
        "CREATE DATABASE IF NOT EXISTS TempDB",
        f"CREATE PROCEDURE TempDB.{proc}() SELECT 1",
        f"GRANT EXECUTE ON PROCEDURE TempDB.{proc} TO '{user}'@'%'",
        f"CREATE ROLE {role}",
        f"GRANT ALTER ON *.* TO {role}",
        f"GRANT {role} TO '{user}'@'%'",
    )
    assert (
        len(grants(env, user)) == 6
    )  # role, *.*, mysql.*, app.*, the table (with its column), the procedure

    code, out, err = run_main(capsys, *base)
    assert code == 0, err
    revoked = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("revoked from")]
    assert "PROCESS, SELECT ON *.*" in revoked and "GRANT OPTION ON *.*" in revoked
    assert "SELECT, UPDATE ON `mysql`.*" in revoked and "CREATE, DROP ON `app`.*" in revoked
    assert "INSERT ON `ops`.`schema_history`" in revoked
    assert "UPDATE (`description`) ON `ops`.`schema_history`" in revoked
    assert f"EXECUTE ON PROCEDURE `TempDB`.`{proc}`" in revoked
    assert any(line.startswith("ALL PRIVILEGES, GRANT OPTION") for line in revoked), (
        "the role: admin lacks ADMIN"
    )
    server = grants(env, user)
    assert len(server) == 2 and server[1] == EXPECTED_SCHEMA_GRANT.format(u=user)
    assert server[0].startswith(f"GRANT USAGE ON *.* TO `{user}`@`%` IDENTIFIED BY PASSWORD '*")
    assert server[0].endswith(" REQUIRE SSL")
    # The summary prints what SHOW GRANTS says, the hash redacted.
    assert summary_grants(out) == [app_user.redact(line) for line in server]
    assert "'<redacted>'" in summary_grants(out)[0] and auth_string(env, user) not in out


def test_clears_privileges_the_master_user_cannot_revoke_one_by_one(
    env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    user = unique()
    base = ["--outputs", str(env.outputs_path), "--app-user", user, SKIP]
    assert run_main(capsys, *base)[0] == 0
    # ALL on a schema includes DELETE HISTORY, which the admin account (like RDS's master) lacks.
    execute(env, "CREATE DATABASE IF NOT EXISTS TempDB", f"GRANT ALL ON TempDB.* TO '{user}'@'%'")
    code, out, err = run_main(capsys, *base)
    assert code == 0, err
    assert "ALL PRIVILEGES, GRANT OPTION (could not revoke" in out
    assert grants(env, user)[1:] == [EXPECTED_SCHEMA_GRANT.format(u=user)]


# --- 5: no plaintext password in the binary log ----------------------------------------------------


def test_binary_log_never_holds_the_app_password_after_two_runs(
    env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    user = unique()
    base = ["--outputs", str(env.outputs_path), "--app-user", user]
    assert run_main(capsys, *base)[0] == 0
    assert run_main(capsys, *base)[0] == 0
    password = (env.outputs_path.parent / f"local-{user}.password").read_text().strip()
    for role in ("primary", "replica"):
        log = "\n".join(
            str(event[-1])
            for name, *_ in rows(env, "SHOW BINARY LOGS", role=role)
            for event in rows(env, f"SHOW BINLOG EVENTS IN '{name}'", role=role)
        )
        assert password not in log, role
        assert f"CREATE USER '{user}'" in log, role  # the replica logs what it applies too
    events = [line for line in binlog(env).splitlines() if f"USER '{user}'" in line]
    assert len(events) == 1 and "IDENTIFIED BY PASSWORD '*" in events[0], events  # one CREATE, no ALTER
    # The same with mysqlbinlog over the files, in case SHOW BINLOG EVENTS shortened anything.
    tool = shutil.which("mariadb-binlog") or shutil.which("mysqlbinlog")
    if tool:
        datadir = str(rows(env, "SELECT @@datadir")[0][0])
        files = sorted(Path(datadir).glob("binlog.[0-9]*"))
        dumped = subprocess.run([tool, *map(str, files)], capture_output=True, check=True).stdout
        assert password.encode() not in dumped


# --- 4: TLS is required, also without a CA ---------------------------------------------------------


@dataclass(frozen=True)
class PlainServer:
    port: int
    general_log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def plain_server(env: LocalEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlainServer]:
    """A throwaway MariaDB on loopback with TLS off, and the environment's admin account on it."""
    root = tmp_path_factory.mktemp("plain")
    port, sock = _free_port(), root / "s.sock"
    cnf = root / "my.cnf"
    lines = ["[mariadbd]", *(["user=root"] if os.geteuid() == 0 else [])]
    lines += [f"datadir={root / 'data'}", f"socket={sock}", f"pid-file={root / 'pid'}"]
    lines += [f"log-error={root / 'error.log'}", f"port={port}", "bind-address=127.0.0.1", "skip-ssl"]
    lines += ["skip-name-resolve", "general_log=ON", f"general_log_file={root / 'general.log'}"]
    lines += ["innodb_buffer_pool_size=32M", "innodb_log_file_size=8M", "performance_schema=OFF"]
    cnf.write_text("\n".join(lines) + "\n")
    install = [str(find_binary("mariadb-install-db")), f"--defaults-file={cnf}", "--skip-test-db"]
    install += ["--auth-root-authentication-method=socket", f"--auth-root-socket-user={getpass.getuser()}"]
    subprocess.run(install, check=True, capture_output=True)
    server = subprocess.Popen(
        [str(find_binary("mariadbd")), f"--defaults-file={cnf}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def listening() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        wait_until(listening, 30, "the plain MariaDB to listen")
        password = env.admin_password.reveal()
        # Through stdin, never argv: /proc shows argv to everyone.
        subprocess.run(
            [str(find_binary("mariadb")), "--no-defaults", "-S", str(sock), "-u", "root"],
            input=f"CREATE USER 'admin'@'%' IDENTIFIED BY '{password}'; GRANT ALL ON *.* TO 'admin'@'%';"
            "SELECT @@have_ssl;",
            text=True,
            check=True,
            capture_output=True,
        )
        yield PlainServer(port, root / "general.log")
    finally:
        server.terminate()
        server.wait(30)


@pytest.mark.parametrize("with_ca", [False, True], ids=["no_ca", "with_ca"])
def test_refuses_a_server_without_tls_before_logging_in(
    env: LocalEnv,
    plain_server: PlainServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    with_ca: bool,
) -> None:
    data = json.loads(env.outputs_path.read_text())
    writer = {"host": "127.0.0.1", "port": plain_server.port}
    changes: dict[str, Any] = {"db": {**data["db"], "writer": writer, "readers": []}}
    if not with_ca:
        changes["ssl_ca"] = None
    path = copy_outputs(env, tmp_path, **changes)
    started = time.monotonic()
    code, out, err = run_main(
        capsys, "--outputs", str(path), "--connect-timeout", "20", "--app-user", unique()
    )
    assert code == errors.EXIT_CONNECT, out + err
    assert time.monotonic() - started < 5, "a server without TLS does not grow it: fail fast"
    assert f"refusing to log in to admin@127.0.0.1:{plain_server.port}: the server does not offer TLS" in err
    assert "connected to writer" not in out
    log = plain_server.general_log.read_text(errors="replace")
    assert "admin@" not in log, "the server saw a login attempt"


def test_local_outputs_without_a_ca_still_get_an_encrypted_session(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy_outputs(env, tmp_path, ssl_ca=None)
    user = unique()
    code, out, err = run_main(capsys, "--outputs", str(path), "--app-user", user, SKIP)
    assert code == 0, err
    assert "bootstrap: warning: no CA given" in err and "NOT verified" in err
    assert "connected to writer" in out and "(TLS TLS_" in out and "server NOT verified" in out

    # Another environment without a CA: refused, unless the risk is taken explicitly.
    data = json.loads(env.outputs_path.read_text())
    public = {**data["db"], "publicly_accessible": True}  # reached directly, not through a host
    dev = copy_outputs(env, tmp_path / "dev", ssl_ca=None, environment="dev", db=public)
    args = ["--outputs", str(dev), "--app-user", unique(), SKIP]
    code, out, err = run_main(capsys, *args)
    assert code == errors.EXIT_BAD_INPUT and bootstrap_options.RDS_CA_BUNDLE_URL in stderr_line(err)
    code, out, err = run_main(capsys, *args, "--insecure-skip-verify")
    assert code == 0, err
    assert "--insecure-skip-verify" in err and "(TLS TLS_" in out


# --- 6: Ctrl-C, and a path traversal through the environment name ----------------------------------


def test_ctrl_c_while_waiting_prints_one_line_and_exits_130(env: LocalEnv) -> None:
    holder = env.connect("writer")
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT GET_LOCK('mysql-platform.migrations.ops', 0)")
            assert cur.fetchone()[0] == 1
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scripts.bootstrap",
                "--outputs",
                str(env.outputs_path),
                "--lock-timeout",
                "60",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if "waiting up to 60 s for the migration lock" in line:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        holder.close()
    assert proc.returncode == 130, err  # errors.EXIT_INTERRUPTED
    assert stderr_line(err) == "bootstrap: interrupted (Ctrl-C); rerun the bootstrap to finish"
    assert "applied V" not in out

    def gone() -> bool:  # the server dropped the bootstrap's session and its lock wait
        sessions = rows(
            env, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT GET_LOCK%'"
        )
        return sessions == [(0,)]

    wait_until(gone, 10, "the interrupted session to end")


def test_rejects_an_environment_name_that_leads_out_of_the_outputs_folder(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = unique()
    data = json.loads(env.outputs_path.read_text())
    public = {**data["db"], "publicly_accessible": True}  # reached directly, not through a host
    path = copy_outputs(env, tmp_path / "a" / "b", environment="../../escaped", db=public)
    code, _out, err = run_main(capsys, "--outputs", str(path), "--app-user", user, SKIP)
    assert list(tmp_path.rglob("*.password")) == [], "a password file was written outside a/b"
    assert code == errors.EXIT_BAD_INPUT
    assert "key 'environment' must be a stack name" in stderr_line(err)
    assert rows(env, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (user,)) == [(0,)]
