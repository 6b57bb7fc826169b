"""The application user's grants: reconciled to the documented set, read back, verified.

SELECT, INSERT, UPDATE, DELETE, EXECUTE and SHOW VIEW on the application schema; anything
else (global, other schemas, tables, columns, routines, roles, GRANT OPTION) is revoked, and
``SHOW GRANTS`` is checked afterwards.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.db.app_user_spec import PRIVILEGES, AppUserFailure, Spec
from mysql_platform.db.connection import execute, fetch_rows

# Access denied to a database/table/column/routine, not allowed, missing privilege.
_NOT_ALLOWED_ERRNOS = frozenset({1044, 1045, 1142, 1143, 1227, 1370, 1698})
_PRIVILEGE_NAME_RE = re.compile(r"^[A-Z][A-Z_ ]{0,63}$")
_ROUTINE_TYPES = frozenset({"FUNCTION", "PROCEDURE", "PACKAGE", "PACKAGE BODY"})
_ROUTINE_PRIVILEGES = {"Execute": "EXECUTE", "Alter Routine": "ALTER ROUTINE", "Grant": "GRANT OPTION"}
# A quoted literal after USING/AS/PASSWORD in SHOW GRANTS / SHOW CREATE USER is a hash.
_HASH_LITERAL_RE = re.compile(r"\b(USING|AS|PASSWORD)\s+'(?:[^'\\]|\\.|'')*'")
SCHEMA_GRANT_RE = re.compile(r"^GRANT (?P<privs>[A-Z][A-Z ,]*) ON `(?P<schema>(?:[^`]|``)+)`\.\* TO ")


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
    for schema, table, column, privilege in fetch_rows(
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
    table_rows = fetch_rows(
        conn,
        "SELECT TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE, IS_GRANTABLE"
        " FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = %s",
        grantee,
    )
    for (schema, table), (privs, grantable) in sorted(_grouped(table_rows).items(), key=str):
        revoke(privs, grantable, f"{_ident(schema)}.{_ident(table)}")
    schema_rows = fetch_rows(
        conn,
        "SELECT TABLE_SCHEMA, PRIVILEGE_TYPE, IS_GRANTABLE"
        " FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = %s",
        grantee,
    )
    for (schema,), (privs, grantable) in sorted(_grouped(schema_rows).items(), key=str):
        extra = privs - set(PRIVILEGES) if schema == spec.schema else privs
        revoke(extra, grantable, f"{_ident(schema)}.*")
    global_rows = fetch_rows(
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
    for schema, routine, kind, privs in fetch_rows(conn, sql, (spec.name, spec.host)):
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
            for (role,) in fetch_rows(conn, sql, (spec.name, spec.host))
        ]
    sql = "SELECT FROM_USER, FROM_HOST FROM mysql.role_edges WHERE TO_USER = %s AND TO_HOST = %s"
    return [
        (f"role {_ident(user)}@{_ident(host)}", f"REVOKE {_ident(user)}@{_ident(host)} FROM %s@%s")
        for user, host in fetch_rows(conn, sql, (spec.name, spec.host))
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
            execute(conn, sql, (spec.name, spec.host))
        except mysql.connector.Error as exc:
            if reset or exc.errno not in _NOT_ALLOWED_ERRNOS:
                raise AppUserFailure(
                    f"cannot revoke {what} from {spec.account()}: error {exc.errno}: {exc.msg} "
                    "(revoke it as an account that holds it, then rerun)"
                ) from None
            execute(conn, "REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s", (spec.name, spec.host))
            revoked.append(f"ALL PRIVILEGES, GRANT OPTION (could not revoke {what} alone: error {exc.errno})")
            reset = True
            pending = _revokes(conn, spec, mariadb=mariadb)  # what REVOKE ALL leaves: roles on MySQL
            continue
        revoked.append(what)
    have = fetch_rows(
        conn,
        "SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES"
        " WHERE GRANTEE = %s AND TABLE_SCHEMA = %s",
        (f"'{spec.name}'@'{spec.host}'", spec.schema),
    )
    if set(PRIVILEGES) - {str(row[0]).upper() for row in have}:
        # The schema was validated as an identifier (no quoting needed, none possible).
        execute(conn, f"GRANT {', '.join(PRIVILEGES)} ON `{spec.schema}`.* TO %s@%s", (spec.name, spec.host))
    return tuple(revoked)


def redact(line: str) -> str:
    """SHOW GRANTS / SHOW CREATE USER without the password hash (crackable offline)."""
    return _HASH_LITERAL_RE.sub(r"\1 '<redacted>'", line)


def show_grants(conn: MySQLConnection, name: str, host: str) -> tuple[str, ...]:
    """The grants as the server reports them, hashes redacted."""
    return tuple(redact(str(row[0])) for row in fetch_rows(conn, "SHOW GRANTS FOR %s@%s", (name, host)))


def verify_grants(grants: Sequence[str], spec: Spec) -> None:
    """After reconciling: USAGE on *.* and exactly the documented set on the schema, nothing else."""
    unexpected = [line for line in grants if not _expected_grant(line, spec.schema)]
    schema_lines = [line for line in grants if SCHEMA_GRANT_RE.match(line)]
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
    match = SCHEMA_GRANT_RE.match(line)
    if match is None or match["schema"].replace("``", "`") != schema:
        return False
    return {p.strip() for p in match["privs"].split(",")} == set(PRIVILEGES)
