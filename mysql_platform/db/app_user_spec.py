"""What the application user is: its name, host, schema and the rules no server is needed for.

See :mod:`mysql_platform.db.app_user` for what the bootstrap keeps true about the account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_MIGRATION, PlatformError

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


class AppUserError(PlatformError, ValueError):
    """Bad application-user input, or a refusal (not ours, password not at hand): nothing changed."""

    exit_code = EXIT_BAD_INPUT
    label = "app user"


class AppUserFailure(PlatformError, RuntimeError):
    """Applying the application user failed on the server (lock, grants that cannot be reconciled)."""

    exit_code = EXIT_MIGRATION
    label = "app user"


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
