"""TLS is required on real MariaDB, also without a CA: a throwaway MariaDB without TLS on
loopback never sees a login, and local outputs without a CA still get an encrypted session.

One environment for the module (conftest's ``env``); every test uses its own application user
(and, where it adds migrations, its own history schema), so tests do not see each other's
accounts. ``$MYSQL_PLATFORM_APP_PASSWORD`` is unset for every test (``_no_password_variable``).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mysql_platform import errors
from mysql_platform.db import bootstrap_options
from mysql_platform.local.env import LocalEnv, find_binary
from tests.support.bootstrap_env import SKIP, copy_outputs, run_main, stderr_line, unique, wait_until

pytestmark = pytest.mark.usefixtures("_no_password_variable")


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
