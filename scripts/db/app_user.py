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
  ``require_secure_transport``, see the facts note, pitfall 9).

Password source, in order of precedence:
1. the environment variable :data:`PASSWORD_ENV`;
2. the password file, when it exists (a rerun keeps the password running applications use);
3. for a new user (or a rotation) a password generated with :mod:`secrets`, written to
   the password file with mode 0600 *before* the user is changed, so it cannot be lost.

The password is never printed; only the file's path is.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import socket
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform_core.contract import Secret

_log = logging.getLogger(__name__)

PASSWORD_ENV = "MYSQL_PLATFORM_APP_PASSWORD"
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "EXECUTE", "SHOW VIEW")
USER_RE = re.compile(r"^[A-Za-z0-9_]{1,32}$")
HOST_RE = re.compile(r"^[A-Za-z0-9_.%:-]{1,255}$")
# Granting the application these would hand it the server's accounts or its internals.
SYSTEM_SCHEMAS = frozenset({"mysql", "sys", "performance_schema", "information_schema"})
# Accounts of the server or of RDS itself: never an application user, whatever exists.
RESERVED_USERS = frozenset({"root", "rdsadmin", "rdsrepladmin", "rdsproxyadmin"})
# Server-wide, like the accounts it records.
REGISTRY_SCHEMA = "mysql_platform"
REGISTRY_TABLE = "app_accounts"
REGISTRY = f"`{REGISTRY_SCHEMA}`.`{REGISTRY_TABLE}`"
# Accounts are server-wide, so is the lock that serializes bootstraps changing them.
LOCK_NAME = "mysql-platform.app-users"
_GENERATED_BYTES = 24  # 32 URL-safe characters
_NO_SUCH_TABLE_ERRNOS = frozenset({1049, 1146})  # unknown database, unknown table
# Access denied to a database/table/column/routine, not allowed, missing privilege.
_NOT_ALLOWED_ERRNOS = frozenset({1044, 1045, 1142, 1143, 1227, 1370, 1698})
_PRIVILEGE_NAME_RE = re.compile(r"^[A-Z][A-Z_ ]{0,63}$")
_ROUTINE_TYPES = frozenset({"FUNCTION", "PROCEDURE", "PACKAGE", "PACKAGE BODY"})
_ROUTINE_PRIVILEGES = {"Execute": "EXECUTE", "Alter Routine": "ALTER ROUTINE", "Grant": "GRANT OPTION"}
# A quoted literal after USING/AS/PASSWORD in SHOW GRANTS / SHOW CREATE USER is a hash.
_HASH_LITERAL_RE = re.compile(r"\b(USING|AS|PASSWORD)\s+'(?:[^'\\]|\\.|'')*'")
_SCHEMA_GRANT_RE = re.compile(r"^GRANT (?P<privs>[A-Z][A-Z ,]*) ON `(?P<schema>(?:[^`]|``)+)`\.\* TO ")


class AppUserError(ValueError):
    """Bad application-user input, or a refusal (not ours, password not at hand): nothing changed."""


class AppUserFailure(RuntimeError):
    """Applying the application user failed on the server (lock, grants that cannot be reconciled)."""


@dataclass(frozen=True)
class PasswordSource:
    secret: Secret
    origin: str  # human description, never the value


@dataclass(frozen=True)
class Spec:
    """The application user the bootstrap should manage, and how."""

    name: str
    host: str
    schema: str
    ops_schema: str
    master_user: str  # the outputs' db.username: never the application user
    password_file: Path
    rotate: bool = False  # replace the password of an existing user
    adopt: bool = False  # take over an existing 'name'@'host' the bootstrap has no record of

    def account(self) -> str:
        return f"'{self.name}'@'{self.host}'"


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
            match = _SCHEMA_GRANT_RE.match(line)
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


# --- input ----------------------------------------------------------------------------------


def validate(name: str, host: str) -> None:
    if not USER_RE.match(name):
        raise AppUserError(f"application user name must match {USER_RE.pattern}, got {name!r}")
    if not HOST_RE.match(host):
        raise AppUserError(f"application user host must match {HOST_RE.pattern}, got {host!r}")


def validate_schema(schema: str, ops_schema: str) -> None:
    if schema.lower() in SYSTEM_SCHEMAS:
        raise AppUserError(
            f"application schema {schema!r} is a system schema ({', '.join(sorted(SYSTEM_SCHEMAS))}): "
            "the application user would get the server's accounts or internals; use the stack's dbName"
        )
    if schema.lower() == ops_schema.lower():
        raise AppUserError(
            f"application schema {schema!r} is the ops schema (migration history, heartbeats): "
            "choose another --app-schema or --ops-schema"
        )
    if schema.lower() == REGISTRY_SCHEMA:
        raise AppUserError(
            f"application schema {schema!r} holds the record of the accounts the bootstrap manages: "
            "the application could claim other accounts there; choose another --app-schema"
        )


def validate_spec(spec: Spec) -> None:
    """Everything that can be refused without a server."""
    validate(spec.name, spec.host)
    if spec.name.casefold() == spec.master_user.casefold():
        raise AppUserError(
            f"application user {spec.name!r} is the master user (the outputs' db.username): "
            "the bootstrap would overwrite the master password; choose another --app-user"
        )
    if spec.name.casefold() in RESERVED_USERS:
        raise AppUserError(
            f"application user {spec.name!r} is reserved for the server or RDS "
            f"({', '.join(sorted(RESERVED_USERS))}); choose another --app-user"
        )
    validate_schema(spec.schema, spec.ops_schema)


# --- passwords ------------------------------------------------------------------------------


def native_hash(secret: Secret) -> str:
    """The ``mysql_native_password`` hash, as MariaDB's PASSWORD() computes it: '*' + SHA1(SHA1(pw))."""
    inner = hashlib.sha1(secret.reveal().encode("utf-8")).digest()  # noqa: S324 - the server's format
    return "*" + hashlib.sha1(inner).hexdigest().upper()  # noqa: S324


def resolve_password(password_file: Path) -> PasswordSource:
    """The password for a new user: the environment, else the file, else a new one in the file."""
    existing = existing_password(password_file)
    if existing is not None:
        return existing
    try:
        secret = _write_new_password(password_file)
    except OSError as exc:
        raise AppUserError(
            f"cannot write the application password file '{password_file}': {exc.strerror}"
        ) from None
    return PasswordSource(secret, f"generated into {password_file} (mode 0600)")


def existing_password(password_file: Path) -> PasswordSource | None:
    """The password from the environment or the file; None when neither has one."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return PasswordSource(Secret(from_env), f"from ${PASSWORD_ENV}")
    if password_file.exists():
        return PasswordSource(_read_password(password_file), f"in {password_file}")
    return None


def _read_password(path: Path) -> Secret:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise AppUserError(f"cannot read application password file '{path}': {reason}") from None
    if not value:
        raise AppUserError(f"application password file '{path}' is empty")
    return Secret(value)


def _write_private_tmp(path: Path, value: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return tmp


def _write_new_password(path: Path) -> Secret:
    """Write a fresh password atomically; if a concurrent bootstrap won the race, use theirs."""
    value = secrets.token_urlsafe(_GENERATED_BYTES)
    tmp = _write_private_tmp(path, value)
    try:
        # link() fails if the file exists: exactly one writer wins, nobody sees a half file.
        os.link(tmp, path)
    except FileExistsError:
        return _read_password(path)
    finally:
        tmp.unlink(missing_ok=True)
    return Secret(value)


def _matches(current: _Current, secret: Secret) -> bool | None:
    """Whether ``secret`` is the stored password; None when the stored hash cannot be compared."""
    if current.plugin in ("", "mysql_native_password") and current.auth.startswith("*"):
        return hmac.compare_digest(current.auth.upper(), native_hash(secret))
    return None  # caching_sha2_password (salted), ed25519, ...: not comparable here


def _identified_by(current: _Current, secret: Secret) -> tuple[str, str]:
    """The IDENTIFIED clause and its parameter: the hash on MariaDB, else the plaintext."""
    if current.mariadb:
        return "IDENTIFIED BY PASSWORD %s", native_hash(secret)
    # MySQL 8 rewrites the statement to the (salted) stored hash in its logs.
    return "IDENTIFIED BY %s", secret.reveal()


# --- what the server has --------------------------------------------------------------------


def _rows(conn: MySQLConnection, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql, params)  # type: ignore[arg-type]
        return [tuple(row) for row in cur.fetchall()]


def _inspect(conn: MySQLConnection, spec: Spec) -> _Current:
    version = str(_rows(conn, "SELECT VERSION()")[0][0])
    rows = _rows(
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
        rows = _rows(conn, f"SELECT host FROM {REGISTRY} WHERE user = %s", (spec.name,))
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
    if _matches(current, source.secret) is False:
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
            _execute(conn, "ALTER USER %s@%s REQUIRE SSL", (spec.name, spec.host))
        revoked = reconcile_grants(conn, spec, mariadb=current.mariadb)
        for line in revoked:
            progress(f"revoked from {spec.account()}: {line}")
        grants = show_grants(conn, spec.name, spec.host)
    verify_grants(grants, spec)
    return AppUser(spec.name, spec.host, spec.schema, origin, action, grants, revoked)


@contextmanager
def _lock(conn: MySQLConnection, timeout_s: int) -> Iterator[None]:
    got = _rows(conn, "SELECT GET_LOCK(%s, %s)", (LOCK_NAME, timeout_s))
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
            _rows(conn, "SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))


def _execute(conn: MySQLConnection, sql: str, params: tuple[object, ...] = ()) -> None:
    with conn.cursor() as cur:
        cur.execute(sql, params)  # type: ignore[arg-type]


def _ensure_registry(conn: MySQLConnection) -> None:
    _execute(conn, f"CREATE DATABASE IF NOT EXISTS `{REGISTRY_SCHEMA}` CHARACTER SET utf8mb4")
    # Binary collation: account names are case-sensitive, so must their records be.
    _execute(
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
    _execute(
        conn,
        f"INSERT INTO {REGISTRY} (user, host, how, recorded_by) VALUES (%s, %s, %s, %s)"
        " ON DUPLICATE KEY UPDATE how = VALUES(how), recorded_by = VALUES(recorded_by)",
        (spec.name, spec.host, how, by),
    )


def _create(conn: MySQLConnection, spec: Spec, current: _Current) -> tuple[str, str]:
    source = resolve_password(spec.password_file)
    clause, value = _identified_by(current, source.secret)
    # Not IF NOT EXISTS: an account that appeared since the inspection is not ours. The
    # record follows the account (ensure), so a crash in between leaves an account the
    # next run refuses rather than a record that could claim someone else's account.
    try:
        _execute(conn, f"CREATE USER %s@%s {clause} REQUIRE SSL", (spec.name, spec.host, value))
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
        secret = Secret(secrets.token_urlsafe(_GENERATED_BYTES))
        staged = _stage(spec.password_file, secret)
        origin = f"generated into {spec.password_file} (mode 0600)"
    try:
        if _matches(current, secret):
            return origin, "unchanged"  # not sent again: it would only land in the binary log
        clause, value = _identified_by(current, secret)
        _execute(conn, f"ALTER USER %s@%s {clause}", (spec.name, spec.host, value))
        if staged is not None:
            # Only now: until the server has it, the file keeps the password that works.
            os.replace(staged, spec.password_file)
            staged = None
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
    return origin, "rotated"


def _stage(path: Path, secret: Secret) -> Path:
    try:
        return _write_private_tmp(path, secret.reveal())
    except OSError as exc:
        raise AppUserError(f"cannot write the application password file '{path}': {exc.strerror}") from None


# --- grants ---------------------------------------------------------------------------------


def _ident(name: object) -> str:
    return "`" + str(name).replace("`", "``") + "`"


def _privilege(name: object) -> str:
    text = str(name).upper()
    if not _PRIVILEGE_NAME_RE.fullmatch(text):
        raise AppUserFailure(f"unexpected privilege name {name!r} reported by the server")
    return text


def _grouped(rows: Sequence[tuple[object, ...]]) -> dict[tuple[object, ...], tuple[set[str], bool]]:
    """(object key..., privilege, is_grantable) rows -> {object key: (privileges, grantable)}."""
    out: dict[tuple[object, ...], tuple[set[str], bool]] = {}
    for *key, privilege, grantable in rows:
        privs, was = out.get(tuple(key), (set(), False))
        privs.add(_privilege(privilege))
        out[tuple(key)] = (privs, was or str(grantable).upper() == "YES")
    return out


def _revokes(conn: MySQLConnection, spec: Spec, *, mariadb: bool) -> list[tuple[str, str]]:
    """(what, REVOKE statement) for everything beyond the documented set; user@host are %s@%s."""
    grantee = (f"'{spec.name}'@'{spec.host}'",)  # information_schema's GRANTEE form (validated parts)
    out: list[tuple[str, str]] = []

    def revoke(privs: set[str], grantable: bool, on: str) -> None:
        if privs:
            listed = ", ".join(sorted(privs))
            out.append((f"{listed} ON {on}", f"REVOKE {listed} ON {on} FROM %s@%s"))
        if grantable:
            out.append((f"GRANT OPTION ON {on}", f"REVOKE GRANT OPTION ON {on} FROM %s@%s"))

    columns: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for schema, table, column, privilege in _rows(
        conn,
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, PRIVILEGE_TYPE"
        " FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = %s",
        grantee,
    ):
        columns[(schema, table, _privilege(privilege))].add(_ident(column))
    # Columns first: revoking a table privilege can take its column grants with it.
    for (schema, table, privilege), names in sorted(columns.items(), key=str):
        on = f"{_ident(schema)}.{_ident(table)}"
        listed = ", ".join(sorted(names))
        out.append((f"{privilege} ({listed}) ON {on}", f"REVOKE {privilege} ({listed}) ON {on} FROM %s@%s"))
    table_rows = _rows(
        conn,
        "SELECT TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE, IS_GRANTABLE"
        " FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = %s",
        grantee,
    )
    for (schema, table), (privs, grantable) in sorted(_grouped(table_rows).items(), key=str):
        revoke(privs, grantable, f"{_ident(schema)}.{_ident(table)}")
    schema_rows = _rows(
        conn,
        "SELECT TABLE_SCHEMA, PRIVILEGE_TYPE, IS_GRANTABLE"
        " FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = %s",
        grantee,
    )
    for (schema,), (privs, grantable) in sorted(_grouped(schema_rows).items(), key=str):
        extra = privs - set(PRIVILEGES) if schema == spec.schema else privs
        revoke(extra, grantable, f"{_ident(schema)}.*")
    global_rows = _rows(
        conn,
        "SELECT PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = %s",
        grantee,
    )
    for privs, grantable in _grouped(global_rows).values():
        revoke(privs - {"USAGE"}, grantable, "*.*")
    out += _routine_revokes(conn, spec)
    out += _role_revokes(conn, spec, mariadb=mariadb)
    return out


def _routine_revokes(conn: MySQLConnection, spec: Spec) -> list[tuple[str, str]]:
    out = []
    sql = (
        "SELECT Db, Routine_name, Routine_type, Proc_priv FROM mysql.procs_priv WHERE User = %s AND Host = %s"
    )
    for schema, routine, kind, privs in _rows(conn, sql, (spec.name, spec.host)):
        # A SET column: the connector returns a Python set, or the comma-separated text.
        names = {str(p) for p in privs} if isinstance(privs, (set, frozenset)) else set(str(privs).split(","))
        listed = ", ".join(sorted(_ROUTINE_PRIVILEGES[p] for p in names if p in _ROUTINE_PRIVILEGES))
        kind_text = str(kind).upper()
        if not listed or kind_text not in _ROUTINE_TYPES:
            continue  # left to verify_grants, which names what could not be revoked
        on = f"{kind_text} {_ident(schema)}.{_ident(routine)}"
        out.append((f"{listed} ON {on}", f"REVOKE {listed} ON {on} FROM %s@%s"))
    return out


def _role_revokes(conn: MySQLConnection, spec: Spec, *, mariadb: bool) -> list[tuple[str, str]]:
    # Roles live in engine-specific tables; MariaDB roles have no host part.
    if mariadb:
        sql = "SELECT Role FROM mysql.roles_mapping WHERE User = %s AND Host = %s"
        return [
            (f"role {_ident(role)}", f"REVOKE {_ident(role)} FROM %s@%s")
            for (role,) in _rows(conn, sql, (spec.name, spec.host))
        ]
    sql = "SELECT FROM_USER, FROM_HOST FROM mysql.role_edges WHERE TO_USER = %s AND TO_HOST = %s"
    return [
        (f"role {_ident(user)}@{_ident(host)}", f"REVOKE {_ident(user)}@{_ident(host)} FROM %s@%s")
        for user, host in _rows(conn, sql, (spec.name, spec.host))
    ]


def reconcile_grants(conn: MySQLConnection, spec: Spec, *, mariadb: bool) -> tuple[str, ...]:
    """Revoke everything beyond the documented set, grant what it lacks; returns what was revoked.

    Each extra is revoked on its own, so the documented privileges never go away. Revoking
    needs the privilege itself, which the master user may lack (MariaDB's DELETE HISTORY, a
    role without ADMIN OPTION); then ``REVOKE ALL PRIVILEGES, GRANT OPTION`` (which needs
    only CREATE USER, and on MariaDB also drops roles) clears everything and the documented
    set is granted back: the application lacks its privileges for those few milliseconds.
    """
    revoked: list[str] = []
    pending = _revokes(conn, spec, mariadb=mariadb)
    reset = False
    while pending:
        what, sql = pending.pop(0)
        try:
            _execute(conn, sql, (spec.name, spec.host))
        except mysql.connector.Error as exc:
            if reset or exc.errno not in _NOT_ALLOWED_ERRNOS:
                raise AppUserFailure(
                    f"cannot revoke {what} from {spec.account()}: error {exc.errno}: {exc.msg} "
                    "(revoke it as an account that holds it, then rerun)"
                ) from None
            _execute(conn, "REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s", (spec.name, spec.host))
            revoked.append(f"ALL PRIVILEGES, GRANT OPTION (could not revoke {what} alone: error {exc.errno})")
            reset = True
            pending = _revokes(conn, spec, mariadb=mariadb)  # what REVOKE ALL leaves: roles on MySQL
            continue
        revoked.append(what)
    have = _rows(
        conn,
        "SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES"
        " WHERE GRANTEE = %s AND TABLE_SCHEMA = %s",
        (f"'{spec.name}'@'{spec.host}'", spec.schema),
    )
    if set(PRIVILEGES) - {str(row[0]).upper() for row in have}:
        # The schema was validated as an identifier (no quoting needed, none possible).
        _execute(conn, f"GRANT {', '.join(PRIVILEGES)} ON `{spec.schema}`.* TO %s@%s", (spec.name, spec.host))
    return tuple(revoked)


def redact(line: str) -> str:
    """SHOW GRANTS / SHOW CREATE USER without the password hash (crackable offline)."""
    return _HASH_LITERAL_RE.sub(r"\1 '<redacted>'", line)


def show_grants(conn: MySQLConnection, name: str, host: str) -> tuple[str, ...]:
    """The grants as the server reports them, hashes redacted."""
    return tuple(redact(str(row[0])) for row in _rows(conn, "SHOW GRANTS FOR %s@%s", (name, host)))


def verify_grants(grants: Sequence[str], spec: Spec) -> None:
    """After reconciling: USAGE on *.* and exactly the documented set on the schema, nothing else."""
    unexpected = [line for line in grants if not _expected_grant(line, spec.schema)]
    schema_lines = [line for line in grants if _SCHEMA_GRANT_RE.match(line)]
    if unexpected or len(schema_lines) != 1:
        raise AppUserFailure(
            f"grants of {spec.account()} are not the documented set ({', '.join(PRIVILEGES)} on "
            f"`{spec.schema}`.*) after reconciling; unexpected: {'; '.join(unexpected) or 'none'}"
        )


def _expected_grant(line: str, schema: str) -> bool:
    if " WITH GRANT OPTION" in line:
        return False
    if line.startswith("GRANT USAGE ON *.* TO "):
        return True
    match = _SCHEMA_GRANT_RE.match(line)
    if match is None or match["schema"].replace("``", "`") != schema:
        return False
    return {p.strip() for p in match["privs"].split(",")} == set(PRIVILEGES)
