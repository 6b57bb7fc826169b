"""The least-privilege application user: applications never connect as admin.

Privileges: data access and EXECUTE on the application schema only; no GRANT
OPTION, no global privileges. When the admin session is encrypted the user also
gets ``REQUIRE SSL`` (per-user TLS rather than ``require_secure_transport``, see
the facts note, pitfall 9).

Password, in order of precedence:
1. the environment variable :data:`PASSWORD_ENV`;
2. the password file, when it exists (the file is the source of truth, so a rerun
   keeps the password that running applications use; delete the file to rotate);
3. otherwise generated with :mod:`secrets` and written to the password file with
   mode 0600 *before* the user is changed, so it cannot be lost.

The password is never printed; only the file's path is.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from mysql.connector.connection import MySQLConnection

from components.contract import Secret

PASSWORD_ENV = "MYSQL_PLATFORM_APP_PASSWORD"
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "EXECUTE", "SHOW VIEW")
USER_RE = re.compile(r"^[A-Za-z0-9_]{1,32}$")
HOST_RE = re.compile(r"^[A-Za-z0-9_.%:-]{1,255}$")
_GENERATED_BYTES = 24  # 32 URL-safe characters


class AppUserError(ValueError):
    """Bad application-user input (name, password file)."""


@dataclass(frozen=True)
class PasswordSource:
    secret: Secret
    origin: str  # human description, never the value


@dataclass(frozen=True)
class AppUser:
    name: str
    host: str
    schema: str
    password_origin: str

    def describe(self) -> str:
        privileges = ", ".join(PRIVILEGES)
        who = f"'{self.name}'@'{self.host}'"
        return f"{who} ({privileges} on `{self.schema}`.*; password {self.password_origin})"


def validate(name: str, host: str) -> None:
    if not USER_RE.match(name):
        raise AppUserError(f"application user name must match {USER_RE.pattern}, got {name!r}")
    if not HOST_RE.match(host):
        raise AppUserError(f"application user host must match {HOST_RE.pattern}, got {host!r}")


def resolve_password(password_file: Path) -> PasswordSource:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return PasswordSource(Secret(from_env), f"from ${PASSWORD_ENV}")
    if password_file.exists():
        return PasswordSource(_read_password(password_file), f"in {password_file}")
    try:
        secret = _write_new_password(password_file)
    except OSError as exc:
        raise AppUserError(
            f"cannot write the application password file '{password_file}': {exc.strerror}"
        ) from None
    return PasswordSource(secret, f"generated into {password_file} (mode 0600)")


def _read_password(path: Path) -> Secret:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise AppUserError(f"cannot read application password file '{path}': {exc.strerror}") from None
    if not value:
        raise AppUserError(f"application password file '{path}' is empty")
    return Secret(value)


def _write_new_password(path: Path) -> Secret:
    """Write a fresh password atomically; if a concurrent bootstrap won the race, use theirs."""
    value = secrets.token_urlsafe(_GENERATED_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        # link() fails if the file exists: exactly one writer wins, nobody sees a half file.
        os.link(tmp, path)
    except FileExistsError:
        return _read_password(path)
    finally:
        tmp.unlink(missing_ok=True)
    return Secret(value)


def session_is_encrypted(conn: MySQLConnection) -> bool:
    with conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        row = cur.fetchone()
    return isinstance(row, tuple) and bool(row[1])


def ensure(conn: MySQLConnection, *, name: str, host: str, schema: str, password: PasswordSource) -> AppUser:
    """Create or update the user and grant it the application schema's data privileges."""
    validate(name, host)
    require = " REQUIRE SSL" if session_is_encrypted(conn) else ""
    value = password.secret.reveal()
    with conn.cursor() as cur:
        # User, host and password are parameters; the schema was validated as an identifier.
        cur.execute(f"CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s{require}", (name, host, value))
        cur.execute(f"ALTER USER %s@%s IDENTIFIED BY %s{require}", (name, host, value))
        cur.execute(f"GRANT {', '.join(PRIVILEGES)} ON `{schema}`.* TO %s@%s", (name, host))
    return AppUser(name=name, host=host, schema=schema, password_origin=password.origin)
