"""What a new environment's primary gets once: datadirs, accounts (as on RDS), its database.

The admin account has the privileges of the RDS MySQL master user; the ops account is
local management over the unix socket only; the repl account is for the replica.
"""

from __future__ import annotations

import logging
import re
import shutil

from mysql_platform.local.layout import Paths
from mysql_platform.local.mariadb import native_password_hash, seed_datadirs
from mysql_platform.local.outputs import client_command
from mysql_platform.local.procs import LOOPBACK, LocalEnvError, pick_ports
from mysql_platform.local.proxy import Proxy
from mysql_platform.local.replication import Replication
from mysql_platform.local.servers import Servers
from mysql_platform.local.state import ADMIN_USER, OPS_USER, REPL_USER, ROLES, SERVER_NAMES, State, StateStore
from mysql_platform.local.tls import make_tls

log = logging.getLogger(__name__)

# The stack's dbName rule (declared in Pulumi.yaml, checked in mysql_platform/components/settings_rules.py):
# the bootstrap pastes the name into migrations unquoted, so only names that need no quoting are accepted.
DEFAULT_DB_NAME = "app"
DB_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")

# Privileges of the RDS MySQL master user, as MariaDB names them, plus SLAVE
# MONITOR (SHOW SLAVE STATUS, which RDS grants through REPLICATION CLIENT).
# Deliberately not ALL: ALL includes READ_ONLY ADMIN (writes despite read_only
# on the replica) and SUPER (SET GLOBAL read_only), which RDS never grants.
ADMIN_PRIVILEGES = (
    "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, "
    "ALTER, SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, "
    "REPLICATION SLAVE, BINLOG MONITOR, SLAVE MONITOR, CREATE VIEW, SHOW VIEW, "
    "CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER"
)


def check_db_name(db_name: str) -> None:
    """Raise unless ``db_name`` is a database name that needs no quoting."""
    if not DB_NAME_RE.fullmatch(db_name):
        raise LocalEnvError(
            f"database name must be 1-64 letters, digits or _ starting with a letter "
            f"({DB_NAME_RE.pattern}), got {db_name!r}"
        )


def check_matches(
    paths: Paths, state: State, *, semi_sync: bool | None, db_name: str | None, replicas: int | None = None
) -> None:
    """Refuse to `up` a recorded environment with another replication mode, database name or
    number of replicas (None: keep what it recorded). None of them changes in place."""
    if replicas is not None and len(state.replicas) != replicas:
        have, want = f"{len(state.replicas)} replica(s)", f"{replicas} replica(s)"
        raise LocalEnvError(_cannot_change(paths, state, have, want, "--replicas", f"--replicas {replicas}"))
    if semi_sync is not None and state.semi_sync != semi_sync:
        have = "a semi-sync environment" if state.semi_sync else "an async environment"
        want = "semi-sync" if semi_sync else "async"
        options = "--semi-sync" if semi_sync else ""
        raise LocalEnvError(_cannot_change(paths, state, have, want, "--semi-sync", options))
    recorded = state.db_name
    if db_name is not None and recorded and recorded != db_name:
        # RDS cannot rename dbName either (a new name means a new instance).
        have, want = f"database {recorded!r}", repr(db_name)
        raise LocalEnvError(_cannot_change(paths, state, have, want, "--db-name", f"--db-name {db_name}"))


def _cannot_change(paths: Paths, state: State, have: str, want: str, flag: str, options: str) -> str:
    """A refusal that says how to keep the data, and what `down --purge` costs (``options``: the
    `up` options of a new environment with ``want``)."""
    dump = client_command(paths.client_cnf, program="mariadb-dump")
    up = f"mysql-platform local up {options}".strip()
    return (
        f"{paths.state_dir} holds {have} but {want} was asked, and that cannot change in place. "
        f"To keep this environment and its data, run `mysql-platform local up` without {flag}: "
        "it keeps what was recorded. "
        f"Only a new environment can have {want}: `mysql-platform local down --purge` DELETES this one "
        f"and all its data, then `{up}` creates it; copy out what you need first "
        f"(e.g. `{dump} --databases {state.db_name or DEFAULT_DB_NAME}`)"
    )


def new_state(semi_sync: bool, db_name: str, replicas: int) -> State:
    """A topology not started yet, on free ports: the servers', then HAProxy's writer and reader."""
    ports = pick_ports(replicas + 3, set())
    return State.new(ports, semi_sync=semi_sync, db_name=db_name, replicas=replicas)


def build(paths: Paths, store: StateStore, servers: Servers, replication: Replication, proxy: Proxy) -> None:
    """Everything of a newly recorded environment: TLS, datadirs, servers, accounts, replica, proxy."""
    make_tls(paths.tls_dir, paths.ca)
    install_datadirs(paths, store.current(), servers)
    for name in store.current().names:
        servers.launch(name)
    for name in store.current().names:
        servers.wait_ready(name)
    primary = servers.name_of("primary")
    create_accounts(store, servers, primary)
    # Before the replicas are attached, like the accounts: they replay both from the binlog.
    create_database(paths, store, servers, primary)
    for replica in store.current().replicas:
        replication.attach(replica, primary)
    replication.wait_caught_up()
    check_admin_grants(servers)
    proxy.start()
    log.info("created the environment in %s", paths.state_dir)


def wipe_generated(paths: Paths) -> None:
    """Delete what a half-made environment left (its processes are stopped)."""
    for sub in (*SERVER_NAMES, "tls", "haproxy", "run"):
        shutil.rmtree(paths.state_dir / sub, ignore_errors=True)
    for f in (paths.outputs, paths.state, paths.secrets, paths.client_cnf):
        f.unlink(missing_ok=True)


def install_datadirs(paths: Paths, state: State, servers: Servers) -> None:
    primary, first, *others = [state.roles.primary, *state.replicas]
    for name in state.names:
        servers.write_cnf(name)
    seed_datadirs(paths.cnf(primary), paths.datadir(primary), paths.datadir(first))
    for name in others:
        # A copy of the primary's fresh datadir, as for the first replica.
        shutil.copytree(paths.datadir(primary), paths.datadir(name), symlinks=True)


def create_accounts(store: StateStore, servers: Servers, name: str) -> None:
    """The ops, repl and admin accounts on ``name``; records the server's version.

    Each by the hash of its password, computed here: MariaDB logs a CREATE USER as sent, so a
    password in it (even inside PASSWORD()) would be in the binlog and every replica's relay log,
    where SHOW BINLOG EVENTS shows it to the admin account.
    """
    s = store.secrets
    ops, repl, admin = (
        native_password_hash(s.ops),
        native_password_hash(s.repl),
        native_password_hash(s.admin),
    )
    servers.root_sql(
        name,
        f"""
        CREATE USER '{OPS_USER}'@'localhost' IDENTIFIED VIA mysql_native_password USING '{ops}';
        GRANT ALL PRIVILEGES ON *.* TO '{OPS_USER}'@'localhost' WITH GRANT OPTION;
        CREATE USER '{REPL_USER}'@'{LOOPBACK}' IDENTIFIED VIA mysql_native_password USING '{repl}'
            REQUIRE SSL;
        GRANT REPLICATION SLAVE ON *.* TO '{REPL_USER}'@'{LOOPBACK}';
        CREATE USER '{ADMIN_USER}'@'%' IDENTIFIED VIA mysql_native_password USING '{admin}' REQUIRE SSL;
        GRANT {ADMIN_PRIVILEGES} ON *.* TO '{ADMIN_USER}'@'%' WITH GRANT OPTION;
        """,
    )
    store.current().engine_version = servers.root_sql(name, "SELECT VERSION();").strip()


def create_database(paths: Paths, store: StateStore, servers: Servers, name: str) -> None:
    """The recorded database (utf8mb4) on ``name``, as RDS creates ``dbName``."""
    db_name = str(store.current().db_name)
    if not DB_NAME_RE.fullmatch(db_name):  # the state file is editable by hand
        raise LocalEnvError(f"{paths.state}: db_name {db_name!r} does not match {DB_NAME_RE.pattern}")
    servers.root_sql(
        name,
        f"CREATE DATABASE IF NOT EXISTS `{db_name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
    )


def check_admin_grants(servers: Servers) -> None:
    """The admin account must not be able to bypass read_only (as the RDS master user cannot)."""
    for role in ROLES:
        with servers.ops_connection(servers.name_of(role)) as conn:
            cur = conn.cursor()
            try:
                cur.execute(f"SHOW GRANTS FOR '{ADMIN_USER}'@'%'")
                grants = " ".join(row[0] for row in cur.fetchall()).upper()
            finally:
                cur.close()
        for forbidden in ("READ_ONLY ADMIN", "SUPER", "ALL PRIVILEGES"):
            if forbidden in grants:
                raise LocalEnvError(
                    f"the {ADMIN_USER} user on the {role} has {forbidden}; "
                    "it would bypass read_only on the replica"
                )
