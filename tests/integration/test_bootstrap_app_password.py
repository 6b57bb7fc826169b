"""The application user's password on real MariaDB: never replaced unless asked, rotated only
when asked (and never re-sent unchanged), and never in plain text in the binary log.

One environment for the module (conftest's ``env``); every test uses its own application user
(and, where it adds migrations, its own history schema), so tests do not see each other's
accounts. ``$MYSQL_PLATFORM_APP_PASSWORD`` is unset for every test (``_no_password_variable``).
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.db import app_user
from mysql_platform.local.env import LocalEnv
from tests.support.bootstrap_env import (
    SKIP,
    auth_string,
    can_log_in,
    copy_outputs,
    rows,
    run_main,
    sql_copy,
    stderr_line,
    unique,
)

pytestmark = pytest.mark.usefixtures("_no_password_variable")


def binlog(env: LocalEnv) -> str:
    """Every event of the primary's binary logs, as SHOW BINLOG EVENTS shows them."""
    text = []
    for name, *_ in rows(env, "SHOW BINARY LOGS"):
        text += [str(event[-1]) for event in rows(env, f"SHOW BINLOG EVENTS IN '{name}'")]
    return "\n".join(text)


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
