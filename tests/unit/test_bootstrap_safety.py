"""The bootstrap against careless and hostile input, without a database server.

Every case here fails before a real server would be reached: the writer in the outputs is a
closed port (a run that gets as far as connecting exits 3, not 2), or a stand-in that speaks
the first packet of the MySQL protocol and records what the client sends back.
"""

from __future__ import annotations

import json
import socket
import stat
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mysql.connector
import pytest

from mysql_platform_core import outputs
from mysql_platform_core.contract import Secret
from scripts import errors
from scripts.cli import bootstrap as bootstrap_cli
from scripts.db import app_user, bootstrap, bootstrap_options
from scripts.db import connection as db
from tests.unit.test_bootstrap_cli import PASSWORD, outputs_dict

# The capability bits of a server greeting (protocol 10) that the client relies on.
_LONG_PASSWORD, _CONNECT_WITH_DB, _PROTOCOL_41, _SSL, _SECURE_CONNECTION = 0x1, 0x8, 0x200, 0x800, 0x8000
_PLUGIN_AUTH = 0x80000


def write_outputs(tmp_path: Path, data: dict[str, Any], mode: int = 0o600) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    path.chmod(mode)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = bootstrap_cli.main(list(argv))
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    """The whole of stderr, asserted to be one line without a traceback."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the bootstrap tries to connect: the input must be refused first."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the bootstrap tried to connect")

    monkeypatch.setattr(db, "open_connection", refuse)


# --- a stand-in server whose greeting offers no TLS -----------------------------------------------


def greeting(*, tls: bool) -> bytes:
    """A MariaDB 10.11 greeting packet; with ``tls=False`` it lacks the SSL capability."""
    caps = _LONG_PASSWORD | _CONNECT_WITH_DB | _PROTOCOL_41 | _SECURE_CONNECTION | _PLUGIN_AUTH
    caps |= _SSL if tls else 0
    payload = b"".join(
        [
            b"\x0a5.5.5-10.11.19-MariaDB\x00",
            struct.pack("<I", 7),  # connection id
            b"abcdefgh\x00",  # first part of the scramble
            struct.pack("<H", caps & 0xFFFF),
            b"\x2d",  # utf8mb4
            struct.pack("<H", 2),  # status: autocommit
            struct.pack("<H", caps >> 16),
            bytes([21]) + b"\x00" * 10,
            b"ijklmnopqrst\x00",
            b"mysql_native_password\x00",
        ]
    )
    return struct.pack("<I", len(payload))[:3] + b"\x00" + payload


@dataclass
class GreetingServer:
    """Accepts connections on loopback, greets without TLS, records every byte each client sends."""

    port: int = 0
    received: list[bytes] = field(default_factory=list)

    def sessions(self, count: int = 1, timeout_s: float = 5.0) -> list[bytes]:
        """What the first ``count`` clients sent, once they have hung up."""
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received[:count]


@pytest.fixture
def plain_greeter() -> Iterator[GreetingServer]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    server = GreetingServer(port=int(listener.getsockname()[1]))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was shut down: the test is over
                return
            with conn:
                conn.sendall(greeting(tls=False))
                # A client sends its login in one write and then waits for an answer that never
                # comes; a short silence ends the session as well as a hang-up does.
                conn.settimeout(0.1)
                data = b""
                try:
                    while chunk := conn.recv(4096):
                        data += chunk
                except (TimeoutError, OSError):
                    pass
                server.received.append(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        thread.join(5)


def test_the_plain_connector_sends_its_login_to_a_server_without_tls(plain_greeter: GreetingServer) -> None:
    # What the stand-in is for: without a CA the connector answers a TLS-less greeting in clear.
    with pytest.raises(mysql.connector.Error):
        mysql.connector.connect(
            host="127.0.0.1", port=plain_greeter.port, user="admin", password=PASSWORD,
            use_pure=True, connection_timeout=3,
        )  # fmt: skip
    assert b"admin" in plain_greeter.sessions()[0]


@pytest.mark.parametrize("ca", [None, "ca"], ids=["no_ca", "with_ca"])
def test_rejects_a_server_without_tls_before_sending_the_login(
    plain_greeter: GreetingServer, tmp_path: Path, ca: str | None
) -> None:
    ca_file = None
    if ca:
        ca_file = str(tmp_path / "ca.pem")
        Path(ca_file).write_text("unused: refused before the certificate matters\n")
    target = db.Target("127.0.0.1", plain_greeter.port, "admin", Secret(PASSWORD), ssl_ca=ca_file)
    started = time.monotonic()
    with pytest.raises(db.NotEncrypted, match="does not offer TLS"):
        db.open_connection(target, db.Backoff(deadline_s=20))
    assert time.monotonic() - started < 5, "a server without TLS will not grow it: fail fast"
    assert plain_greeter.sessions() == [b""], "not one byte (user name, scramble) may reach it"


def test_bootstrap_refuses_a_server_without_tls_even_when_verification_is_skipped(
    plain_greeter: GreetingServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = outputs_dict()
    data["db"]["writer"]["port"] = plain_greeter.port
    path = write_outputs(tmp_path, data)
    code, _out, err = run(capsys, "--outputs", str(path), "--insecure-skip-verify", "--connect-timeout", "20")
    assert code == errors.EXIT_CONNECT
    assert "--insecure-skip-verify" in err and "NOT verified" in err  # the loud warning
    assert "the server does not offer TLS" in err.splitlines()[-1]
    assert plain_greeter.sessions() == [b""]


# --- 4: a CA is required outside the local environment ----------------------------------------------


def test_rejects_a_missing_ca_outside_the_local_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None
) -> None:
    path = write_outputs(tmp_path, outputs_dict(environment="dev"))
    code, out, err = run(capsys, "--outputs", str(path))
    assert code == errors.EXIT_BAD_INPUT
    line = one_line(err)
    assert "no CA to verify the database server of environment 'dev'" in line
    assert bootstrap_options.RDS_CA_BUNDLE_URL in line and "--ssl-ca" in line
    assert "connected" not in out


def test_rejects_a_missing_ca_before_opening_a_tunnel_to_a_private_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no SSH key either: the CA must be named first
    data = outputs_dict(environment="prod")
    data["db"]["publicly_accessible"] = False
    code, _out, err = run(capsys, "--outputs", str(write_outputs(tmp_path, data)))
    assert code == errors.EXIT_BAD_INPUT
    line = one_line(err)
    assert "no CA to verify the database server of environment 'prod'" in line and "ssh" not in line.lower()


def test_insecure_skip_verify_is_loud_and_still_requires_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = outputs.parse_outputs(outputs_dict(environment="prod"))
    warnings: list[str] = []
    ca = bootstrap_options.tls_ca(parsed, bootstrap.Options(insecure_skip_verify=True), warnings.append)
    assert ca is None and len(warnings) == 1 and "NOT verified" in warnings[0]
    target = db.Target("h", 1, "u", Secret(PASSWORD), ssl_ca=ca)
    assert db.tls_arguments(target) == {
        "ssl_disabled": False,
        "ssl_verify_cert": False,
        "ssl_verify_identity": False,
    }
    assert "--insecure-skip-verify" in " ".join(bootstrap_cli.build_parser().format_help().split())


def test_local_environment_without_a_ca_warns_on_stderr() -> None:
    parsed = outputs.parse_outputs(outputs_dict(environment="local"))
    warnings: list[str] = []
    assert bootstrap_options.tls_ca(parsed, bootstrap.Options(), warnings.append) is None
    assert warnings == [
        "no CA given (--ssl-ca or ssl_ca in the outputs): TLS is required, but the server is NOT verified"
    ]


@pytest.mark.parametrize(
    "content",
    [b"not a certificate\n", b"", b"\x30\x82\x01\x0a\x02\x82\x01\x01\x00"],
    ids=["text", "empty", "der"],
)
def test_rejects_a_ca_file_that_is_not_pem_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, no_connection: None
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(content)
    path = write_outputs(tmp_path, outputs_dict())
    code, _out, err = run(capsys, "--outputs", str(path), "--ssl-ca", str(ca))
    assert code == errors.EXIT_BAD_INPUT
    line = one_line(err)
    assert f"--ssl-ca: CA file '{ca}' is not a PEM certificate bundle" in line
    assert "BEGIN CERTIFICATE" in line


# --- 6: bad numbers, files and names ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "1e999", "86401"])
@pytest.mark.parametrize("option", ["--connect-timeout", "--replication-timeout"])
def test_rejects_a_timeout_that_is_not_a_finite_positive_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, option: str, value: str
) -> None:
    path = write_outputs(tmp_path, outputs_dict())
    code, _out, err = run(capsys, "--outputs", str(path), f"{option}={value}")
    assert code == errors.EXIT_BAD_INPUT
    assert f"{option} must be a positive, finite number of seconds up to 86400" in one_line(err)


def test_backoff_refuses_a_deadline_that_never_comes() -> None:
    for value in (float("nan"), float("inf"), 0.0):
        with pytest.raises(ValueError, match="deadline_s must be a positive finite number"):
            db.Backoff(deadline_s=value)


def test_rejects_a_port_with_thousands_of_digits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None
) -> None:
    text = json.dumps(outputs_dict()).replace('"readers": []', '"readers": [{"host": "h", "port": 1}]')
    path = tmp_path / "outputs.json"
    path.write_text(text.replace('"port": 1}', '"port": ' + "7" * 5000 + "}"))
    code, _out, err = run(capsys, "--outputs", str(path))
    assert code == errors.EXIT_BAD_INPUT
    assert "holds a number with 5000 digits (at most 20 expected)" in one_line(err)


@pytest.mark.parametrize("depth", [100_000, 2_000])
def test_rejects_deeply_nested_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, depth: int
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text('{"environment": ' + "[" * depth + "]" * depth + "}")
    code, _out, err = run(capsys, "--outputs", str(path))
    assert code == errors.EXIT_BAD_INPUT
    line = one_line(err)
    assert "nests objects or lists too deeply" in line or "key 'environment' must be a string" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"environment": NaN}', "holds NaN, which JSON does not allow"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"{" + b" " * (1 << 20) + b"}", "is larger than 1048576 bytes: not stack outputs"),
    ],
    ids=["nan", "not_utf8", "huge"],
)
def test_rejects_other_hostile_outputs_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, text: bytes, expected: str
) -> None:
    path = tmp_path / "outputs.json"
    path.write_bytes(text)
    code, _out, err = run(capsys, "--outputs", str(path))
    assert code == errors.EXIT_BAD_INPUT
    assert expected in one_line(err)


@pytest.mark.parametrize("environment", ["../../escaped", "dev/../../x", "/etc/x", "..", ".hidden", "a\nb"])
def test_rejects_an_environment_name_that_could_leave_the_outputs_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, environment: str
) -> None:
    path = write_outputs(tmp_path, outputs_dict(environment=environment))
    code, _out, err = run(capsys, "--outputs", str(path))
    assert code == errors.EXIT_BAD_INPUT
    assert "key 'environment' must be a stack name" in one_line(err)


def test_password_file_refuses_an_environment_that_escapes_even_from_the_api(tmp_path: Path) -> None:
    parsed = outputs.parse_outputs(outputs_dict())
    escaped = type(parsed)(**{**parsed.__dict__, "environment": "../../escaped"})
    with pytest.raises(bootstrap.BadInput, match="cannot name the app password file"):
        bootstrap_options.password_file(escaped, bootstrap.Options(), tmp_path / "o.json")
    assert (
        bootstrap_options.password_file(parsed, bootstrap.Options(), tmp_path / "o.json").parent == tmp_path
    )


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_warns_when_the_outputs_file_is_readable_by_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: int
) -> None:
    path = write_outputs(tmp_path, outputs_dict(), mode=mode)
    code, _out, err = run(
        capsys, "--outputs", str(path), "--connect-timeout", "0.01", "--insecure-skip-verify"
    )
    assert code == errors.EXIT_CONNECT
    warnings = [line for line in err.splitlines() if "readable by group/others" in line]
    assert warnings == [
        f"bootstrap: warning: outputs file '{path}' holds the master password and is readable by "
        f"group/others (mode {mode:04o}); run: chmod 600 '{path}'"
    ]


def test_no_warning_for_a_private_outputs_file(tmp_path: Path) -> None:
    path = write_outputs(tmp_path, outputs_dict(), mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert outputs.permission_warning(path) is None


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
