"""Connecting: bounded backoff, fail-fast on credentials/TLS, no password in any error text."""

from __future__ import annotations

import os
import random
import ssl
import traceback
from typing import Any

import mysql.connector
import pytest
from mysql.connector import errors

from mysql_platform.core.contract import Secret
from mysql_platform.db import connection as db

PASSWORD = "S3cret-" + "pw-value-never-shown"
TARGET = db.Target(host="db.example.test", port=3306, user="admin", password=Secret(PASSWORD), ssl_ca=None)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def failing(errno: int, msg: str, clock: FakeClock | None = None, cost: float = 0.0) -> Any:
    calls: list[float] = []

    def connect(target: db.Target, timeout: float) -> Any:
        calls.append(timeout)
        if clock is not None:
            clock.now += min(cost, timeout)
        raise errors.InterfaceError(errno=errno, msg=msg)

    connect.calls = calls  # type: ignore[attr-defined]
    return connect


def test_retries_unreachable_with_growing_jittered_delays_until_the_deadline() -> None:
    clock = FakeClock()
    connect = failing(2003, "Can't connect to MySQL server (111 Connection refused)")
    backoff = db.Backoff(deadline_s=10, initial_s=0.1, factor=2, max_delay_s=1.0)
    with pytest.raises(db.Unreachable, match=r"within 10 s \(\d+ attempts\); last error 2003") as info:
        db.open_connection(
            TARGET, backoff, connect=connect, sleep=clock.sleep, clock=clock, rng=random.Random(7)
        )
    assert clock.now - 100.0 == pytest.approx(10.0)  # waited exactly up to the deadline, not beyond
    caps = [min(0.1 * 2**i, 1.0) for i in range(len(clock.sleeps))]
    assert all(0 <= s <= cap + 1e-9 for s, cap in zip(clock.sleeps[:-1], caps, strict=False))
    assert len(connect.calls) >= 10
    assert "db.example.test:3306" in str(info.value)


def test_attempt_timeout_is_capped_by_the_time_left() -> None:
    clock = FakeClock()
    # Each attempt hangs for its whole timeout (a host that drops packets).
    connect = failing(2003, "timed out", clock, cost=100.0)
    backoff = db.Backoff(deadline_s=3, attempt_timeout_s=10)
    with pytest.raises(db.Unreachable):
        db.open_connection(TARGET, backoff, connect=connect, sleep=clock.sleep, clock=clock)
    assert connect.calls[0] == pytest.approx(3.0)
    assert clock.now - 100.0 <= 3.0 + 1e-9


def test_a_server_that_never_answers_is_retried_with_short_then_longer_attempts() -> None:
    clock = FakeClock()
    connect = failing(2003, "timed out", clock, cost=100.0)  # each attempt hangs its whole timeout
    waits: list[db.Waiting] = []
    backoff = db.Backoff(deadline_s=30, attempt_timeout_s=10)
    with pytest.raises(db.Unreachable):
        db.open_connection(
            TARGET, backoff, connect=connect, sleep=clock.sleep, clock=clock, progress=waits.append
        )
    assert connect.calls[:4] == pytest.approx([3.0, 6.0, 9.0, 10.0], abs=0.3)  # jitter sleeps between
    assert [round(w.elapsed_s) for w in waits][:2] == [3, 9]  # heard of at each failure, 3 s apart at least


def test_a_wrapped_connector_message_is_one_line() -> None:
    exc = errors.OperationalError(
        errno=2055, msg="The Read Operation timed out\n  consider using\n reconnect()"
    )
    assert (
        db.describe_error(exc, Secret("pw"))
        == "error 2055: The Read Operation timed out consider using reconnect()"
    )


def test_succeeds_after_transient_failures() -> None:
    clock = FakeClock()
    attempts: list[int] = []

    def connect(target: db.Target, timeout: float) -> Any:
        attempts.append(1)
        if len(attempts) < 3:
            raise errors.OperationalError(errno=2013, msg="Lost connection at 'reading initial packet'")
        return "conn"

    assert db.open_connection(TARGET, db.Backoff(), connect=connect, sleep=clock.sleep, clock=clock) == "conn"
    assert len(attempts) == 3


@pytest.mark.parametrize(
    ("errno", "msg", "expected"),
    [
        (1045, "Access denied for user 'admin'@'10.0.0.1' (using password: YES)", "access denied"),
        (
            2055,
            "Lost connection: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
            "TLS verification",
        ),
        (1049, "Unknown database 'nope'", "server refused"),
    ],
)
def test_fails_fast_on_errors_that_waiting_cannot_fix(errno: int, msg: str, expected: str) -> None:
    clock = FakeClock()
    connect = failing(errno, msg)
    with pytest.raises(db.AccessDenied, match=expected):
        db.open_connection(TARGET, db.Backoff(deadline_s=60), connect=connect, sleep=clock.sleep, clock=clock)
    assert len(connect.calls) == 1 and clock.sleeps == []


def test_password_appears_in_no_message_repr_or_traceback() -> None:
    clock = FakeClock()
    # A driver message that (hypothetically) echoes the password must be scrubbed.
    connect = failing(1045, f"Access denied (password was {PASSWORD})")
    with pytest.raises(db.AccessDenied) as info:
        db.open_connection(TARGET, db.Backoff(), connect=connect, sleep=clock.sleep, clock=clock)
    text = "".join(traceback.format_exception(info.value))
    assert PASSWORD not in text and PASSWORD not in repr(info.value)
    assert "********" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert PASSWORD not in repr(TARGET) and PASSWORD not in str(TARGET)


def test_real_connector_error_against_a_closed_port_does_not_leak_the_password() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = db.Target("127.0.0.1", port, "admin", Secret(PASSWORD))
    with pytest.raises(db.Unreachable) as info:
        db.open_connection(target, db.Backoff(deadline_s=0.05))
    assert "2003" in str(info.value)
    assert PASSWORD not in "".join(traceback.format_exception(info.value))


def test_connection_lost_classification() -> None:
    assert db.is_connection_lost(errors.OperationalError(errno=2013, msg="Lost connection"))
    assert not db.is_connection_lost(errors.ProgrammingError(errno=1064, msg="syntax"))
    assert not db.is_connection_lost(ValueError("x"))
    assert issubclass(errors.InterfaceError, mysql.connector.Error)


@pytest.mark.parametrize("verify_identity", [True, False])
def test_a_ca_turns_on_certificate_verification(
    monkeypatch: pytest.MonkeyPatch, verify_identity: bool
) -> None:
    seen: dict[str, Any] = {}

    class Recorded:
        def __init__(self, **kwargs: Any) -> None:
            seen.update(kwargs)

    monkeypatch.setattr(db, "TlsRequiredConnection", Recorded)
    monkeypatch.setattr(db, "require_encrypted", lambda conn, target: "TLS_AES_256_GCM_SHA384")
    target = db.Target("h", 1, "u", Secret(PASSWORD), ssl_ca="/ca.pem", verify_identity=verify_identity)
    assert isinstance(db.connect_once(target, 5), Recorded)
    assert seen["ssl_ca"] == "/ca.pem" and seen["ssl_verify_cert"] is True
    assert seen["ssl_verify_identity"] is verify_identity
    assert seen["ssl_disabled"] is False
    seen.clear()
    # Without a CA TLS is still required (ssl_disabled=False), just not verified.
    db.connect_once(db.Target("h", 1, "u", Secret(PASSWORD)), 5)
    assert "ssl_ca" not in seen and seen["ssl_verify_cert"] is False and seen["ssl_disabled"] is False


def test_the_commands_point_openssls_default_trust_store_at_nothing_and_put_it_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mysql_platform.cli.db_options import trusting_only_the_given_ca

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", "/etc/my-cas")
    with trusting_only_the_given_ca():
        # The connector's load_default_certs() then adds nothing to the CA it is given.
        assert os.environ["SSL_CERT_FILE"] == os.environ["SSL_CERT_DIR"] == os.devnull
        assert ssl.create_default_context().cert_store_stats()["x509_ca"] == 0
    assert "SSL_CERT_FILE" not in os.environ and os.environ["SSL_CERT_DIR"] == "/etc/my-cas"
