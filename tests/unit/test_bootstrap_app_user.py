"""The application account, without a database server: users and schemas the bootstrap may not
use, the grants it accepts, password hashes kept out of its output, rotation and adoption flags.

Input cases fail before a server would be reached (the ``no_connection`` fixture makes sure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mysql_platform import errors
from mysql_platform.cli import bootstrap as bootstrap_cli
from mysql_platform.core.contract import Secret
from mysql_platform.db import app_user, bootstrap
from tests.support.bootstrap_input import one_line, run, write_outputs
from tests.unit.test_bootstrap_cli import outputs_dict

# --- 2 and 3: accounts and schemas the bootstrap may not use ---------------------------------------


@pytest.mark.parametrize("user", ["admin", "ADMIN", "root", "rdsadmin"])
def test_rejects_the_master_user_or_a_reserved_one_as_app_user_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, user: str
) -> None:
    path = write_outputs(tmp_path, outputs_dict())  # db.username is "admin"
    code, _out, err = run(capsys, "--outputs", str(path), "--app-user", user, "--insecure-skip-verify")
    assert code == errors.EXIT_BAD_INPUT
    line = one_line(err.replace(err.splitlines()[0] + "\n", "", 1))  # after the insecure warning
    assert f"application user {user!r} is " in line
    assert "master user" in line or "reserved" in line


@pytest.mark.parametrize(
    "schema", ["mysql", "sys", "performance_schema", "information_schema", "MySQL", "ops"]
)
def test_rejects_a_system_schema_as_app_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, schema: str
) -> None:
    path = write_outputs(tmp_path, outputs_dict())
    code, _out, err = run(capsys, "--outputs", str(path), "--app-schema", schema)
    assert code == errors.EXIT_BAD_INPUT
    assert f"application schema {schema!r} is " in one_line(err)


def test_native_hash_is_what_mariadb_stores() -> None:
    # SELECT PASSWORD('plainpw3c') on MariaDB 10.11.
    assert app_user.native_hash(Secret("plainpw3c")) == "*E89E740AD2E2B2C0D2D9D44CE0911BE0AC261E8E"


def test_redacts_password_hashes_from_grants() -> None:
    line = (
        "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*E89E740AD2E2B2C0D2D9D44CE0911BE0AC261E8E'"
    )
    assert app_user.redact(line + " REQUIRE SSL") == (
        "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '<redacted>' REQUIRE SSL"
    )
    via = "CREATE USER `a`@`%` IDENTIFIED VIA ed25519 USING 'x\\'y' OR mysql_native_password USING '*AB'"
    assert "x" not in app_user.redact(via).split("USING")[1] and "*AB" not in app_user.redact(via)


def spec(**changes: Any) -> app_user.Spec:
    base: dict[str, Any] = {
        "name": "app", "host": "%", "schema": "shop", "ops_schema": "ops",
        "master_user": "admin", "password_file": Path("/nonexistent"),
    }  # fmt: skip
    return app_user.Spec(**{**base, **changes})


@pytest.mark.parametrize(
    "extra",
    [
        "GRANT PROCESS ON *.* TO `app`@`%`",
        "GRANT SELECT ON `mysql`.* TO `app`@`%`",
        "GRANT INSERT ON `ops`.`schema_history` TO `app`@`%`",
        "GRANT `dba` TO `app`@`%`",
        "GRANT PROXY ON 'admin'@'%' TO 'app'@'%'",
    ],
)
def test_verify_grants_rejects_anything_beyond_the_documented_set(extra: str) -> None:
    usage = "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '<redacted>' REQUIRE SSL"
    schema = "GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE, SHOW VIEW ON `shop`.* TO `app`@`%`"
    app_user.verify_grants([usage, schema], spec())
    with pytest.raises(app_user.AppUserFailure, match="unexpected: " + extra[:12]):
        app_user.verify_grants([usage, schema, extra], spec())
    with pytest.raises(app_user.AppUserFailure):
        app_user.verify_grants([usage, schema + " WITH GRANT OPTION"], spec())
    with pytest.raises(app_user.AppUserFailure):
        app_user.verify_grants([usage, schema.replace("SHOW VIEW", "SHOW VIEW, DROP")], spec())


def test_rotation_is_an_option_and_a_flag() -> None:
    args = bootstrap_cli.build_parser().parse_args(
        ["--outputs", "o.json", "--rotate-app-password", "--adopt-app-user"]
    )
    options = bootstrap_cli.options_from_args(args)
    assert options.rotate_app_password and options.adopt_app_user and not options.insecure_skip_verify
    assert bootstrap.Options().rotate_app_password is False


def test_existing_password_is_none_without_a_file_or_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(app_user.PASSWORD_ENV, raising=False)
    assert app_user.existing_password(tmp_path / "absent") is None
    assert not (tmp_path / "absent").exists(), "looking must not create a password"
    monkeypatch.setenv(app_user.PASSWORD_ENV, "from-env")
    assert app_user.existing_password(tmp_path / "absent") is not None
