"""Connect to MySQL/MariaDB with mysql-connector-python: TLS, bounded retries, no leaked secrets.

- TLS, always: the connection is refused *before the login is sent* when the server
  does not offer TLS, and checked to be encrypted afterwards. With a CA the server
  certificate *and* its host name are verified (``ssl_verify_cert`` /
  ``ssl_verify_identity``); without one (the caller decides when that is allowed) the
  session is encrypted but the server is not authenticated.
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

import math
import random
import socket
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import mysql.connector
from mysql.connector import errors
from mysql.connector.connection import MySQLConnection
from mysql.connector.constants import ClientFlag

from mysql_platform.core.contract import Secret
from mysql_platform.errors import EXIT_CONNECT, PlatformError

# Client errors that mean "not reachable (yet)": refused, unknown host, lost during
# handshake, server gone, too many connections, and the connector's own timeout.
RETRYABLE_ERRNOS = frozenset({1040, 1203, 2002, 2003, 2005, 2006, 2013, 2055})
# Server errors about the credentials or the account: waiting will not help.
ACCESS_DENIED_ERRNOS = frozenset({1044, 1045, 1698, 1251, 2059, 3159})
# Errors seen when an established connection dies (server killed, failover, network cut).
CONNECTION_LOST_ERRNOS = frozenset({2006, 2013, 2055})
# CR_SSL_CONNECTION_ERROR: the connector's "SSL is required but the server doesn't support
# it" (with a CA) and ours (without one); also TLS handshake failures. Never transient.
TLS_REQUIRED_ERRNO = 2026
_TLS_FAILURE_MARKERS = ("certificate verify failed", "hostname mismatch", "ip address mismatch")
# The connector's words (with a CA) and ours (without one) for a server that offers no TLS.
_NO_TLS_MARKERS = ("server doesn't support it", "server does not offer tls")

# Every connection this process opened and has not closed: Ctrl-C shuts their sockets
# (see abort_connections) so that no cleanup waits for a server that is busy answering.
_OPEN: weakref.WeakSet[MySQLConnection] = weakref.WeakSet()


class DbError(PlatformError):
    """Base class: a database problem with a message safe to print."""

    exit_code = EXIT_CONNECT
    label = "connection"


class AccessDenied(DbError):
    """The server refused the credentials (or TLS identity): retrying will not help."""


class Unreachable(DbError):
    """No connection could be made before the deadline."""


class ConnectionLost(DbError):
    """An established connection died while working."""


class NotEncrypted(AccessDenied):
    """The server does not offer TLS, or the session did not end up encrypted."""


@dataclass(frozen=True)
class Target:
    """Where and as whom to connect. ``password`` is a Secret: it never prints."""

    host: str
    port: int
    user: str
    password: Secret = field(repr=False)
    # None: TLS is still required, but the server's certificate is not verified.
    ssl_ca: str | None = None
    database: str | None = None
    # Through an SSH tunnel the certificate names the DB host, not the tunnel's local
    # end: turn this off there; the chain is still verified against ``ssl_ca``.
    verify_identity: bool = True

    def describe(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


_BACKOFF_FIELDS = ("deadline_s", "initial_s", "factor", "max_delay_s", "attempt_timeout_s", "report_every_s")


@dataclass(frozen=True)
class Backoff:
    """Retry policy: overall deadline, first delay, growth factor, delay cap, attempt cap."""

    deadline_s: float = 60.0
    initial_s: float = 0.1
    factor: float = 2.0
    max_delay_s: float = 2.0
    attempt_timeout_s: float = 10.0
    # How often a progress callback hears of a failing wait (after the first failure, at once).
    report_every_s: float = 3.0

    def __post_init__(self) -> None:
        # NaN compares false with everything: a NaN deadline would retry forever.
        for name in _BACKOFF_FIELDS:
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"Backoff.{name} must be a positive finite number, got {value!r}")


def scrub(text: str, secret: Secret) -> str:
    """Replace the secret in ``text``: defence in depth for messages we did not write."""
    value = secret.reveal()
    return text.replace(value, "********") if value else text


def describe_error(exc: BaseException, secret: Secret) -> str:
    errno = getattr(exc, "errno", None)
    msg = " ".join(str(getattr(exc, "msg", None) or exc).split())  # one line: the connector wraps some
    text = f"error {errno}: {msg}" if errno else msg
    return scrub(text, secret)


def is_connection_lost(exc: BaseException) -> bool:
    return isinstance(exc, mysql.connector.Error) and exc.errno in CONNECTION_LOST_ERRNOS


def _is_tls_failure(exc: mysql.connector.Error) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in _TLS_FAILURE_MARKERS)


class TlsRequiredConnection(MySQLConnection):
    """A connection that refuses a server which does not offer TLS, before the login is sent.

    The connector refuses such a server by itself only when it verifies certificates
    (``ssl_verify_cert``); without a CA it silently continues in clear text and sends
    the user name and the password's scramble unencrypted. The greeting is the last
    thing read before the login, so this is the one place to stop.
    """

    # The server's status flags of the last OK or EOF packet (in transaction, autocommit, session
    # state changed...): the connector keeps only two of them.
    server_status: int = 0

    def _handle_server_status(self, flags: int) -> None:
        super()._handle_server_status(flags)
        self.server_status = flags

    def _do_handshake(self) -> None:
        # The socket is connected and nothing is sent yet: the place to set its options.
        no_delay(getattr(self._socket, "sock", None))
        super()._do_handshake()
        capabilities = (self._handshake or {}).get("capabilities")
        if not isinstance(capabilities, int) or not capabilities & ClientFlag.SSL:
            raise errors.InterfaceError(
                msg="the server does not offer TLS; the login was not sent", errno=TLS_REQUIRED_ERRNO
            )


def no_delay(sock: object) -> None:
    """Turn Nagle's algorithm off on a TCP socket, as the ``mariadb`` client does.

    The connector sends a statement as TLS records of at most 16 KiB each; with Nagle on, the last
    part of a statement waits for the acknowledgement of the first, which the server delays (up to
    40 ms on Linux) because it is waiting for the rest. Measured here on loopback: a 30 KB INSERT
    took 50-60 ms with Nagle and 15-18 ms without.
    """
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def tls_arguments(target: Target) -> dict[str, Any]:
    """The connector's TLS keywords: TLS on, and verified when there is a CA.

    No ``tls_versions``: naming them makes the connector use ssl.PROTOCOL_TLS and OP_NO_TLSv1*,
    deprecated since Python 3.10 (a traceback where warnings are errors). Its default context,
    ``ssl.create_default_context()``, already refuses anything older than TLS 1.2.
    """
    if target.ssl_ca:
        return {
            "ssl_disabled": False,
            "ssl_ca": target.ssl_ca,
            "ssl_verify_cert": True,
            "ssl_verify_identity": target.verify_identity,
        }
    return {"ssl_disabled": False, "ssl_verify_cert": False, "ssl_verify_identity": False}


def connect_once(
    target: Target, timeout_s: float, *, multi_statements: bool = True, init_command: str | None = None
) -> MySQLConnection:
    """One attempt, no retry. The connector is called with keyword arguments only.

    ``multi_statements=False`` clears CLIENT_MULTI_STATEMENTS (set by the connector by default),
    so the server itself refuses a text holding several statements (error 1064) instead of
    running them all and leaving the results after the first on the connection.
    """
    kwargs: dict[str, Any] = {
        "host": target.host,
        "port": target.port,
        "user": target.user,
        "password": target.password.reveal(),
        "connection_timeout": max(timeout_s, 0.05),
        "charset": "utf8mb4",
        "autocommit": True,
        "use_pure": True,  # the C extension does not load on Debian 12 (facts, pitfall 11)
        **tls_arguments(target),
    }
    if target.database:
        kwargs["database"] = target.database
    if not multi_statements:
        kwargs["client_flags"] = [-ClientFlag.MULTI_STATEMENTS]
    if init_command:
        # Run at connect and again after every COM_RESET_CONNECTION (the connector's _post_connection).
        kwargs["init_command"] = init_command
    conn = TlsRequiredConnection(**kwargs)
    _OPEN.add(conn)
    try:
        require_encrypted(conn, target)
    except BaseException:
        close_quietly(conn)
        raise
    return conn


def session_cipher(conn: MySQLConnection) -> str:
    """The TLS cipher of this session as the server sees it; empty when not encrypted."""
    with conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        row = cur.fetchone()
    return str(row[1]) if isinstance(row, tuple) and row[1] else ""


def require_encrypted(conn: MySQLConnection, target: Target) -> str:
    """Second line of defence after the handshake check: the server must say the session is TLS."""
    cipher = session_cipher(conn)
    if not cipher:
        raise NotEncrypted(
            f"the session with {target.describe()} is not encrypted (Ssl_cipher is empty); TLS is required"
        )
    return cipher


def abort_connections() -> None:
    """Shut down every open connection's socket without a goodbye (for Ctrl-C).

    A statement interrupted while the server works (e.g. GET_LOCK waiting) leaves its
    answer pending; any cleanup query on that connection would first wait for it.
    The server rolls back and releases locks of a connection that goes away.
    """
    for conn in list(_OPEN):
        conn.shutdown()


@dataclass(frozen=True)
class Waiting:
    """A failed attempt while waiting for a server, as told to a progress callback."""

    target: Target
    attempts: int
    elapsed_s: float
    remaining_s: float
    error: str  # scrubbed of the password

    def describe(self) -> str:
        return (
            f"cannot reach {self.target.describe()} yet ({self.error}); attempt {self.attempts}, "
            f"{self.elapsed_s:.0f} s so far, retrying for {max(self.remaining_s, 0):.0f} s more"
        )


Progress = Callable[[Waiting], None]


def open_connection(
    target: Target,
    backoff: Backoff,
    *,
    progress: Progress | None = None,
    connect: Callable[[Target, float], MySQLConnection] = connect_once,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> MySQLConnection:
    """Connect, retrying reachability errors with backoff until ``backoff.deadline_s``.

    Raises :class:`AccessDenied` at once on credential/TLS-identity errors and
    :class:`Unreachable` when the deadline passes. Messages never contain the password.
    ``progress`` hears of the first retryable failure and then of one every
    ``backoff.report_every_s`` while the wait goes on (never of the last: the error says it).
    """
    rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    start = clock()
    deadline = start + backoff.deadline_s
    delay = backoff.initial_s
    attempts = 0
    next_report = start
    while True:
        attempts += 1
        remaining = deadline - clock()
        try:
            return connect(target, min(attempt_timeout(backoff, attempts), max(remaining, 0.05)))
        except mysql.connector.Error as exc:
            _raise_if_permanent(exc, target)
            last = describe_error(exc, target.password)
        remaining = deadline - clock()
        if remaining <= 0:
            raise Unreachable(
                f"cannot connect to {target.describe()} within {backoff.deadline_s:g} s "
                f"({attempts} attempts); last {last}"
            ) from None
        now = clock()
        if progress is not None and now >= next_report:
            progress(Waiting(target, attempts, now - start, deadline - now, last))
            next_report = now + backoff.report_every_s
        # Full jitter spreads out many bootstraps waiting for the same new instance.
        sleep(min(rng.uniform(0, delay), remaining))
        delay = min(delay * backoff.factor, backoff.max_delay_s)


def attempt_timeout(backoff: Backoff, attempt: int) -> float:
    """How long attempt number ``attempt`` may wait for the server to answer.

    A server that accepts and never answers (stopped, or a black hole behind a load balancer)
    costs a whole attempt: the first ones are short, so the wait is reported every
    ``report_every_s`` as it is for a refused port, and later ones grow up to
    ``attempt_timeout_s`` for a server that is only slow (a TLS handshake far away).
    """
    return min(backoff.attempt_timeout_s, backoff.report_every_s * attempt)


def _raise_if_permanent(exc: mysql.connector.Error, target: Target) -> None:
    if exc.errno == TLS_REQUIRED_ERRNO and any(m in str(exc).lower() for m in _NO_TLS_MARKERS):
        raise NotEncrypted(
            f"refusing to log in to {target.describe()}: the server does not offer TLS "
            "(nothing was sent; a server that drops TLS may be an impostor)"
        ) from None
    if exc.errno in ACCESS_DENIED_ERRNOS:
        raise AccessDenied(
            f"access denied connecting to {target.describe()}: {describe_error(exc, target.password)} "
            "(check the user and password in the outputs)"
        ) from None
    if _is_tls_failure(exc) or exc.errno == TLS_REQUIRED_ERRNO:
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
def connection(
    target: Target, backoff: Backoff, *, progress: Progress | None = None
) -> Iterator[MySQLConnection]:
    """Open a connection (with retries, ``progress`` told of the wait) and always close it."""
    conn = open_connection(target, backoff, progress=progress)
    try:
        yield conn
    finally:
        close_quietly(conn)


def close_quietly(conn: MySQLConnection) -> None:
    # Closing a connection whose server died raises; the original error matters more.
    _OPEN.discard(conn)
    with suppress(mysql.connector.Error):
        conn.close()


def fetch_rows(conn: MySQLConnection, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Run one parameterised query and return its rows as tuples."""
    with conn.cursor() as cur:
        cur.execute(sql, params)  # type: ignore[arg-type]
        return [tuple(row) for row in cur.fetchall()]


def execute(conn: MySQLConnection, sql: str, params: tuple[object, ...] = ()) -> None:
    """Run one parameterised statement that returns no rows."""
    with conn.cursor() as cur:
        cur.execute(sql, params)  # type: ignore[arg-type]
