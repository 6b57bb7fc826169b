"""The bootstrap fails fast and clearly when it cannot log in: a wrong password, a writer that
refuses or never answers, a server certificate the given CA did not sign.

Real MariaDB primary/replica + HAProxy: one environment for the module (conftest's ``env``).
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from mysql_platform import errors
from mysql_platform.local.env import LocalEnv
from tests.support.bootstrap_env import run_main, spawn


def outputs_with(env: LocalEnv, tmp_path: Path, **db_changes: Any) -> Path:
    data = json.loads(env.outputs_path.read_text())
    password = db_changes.pop("db_password", None)
    data["db"].update(db_changes)
    if password is not None:
        data["db_password"] = password
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- credentials and reachability ------------------------------------------------------------


def test_fails_on_wrong_password_with_a_clear_error_that_does_not_contain_it(
    env: LocalEnv, tmp_path: Path
) -> None:
    wrong = "Wrong-" + secrets.token_urlsafe(16)
    path = outputs_with(env, tmp_path, db_password=wrong)
    started = time.monotonic()
    proc = spawn("--outputs", str(path), "--connect-timeout", "30")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == errors.EXIT_CONNECT
    assert time.monotonic() - started < 10, "access denied must fail fast, not wait for the deadline"
    assert "access denied" in err and "1045" in err
    assert wrong not in out + err
    assert env.admin_password.reveal() not in out + err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_fails_on_unreachable_writer_within_the_configured_bound(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    with socket.socket() as listener:
        if kind == "silent":
            # Accepts TCP (kernel backlog) but never sends a MySQL greeting.
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            port = int(listener.getsockname()[1])
        else:
            port = free_port()
        path = outputs_with(env, tmp_path, writer={"host": "127.0.0.1", "port": port})
        bound = 1.5
        started = time.monotonic()
        code, _out, err = run_main(capsys, "--outputs", str(path), "--connect-timeout", str(bound))
        took = time.monotonic() - started
    assert code == errors.EXIT_CONNECT
    assert f"cannot connect to admin@127.0.0.1:{port} within 1.5 s" in err
    assert bound <= took < bound + 1.0


# --- a CA that did not sign the server's certificate ----------------------------------------------


def test_fails_fast_when_the_server_certificate_is_not_signed_by_the_given_ca(
    env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other_ca = tmp_path / "other-ca.pem"
    key = str(tmp_path / "other.key")
    argv = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=x"]
    argv += ["-keyout", key, "-out", str(other_ca)]
    subprocess.run(
        argv,
        check=True,
        capture_output=True,
    )
    started = time.monotonic()
    code, _out, err = run_main(
        capsys, "--outputs", str(env.outputs_path), "--ssl-ca", str(other_ca), "--connect-timeout", "30"
    )
    assert code == errors.EXIT_CONNECT
    assert "TLS verification failed" in err and "CERTIFICATE_VERIFY_FAILED" in err
    assert time.monotonic() - started < 5
