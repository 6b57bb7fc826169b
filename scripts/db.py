"""Connect to MySQL/MariaDB with mysql-connector-python: TLS, bounded retries, no leaked secrets.

- TLS: when a CA is given the server certificate *and* its host name are verified
  (``ssl_verify_cert`` / ``ssl_verify_identity``); without a CA the connector still
  negotiates TLS when the server offers it, but cannot tell who it is talking to.
- Waiting: a freshly created RDS instance refuses connections for a while, so
  :func:`open_connection` retries with exponential backoff and full jitter until an
  overall deadline. Each attempt's own timeout is capped by the time left, so the
  deadline holds even against a host that drops packets.
- Failing fast: "access denied" and certificate failures will not heal by waiting.
- Secrets: error texts are built here from the endpoint and the server's error
  number/message, scrubbed of the password, and raised ``from None`` so the
  connector's exception (and its arguments) is not chained into tracebacks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import mysql.connector
from mysql.connector.connection import MySQLConnection

from components.contract import Secret

# Client errors that mean "not reachable (yet)": refused, unknown host, lost during
# handshake, server gone, too many connections, and the connector's own timeout.
RETRYABLE_ERRNOS = frozenset({1040, 1203, 2002, 2003, 2005, 2006, 2013, 2055})
# Server errors about the credentials or the account: waiting will not help.
ACCESS_DENIED_ERRNOS = frozenset({1044, 1045, 1698, 1251, 2059, 3159})
# Errors seen when an established connection dies (server killed, failover, network cut).
CONNECTION_LOST_ERRNOS = frozenset({2006, 2013, 2055})
_TLS_FAILURE_MARKERS = ("certificate verify failed", "hostname mismatch", "ip address mismatch")


class DbError(Exception):
    """Base class: a database problem with a message safe to print."""


class AccessDenied(DbError):
    """The server refused the credentials (or TLS identity): retrying will not help."""


class Unreachable(DbError):
    """No connection could be made before the deadline."""


class ConnectionLost(DbError):
    """An established connection died while working."""


@dataclass(frozen=True)
class Target:
    """Where and as whom to connect. ``password`` is a Secret: it never prints."""

    host: str
    port: int
    user: str
    password: Secret = field(repr=False)
    ssl_ca: str | None = None
    database: str | None = None
    # Through an SSH tunnel the certificate names the DB host, not the tunnel's local
    # end: turn this off there; the chain is still verified against ``ssl_ca``.
    verify_identity: bool = True

    def describe(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


@dataclass(frozen=True)
class Backoff:
    """Retry policy: overall deadline, first delay, growth factor, delay cap, attempt cap."""

    deadline_s: float = 60.0
    initial_s: float = 0.1
    factor: float = 2.0
    max_delay_s: float = 2.0
    attempt_timeout_s: float = 10.0


def scrub(text: str, secret: Secret) -> str:
    """Replace the secret in ``text``: defence in depth for messages we did not write."""
    value = secret.reveal()
    return text.replace(value, "********") if value else text


def describe_error(exc: BaseException, secret: Secret) -> str:
    errno = getattr(exc, "errno", None)
    msg = getattr(exc, "msg", None) or str(exc)
    text = f"error {errno}: {msg}" if errno else str(msg)
    return scrub(text, secret)


def is_connection_lost(exc: BaseException) -> bool:
    return isinstance(exc, mysql.connector.Error) and exc.errno in CONNECTION_LOST_ERRNOS


def _is_tls_failure(exc: mysql.connector.Error) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in _TLS_FAILURE_MARKERS)


def connect_once(target: Target, timeout_s: float) -> MySQLConnection:
    """One attempt, no retry. The connector is called with keyword arguments only."""
    kwargs: dict[str, Any] = {
        "host": target.host,
        "port": target.port,
        "user": target.user,
        "password": target.password.reveal(),
        "connection_timeout": max(timeout_s, 0.05),
        "charset": "utf8mb4",
        "autocommit": True,
        "use_pure": True,  # the C extension does not load on Debian 12 (facts, pitfall 11)
    }
    if target.database:
        kwargs["database"] = target.database
    if target.ssl_ca:
        kwargs.update(ssl_ca=target.ssl_ca, ssl_verify_cert=True, ssl_verify_identity=target.verify_identity)
    return MySQLConnection(**kwargs)


def open_connection(
    target: Target,
    backoff: Backoff,
    *,
    connect: Callable[[Target, float], MySQLConnection] = connect_once,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> MySQLConnection:
    """Connect, retrying reachability errors with backoff until ``backoff.deadline_s``.

    Raises :class:`AccessDenied` at once on credential/TLS-identity errors and
    :class:`Unreachable` when the deadline passes. Messages never contain the password.
    """
    rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    deadline = clock() + backoff.deadline_s
    delay = backoff.initial_s
    attempts = 0
    while True:
        attempts += 1
        remaining = deadline - clock()
        try:
            return connect(target, min(backoff.attempt_timeout_s, max(remaining, 0.05)))
        except mysql.connector.Error as exc:
            _raise_if_permanent(exc, target)
            last = describe_error(exc, target.password)
        remaining = deadline - clock()
        if remaining <= 0:
            raise Unreachable(
                f"cannot connect to {target.describe()} within {backoff.deadline_s:g} s "
                f"({attempts} attempts); last {last}"
            ) from None
        # Full jitter spreads out many bootstraps waiting for the same new instance.
        sleep(min(rng.uniform(0, delay), remaining))
        delay = min(delay * backoff.factor, backoff.max_delay_s)


def _raise_if_permanent(exc: mysql.connector.Error, target: Target) -> None:
    if exc.errno in ACCESS_DENIED_ERRNOS:
        raise AccessDenied(
            f"access denied connecting to {target.describe()}: {describe_error(exc, target.password)} "
            "(check the user and password in the outputs)"
        ) from None
    if _is_tls_failure(exc):
        raise AccessDenied(
            f"TLS verification failed connecting to {target.describe()} with CA {target.ssl_ca!r}: "
            f"{describe_error(exc, target.password)}"
        ) from None
    if exc.errno is not None and exc.errno not in RETRYABLE_ERRNOS and exc.errno < 2000:
        # Any other server-side error (e.g. unknown database) is a configuration problem.
        raise AccessDenied(
            f"server refused connection to {target.describe()}: {describe_error(exc, target.password)}"
        ) from None


@contextmanager
def connection(target: Target, backoff: Backoff) -> Iterator[MySQLConnection]:
    """Open a connection (with retries) and always close it."""
    conn = open_connection(target, backoff)
    try:
        yield conn
    finally:
        _close_quietly(conn)


def _close_quietly(conn: MySQLConnection) -> None:
    # Closing a connection whose server died raises; the original error matters more.
    with suppress(mysql.connector.Error):
        conn.close()
