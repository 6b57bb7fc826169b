"""The bootstrap requires TLS, without a database server: a stand-in that greets without TLS
gets not one byte of the login, and outside the local environment a CA is required.

Every case fails before a real server would be reached: the writer in the outputs is a closed
port (a run that gets as far as connecting exits 3, not 2), or a stand-in that speaks the first
packet of the MySQL protocol and records what the client sends back.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import mysql.connector
import pytest

from mysql_platform import errors
from mysql_platform.cli import bootstrap as bootstrap_cli
from mysql_platform.core import outputs
from mysql_platform.core.contract import Secret
from mysql_platform.db import bootstrap, bootstrap_options
from mysql_platform.db import connection as db
from tests.support.bootstrap_input import one_line, run, write_outputs
from tests.unit.test_bootstrap_cli import PASSWORD, outputs_dict

# The capability bits of a server greeting (protocol 10) that the client relies on.
_LONG_PASSWORD, _CONNECT_WITH_DB, _PROTOCOL_41, _SSL, _SECURE_CONNECTION = 0x1, 0x8, 0x200, 0x800, 0x8000
_PLUGIN_AUTH = 0x80000


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
