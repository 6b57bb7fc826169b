"""The application user's password: where it comes from, how it is stored, how it is sent.

Source, in order of precedence: the environment variable :data:`PASSWORD_ENV`; the
password file, when it exists; for a new user (or a rotation) a password generated with
:mod:`secrets`, written to the password file with mode 0600 *before* the user is changed.
The password is never printed; only the file's path is.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from mysql_platform.core.contract import Secret
from mysql_platform.db.app_user_spec import AppUserError

PASSWORD_ENV = "MYSQL_PLATFORM_APP_PASSWORD"
GENERATED_BYTES = 24  # 32 URL-safe characters


@dataclass(frozen=True)
class PasswordSource:
    secret: Secret
    origin: str  # human description, never the value


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
    value = secrets.token_urlsafe(GENERATED_BYTES)
    tmp = _write_private_tmp(path, value)
    try:
        # link() fails if the file exists: exactly one writer wins, nobody sees a half file.
        os.link(tmp, path)
    except FileExistsError:
        return _read_password(path)
    finally:
        tmp.unlink(missing_ok=True)
    return Secret(value)


def generate() -> Secret:
    """A new random password."""
    return Secret(secrets.token_urlsafe(GENERATED_BYTES))


def stage(path: Path, secret: Secret) -> Path:
    """Write ``secret`` to a private temporary file beside ``path``; the caller moves it into place."""
    try:
        return _write_private_tmp(path, secret.reveal())
    except OSError as exc:
        raise AppUserError(f"cannot write the application password file '{path}': {exc.strerror}") from None


def matches(plugin: str, auth: str, secret: Secret) -> bool | None:
    """Whether ``secret`` is the stored password; None when the stored hash cannot be compared."""
    if plugin in ("", "mysql_native_password") and auth.startswith("*"):
        return hmac.compare_digest(auth.upper(), native_hash(secret))
    return None  # caching_sha2_password (salted), ed25519, ...: not comparable here


def identified_by(mariadb: bool, secret: Secret) -> tuple[str, str]:
    """The IDENTIFIED clause and its parameter: the hash on MariaDB, else the plaintext."""
    if mariadb:
        return "IDENTIFIED BY PASSWORD %s", native_hash(secret)
    # MySQL 8 rewrites the statement to the (salted) stored hash in its logs.
    return "IDENTIFIED BY %s", secret.reveal()
