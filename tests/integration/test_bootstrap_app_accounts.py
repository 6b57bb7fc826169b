"""The accounts the bootstrap will use on real MariaDB: only ones it created (or adopts when
asked), never the master user, with grants reconciled to the documented set.

One environment for the module (conftest's ``env``); every test uses its own application user
(and, where it adds migrations, its own history schema), so tests do not see each other's
accounts. ``$MYSQL_PLATFORM_APP_PASSWORD`` is unset for every test (``_no_password_variable``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.db import app_user
from mysql_platform.local.env import LocalEnv
from tests.support.bootstrap_env import (
    SKIP,
    auth_string,
    can_log_in,
    rows,
    run_main,
    stderr_line,
    unique,
)

pytestmark = pytest.mark.usefixtures("_no_password_variable")


def execute(env: LocalEnv, *statements: str) -> None:
    with env.ops_cursor("primary") as cur:
        for sql in statements:
            cur.execute(sql)


def grants(env: LocalEnv, user: str, host: str = "%") -> list[str]:
    return [str(r[0]) for r in rows(env, f"SHOW GRANTS FOR '{user}'@'{host}'")]


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
