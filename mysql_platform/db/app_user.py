"""The least-privilege application user: applications never connect as admin.

What the bootstrap keeps true about it (the README's security model):

- **Only its own account.** Creating the user records ``'name'@'host'`` in
  ``mysql_platform.app_accounts``; an existing account without that row (a person's, a
  service's, the master user's) is refused, never altered, unless ``adopt`` says it is
  the application account an older bootstrap made. A row, not ``CREATE USER ... COMMENT``:
  MariaDB 10.11 has no account comments or attributes (MySQL 8 has both), and a row works
  on both engines and replicates like the accounts do. Its own schema, not the ops schema:
  accounts are server-wide, while ``--ops-schema`` may differ between runs.
- **The password is never replaced unless rotation is asked for.** An existing user
  keeps its password; its source (see below) must be at hand, and on MariaDB it is
  checked against the server's hash before anything changes. Rotation generates a new
  one (or takes the environment variable's) and sends it only when it differs.
- **No plaintext in the binary log where the server allows it.** MariaDB logs
  ``CREATE/ALTER USER ... IDENTIFIED BY '<plaintext>'`` verbatim, so there the bootstrap
  sends the ``mysql_native_password`` hash (``IDENTIFIED BY PASSWORD '*...'``): the
  plaintext leaves this process only in the password file. MySQL 8 rewrites such
  statements to the stored hash in its binary, general and slow logs itself; its
  ``caching_sha2_password`` hash is salted, so the bootstrap can neither compute it
  beforehand nor compare a password with it: there the password is sent (over TLS)
  once at creation and once per rotation, and an unchanged one cannot be detected.
- **Grants are reconciled**, not added to: SELECT, INSERT, UPDATE, DELETE, EXECUTE and
  SHOW VIEW on the application schema; anything else (global, other schemas, tables,
  columns, routines, roles, GRANT OPTION) is revoked, and ``SHOW GRANTS`` is checked
  afterwards. ``REQUIRE SSL`` always (per-user TLS rather than
  ``require_secure_transport``, which would also make HAProxy's ``mysql-check`` login fail).

Password source, in order of precedence:
1. the environment variable :data:`PASSWORD_ENV`;
2. the password file, when it exists (a rerun keeps the password running applications use);
3. for a new user (or a rotation) a password generated with :mod:`secrets`, written to
   the password file with mode 0600 *before* the user is changed, so it cannot be lost.

The password is never printed; only the file's path is.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.core.contract import Secret
from mysql_platform.db import app_password
from mysql_platform.db.app_grants import SCHEMA_GRANT_RE, reconcile_grants, show_grants
from mysql_platform.db.app_grants import redact as redact
from mysql_platform.db.app_grants import verify_grants as verify_grants
from mysql_platform.db.app_password import PASSWORD_ENV as PASSWORD_ENV
from mysql_platform.db.app_password import PasswordSource, existing_password
from mysql_platform.db.app_password import native_hash as native_hash
from mysql_platform.db.app_password import resolve_password as resolve_password
from mysql_platform.db.app_user_spec import PRIVILEGES, REGISTRY, REGISTRY_SCHEMA
from mysql_platform.db.app_user_spec import AppUserError as AppUserError
from mysql_platform.db.app_user_spec import AppUserFailure as AppUserFailure
from mysql_platform.db.app_user_spec import Spec as Spec
from mysql_platform.db.app_user_spec import validate as validate
from mysql_platform.db.app_user_spec import validate_schema as validate_schema
from mysql_platform.db.app_user_spec import validate_spec as validate_spec
from mysql_platform.db.connection import execute, fetch_rows

_log = logging.getLogger(__name__)

# Accounts are server-wide, so is the lock that serializes bootstraps changing them.
LOCK_NAME = "mysql-platform.app-users"
_NO_SUCH_TABLE_ERRNOS = frozenset({1049, 1146})  # unknown database, unknown table


@dataclass(frozen=True)
class AppUser:
    name: str
    host: str
    schema: str
    password_origin: str
    action: str = "kept"  # created, kept, rotated, unchanged (rotation asked, same password)
    grants: tuple[str, ...] = ()  # SHOW GRANTS, hashes redacted
    revoked: tuple[str, ...] = ()

    def describe(self) -> str:
        return (
            f"'{self.name}'@'{self.host}' ({self._schema_privileges()}; "
            f"password {self.password_origin}; {self.action})"
        )

    def _schema_privileges(self) -> str:
        """What the server's SHOW GRANTS says on the schema (the documented set when not read)."""
        for line in self.grants:
            match = SCHEMA_GRANT_RE.match(line)
            if match:
                return f"{match['privs']} on `{match['schema']}`.*"
        return f"{', '.join(PRIVILEGES)} on `{self.schema}`.*"


@dataclass(frozen=True)
class _Current:
    """What the server holds now about accounts named like the application user."""

    hosts: tuple[str, ...]  # every host part with this user name
    managed: tuple[str, ...]  # those recorded as created (or adopted) by the bootstrap
    mariadb: bool
    plugin: str = ""  # of 'name'@'host', when it exists
    auth: str = field(default="", repr=False)  # its stored hash
    ssl_type: str = ""

    def exists(self, host: str) -> bool:
        return host in self.hosts


# --- what the server has --------------------------------------------------------------------


def _inspect(conn: MySQLConnection, spec: Spec) -> _Current:
    version = str(fetch_rows(conn, "SELECT VERSION()")[0][0])
    rows = fetch_rows(
        conn,
        "SELECT Host, plugin, authentication_string, ssl_type FROM mysql.user WHERE User = %s",
        (spec.name,),
    )
    hosts = tuple(str(row[0]) for row in rows)
    mine = next((row for row in rows if str(row[0]) == spec.host), None)
    return _Current(
        hosts=hosts,
        managed=_managed_hosts(conn, spec),
        mariadb="mariadb" in version.lower(),
        plugin=str(mine[1] or "") if mine else "",
        auth=str(mine[2] or "") if mine else "",
        ssl_type=str(mine[3] or "") if mine else "",
    )


def _managed_hosts(conn: MySQLConnection, spec: Spec) -> tuple[str, ...]:
    try:
        rows = fetch_rows(conn, f"SELECT host FROM {REGISTRY} WHERE user = %s", (spec.name,))
    except mysql.connector.Error as exc:
        if exc.errno in _NO_SUCH_TABLE_ERRNOS:
            return ()  # no bootstrap has created an account on this server yet
        raise
    return tuple(str(row[0]) for row in rows)


def _refuse_foreign(current: _Current, spec: Spec) -> None:
    foreign = [h for h in current.hosts if h not in current.managed and not (spec.adopt and h == spec.host)]
    if not foreign:
        return
    accounts = ", ".join(f"'{spec.name}'@'{h}'" for h in foreign)
    raise AppUserError(
        f"application user {spec.name!r} already exists as {accounts}, which the bootstrap did not "
        f"create (no row in {REGISTRY}): it may belong to a person or another service, so "
        "nothing was changed. Choose another --app-user; if it is the application account an "
        f"older bootstrap made, pass --adopt-app-user (takes over {spec.account()} only)"
    )


def _password_at_hand(current: _Current, spec: Spec) -> PasswordSource:
    """The existing user's password source; refuses when there is none or it is not the live one."""
    source = existing_password(spec.password_file)
    if source is None:
        raise AppUserError(
            f"application user {spec.account()} exists but its password is not at hand: no file "
            f"'{spec.password_file}' and ${PASSWORD_ENV} is unset. Its password is never replaced "
            "unless asked: pass --app-password-file with the file the applications use (or set "
            f"${PASSWORD_ENV}), or --rotate-app-password to give it a new one (applications must then "
            "get it); nothing was changed"
        )
    if app_password.matches(current.plugin, current.auth, source.secret) is False:
        raise AppUserError(
            f"the application password {source.origin} is not the live password of {spec.account()}: "
            "running applications use another one. Restore it, or pass --rotate-app-password to set a "
            "new one; nothing was changed"
        )
    return source


# --- the two entry points -------------------------------------------------------------------


def check(conn: MySQLConnection, spec: Spec) -> None:
    """Refuse early, changing nothing: run before the migrations so that a refusal leaves no trace."""
    validate_spec(spec)
    current = _inspect(conn, spec)
    _refuse_foreign(current, spec)
    if current.exists(spec.host) and not spec.rotate:
        _password_at_hand(current, spec)


def ensure(
    conn: MySQLConnection,
    spec: Spec,
    *,
    lock_timeout_s: int = 120,
    progress: Callable[[str], None] = _log.info,
) -> AppUser:
    """Create (or keep, or rotate) the user and reconcile its grants; see the module docstring."""
    validate_spec(spec)
    with _lock(conn, lock_timeout_s):
        # Inspected again under the lock: another bootstrap may have acted since check().
        current = _inspect(conn, spec)
        _refuse_foreign(current, spec)
        _ensure_registry(conn)
        if not current.exists(spec.host):
            origin, action = _create(conn, spec, current)
        elif spec.rotate:
            origin, action = _rotate(conn, spec, current)
        else:
            origin, action = _password_at_hand(current, spec).origin, "kept"
        if spec.host not in current.managed:
            _record(conn, spec, "created" if action == "created" else "adopted")
        if action != "created" and current.ssl_type == "":
            execute(conn, "ALTER USER %s@%s REQUIRE SSL", (spec.name, spec.host))
        revoked = reconcile_grants(conn, spec, mariadb=current.mariadb)
        for line in revoked:
            progress(f"revoked from {spec.account()}: {line}")
        grants = show_grants(conn, spec.name, spec.host)
    verify_grants(grants, spec)
    return AppUser(spec.name, spec.host, spec.schema, origin, action, grants, revoked)


@contextmanager
def _lock(conn: MySQLConnection, timeout_s: int) -> Iterator[None]:
    got = fetch_rows(conn, "SELECT GET_LOCK(%s, %s)", (LOCK_NAME, timeout_s))
    if not got or got[0][0] != 1:
        raise AppUserFailure(
            f"could not take the lock '{LOCK_NAME}' within {timeout_s} s "
            "(another bootstrap is changing application users; retry when it is done)"
        )
    try:
        yield
    finally:
        # A dead connection has released its locks already.
        with suppress(mysql.connector.Error):
            fetch_rows(conn, "SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))


def _ensure_registry(conn: MySQLConnection) -> None:
    execute(conn, f"CREATE DATABASE IF NOT EXISTS `{REGISTRY_SCHEMA}` CHARACTER SET utf8mb4")
    # Binary collation: account names are case-sensitive, so must their records be.
    execute(
        conn,
        f"CREATE TABLE IF NOT EXISTS {REGISTRY} ("
        " user VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,"
        " host VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,"
        " how VARCHAR(16) NOT NULL,"
        " recorded_by VARCHAR(288) NOT NULL,"
        " recorded_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
        " PRIMARY KEY (user, host)"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    )


def _record(conn: MySQLConnection, spec: Spec, how: str) -> None:
    by = f"{socket.gethostname()}:{os.getpid()}"[:288]
    execute(
        conn,
        f"INSERT INTO {REGISTRY} (user, host, how, recorded_by) VALUES (%s, %s, %s, %s)"
        " ON DUPLICATE KEY UPDATE how = VALUES(how), recorded_by = VALUES(recorded_by)",
        (spec.name, spec.host, how, by),
    )


def _create(conn: MySQLConnection, spec: Spec, current: _Current) -> tuple[str, str]:
    source = resolve_password(spec.password_file)
    clause, value = app_password.identified_by(current.mariadb, source.secret)
    # Not IF NOT EXISTS: an account that appeared since the inspection is not ours. The
    # record follows the account (ensure), so a crash in between leaves an account the
    # next run refuses rather than a record that could claim someone else's account.
    try:
        execute(conn, f"CREATE USER %s@%s {clause} REQUIRE SSL", (spec.name, spec.host, value))
    except mysql.connector.Error as exc:
        if exc.errno == 1396:  # ER_CANNOT_USER
            raise AppUserError(f"{spec.account()} was created by someone else meanwhile") from None
        raise
    return source.origin, "created"


def _rotate(conn: MySQLConnection, spec: Spec, current: _Current) -> tuple[str, str]:
    """A new password for an existing user: $PASSWORD_ENV's, else a generated one in the file."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        secret, staged, origin = Secret(from_env), None, f"from ${PASSWORD_ENV}"
    else:
        secret = app_password.generate()
        staged = app_password.stage(spec.password_file, secret)
        origin = f"generated into {spec.password_file} (mode 0600)"
    try:
        if app_password.matches(current.plugin, current.auth, secret):
            return origin, "unchanged"  # not sent again: it would only land in the binary log
        clause, value = app_password.identified_by(current.mariadb, secret)
        execute(conn, f"ALTER USER %s@%s {clause}", (spec.name, spec.host, value))
        if staged is not None:
            # Only now: until the server has it, the file keeps the password that works.
            os.replace(staged, spec.password_file)
            staged = None
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
    return origin, "rotated"
