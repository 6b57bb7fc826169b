"""The bootstrap against careless and hostile input, on real MariaDB (primary/replica, TLS):
Ctrl-C while it waits for the migration lock, and an environment name that leads out of the
outputs folder.

One environment for the module (conftest's ``env``); every test uses its own application user
(and, where it adds migrations, its own history schema), so tests do not see each other's
accounts. ``$MYSQL_PLATFORM_APP_PASSWORD`` is unset for every test (``_no_password_variable``).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.local.env import LocalEnv
from tests.support.bootstrap_env import (
    REPO,
    SKIP,
    SQL,
    copy_outputs,
    rows,
    run_main,
    stderr_line,
    unique,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("_no_password_variable")


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
                "--sql-dir",
                str(SQL),
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
