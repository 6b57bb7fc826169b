"""The local environment: real MariaDB primary/replica + HAProxy + TLS on loopback.

``python -m scripts.local_env up|down|status|failover`` (see ``--help``).

It produces the same outputs contract as a Pulumi stack, so the bootstrap and
the tests run the whole path on a machine without an AWS account:

- ``db.writer`` / ``db.readers`` are the servers themselves, as RDS endpoints
  are: a reader is a real replica, so a replication check against it fails when
  the replica is down instead of silently reading the primary through the proxy;
- ``proxy`` is HAProxy's writer and reader ports (the EC2 host's role on AWS);
- ``db.engine`` is ``"mariadb"`` (an RDS engine name too) so that callers that
  need engine-specific SQL (``MASTER_GTID_WAIT`` vs ``WAIT_FOR_EXECUTED_GTID_SET``)
  can choose; ``db.engine_version`` is the server's real version (``10.11.19``);
- ``ssl_ca`` is the CA that signed the server certificate;
- ``db.database`` is a database ``up`` creates on the primary (utf8mb4), as RDS
  creates ``dbName``: ``app`` unless ``up --db-name NAME`` chose another when the
  environment was created; the state remembers it, so later commands keep it.

Every process is a plain child started with ``start_new_session`` (it outlives
the CLI) and recorded by pid in ``state.json``. A pid counts as ours only while
it runs our own program with our own configuration file (pids get reused), and
``down`` finds the processes by exactly that in /proc, so a deleted or corrupt
state file never leaves a server running. ``up`` refuses a corrupt state.

Beside it: ``local_procs`` (binaries, pids, ports), ``local_tls`` (CA and server
certificate), ``local_mariadb`` (my.cnf, datadirs) and ``local_haproxy`` (the
runtime API client).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import functools
import json
import logging
import os
import re
import reprlib
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from mysql_platform_core.contract import DbInfo, Endpoint, HostInfo, ProxyInfo, Secret, StackOutputs
from mysql_platform_core.haproxy_config import (
    READER_SECTION,
    WRITER_SECTION,
    HAProxySpec,
    ServerSpec,
    render_haproxy_config,
)
from scripts.local.haproxy import _runtime_api, api_ok, servers_state
from scripts.local.mariadb import gtid_pos_reached, gtids_missing_from, render_server_cnf, seed_datadirs
from scripts.local.procs import (
    LOOPBACK,
    FoundProcess,
    ProcessMarker,
    _alive,
    _binary,
    _listening,
    _os_user,
    _pick_ports,
    _port_free,
    _tail,
    find_processes,
    runs,
    unix_socket_paths,
)

# The three "X as X" imports re-export what tests, bench and other scripts import
# from scripts.local_env (the tests also reach _pick_ports and _runtime_api here).
from scripts.local.procs import LocalEnvError as LocalEnvError
from scripts.local.procs import find_binary as find_binary
from scripts.local.procs import missing_binaries as missing_binaries
from scripts.local.tls import make_tls

log = logging.getLogger(__name__)

Role = Literal["primary", "replica"]
ROLES: tuple[Role, Role] = ("primary", "replica")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE_DIR = REPO_ROOT / ".local"
ADMIN_USER = "admin"
# Local management account, unix socket only (never reachable over TCP).
OPS_USER = "ops"
REPL_USER = "repl"
SERVER_NAMES = ("db1", "db2")
HAPROXY = "haproxy"
# sockaddr_un.sun_path is 108 bytes including the NUL.
MAX_SOCKET_PATH = 107
# The temp dir that holds the sockets when the state dir's path is too long for them.
SOCKET_DIR_PREFIX = "mysql-platform-"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
POLL_S = 0.01
STATE_VERSION = 1
_PASSWORD_RE = re.compile(r"^[A-Za-z0-9_-]{20,}$")
# The stack's dbName default and rule (components/settings.py): the bootstrap pastes the
# name into migrations unquoted, so only names that need no quoting are accepted.
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


@dataclass(frozen=True)
class ProcessInfo:
    name: str
    role: str
    pid: int | None
    ports: tuple[int, ...]
    alive: bool


# --- secrets and state files --------------------------------------------------


def _new_password() -> str:
    return secrets.token_urlsafe(24)


def _write_private(path: Path, text: str) -> None:
    """Write a file that only the owner can read, never briefly world-readable."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class UnusableStateError(LocalEnvError):
    """state.json or secrets.json cannot be used; the message says what to do."""

    def __init__(self, state_dir: Path, problem: str) -> None:
        super().__init__(
            f"cannot use the state in {state_dir} ({problem}); run `down --purge` to stop its "
            "processes and delete it, then `up` to start afresh"
        )
        self.problem = problem


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


_Check = tuple[Callable[[Any], bool], str]
_PORT: _Check = (lambda v: _is_count(v) and v < 65536, "a TCP port (1-65535)")
_PID: _Check = (lambda v: v is None or _is_count(v), "a pid or null")
_ROLE: _Check = (lambda v: v in SERVER_NAMES, f"one of {list(SERVER_NAMES)}")
# Every value that later code indexes or converts without checking it again.
_STATE_FIELDS: tuple[tuple[str, _Check], ...] = (
    *(
        (f"servers.{name}.{key}", check)
        for name in SERVER_NAMES
        for key, check in (("port", _PORT), ("server_id", (_is_count, "a positive integer")), ("pid", _PID))
    ),
    ("haproxy.writer_port", _PORT),
    ("haproxy.reader_port", _PORT),
    ("haproxy.pid", _PID),
    ("roles.primary", _ROLE),
    ("roles.replica", _ROLE),
    ("socket_dir", (lambda v: v is None or isinstance(v, str), "a path or null")),
    ("failovers", (lambda v: v is None or isinstance(v, int), "an integer")),
)


def _json_type(value: Any) -> str:
    """A parsed JSON value's type as JSON names it (never the value: secrets.json holds passwords)."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _lookup(document: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def _state_problem(state: Any) -> str | None:
    """What makes a loaded state.json unusable, naming the key and the value; None when usable.

    A state that passes cannot raise a KeyError or TypeError in up, down, status or failover.
    """
    if not isinstance(state, dict):
        return f"state.json holds {_json_type(state)}, expected an object"
    if state.get("version") != STATE_VERSION:
        return f"state.json has version {reprlib.repr(state.get('version'))}, expected {STATE_VERSION}"
    for dotted, (valid, expected) in _STATE_FIELDS:
        value = _lookup(state, dotted)
        if not valid(value):
            return f"state.json {dotted} is {reprlib.repr(value)}, expected {expected}"
    if state["roles"]["primary"] == state["roles"]["replica"]:
        return f"state.json roles names {state['roles']['primary']!r} twice, expected both servers"
    return None


def _read_json(path: Path) -> tuple[Any, str | None]:
    """The parsed file, or None and what is wrong with it (one line, naming the file)."""
    try:
        return json.loads(path.read_text()), None
    except FileNotFoundError:
        return None, f"{path.name} is missing"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{path.name} is unreadable: {exc.__class__.__name__}: {exc}"


def _secrets_problem(secrets_: Any) -> str | None:
    """Like ``_state_problem`` for secrets.json; it never shows a value (they are passwords)."""
    if not isinstance(secrets_, dict):
        return f"secrets.json holds {_json_type(secrets_)}, expected an object"
    for key in ("admin", "repl", "ops"):
        if not isinstance(secrets_.get(key), str):
            return f"secrets.json {key} is {_json_type(secrets_.get(key))}, expected a string"
    return None


# --- the environment ----------------------------------------------------------

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _exclusive(method: Callable[Concatenate[LocalEnv, _P], _R]) -> Callable[Concatenate[LocalEnv, _P], _R]:
    """Serialize state-changing calls on one state dir, across processes (two `up`s at once)."""

    @functools.wraps(method)
    def locked(env: LocalEnv, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with env._state_lock():
            return method(env, *args, **kwargs)

    return locked


class LocalEnv:
    """One local topology: its state dir holds data, config, TLS, logs and state."""

    def __init__(self, state_dir: Path, *, semi_sync: bool = False, db_name: str | None = None) -> None:
        """``db_name``: the database a new environment creates; None keeps the recorded one."""
        if db_name is not None and not DB_NAME_RE.fullmatch(db_name):
            raise LocalEnvError(
                f"database name must be 1-64 letters, digits or _ starting with a letter "
                f"({DB_NAME_RE.pattern}), got {db_name!r}"
            )
        self.state_dir = Path(state_dir).resolve()
        self.semi_sync = semi_sync
        self.db_name = db_name
        self.outputs_path = self.state_dir / "outputs.json"
        self.state_path = self.state_dir / "state.json"
        self.secrets_path = self.state_dir / "secrets.json"
        self.tls_dir = self.state_dir / "tls"
        self.ca_path = self.tls_dir / "ca.pem"
        self.haproxy_cfg = self.state_dir / "haproxy" / "haproxy.cfg"
        # Popen handles of the processes this Python process started, so they
        # are reaped (no zombies) when they exit.
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._state: dict[str, Any] = {}
        self._state_mtime: int | None = None
        self._secrets: dict[str, str] = {}
        self._lock_depth = 0

    @contextlib.contextmanager
    def _state_lock(self, *, create: bool = True) -> Iterator[None]:
        """``create=False``: a missing state dir stays missing (and there is nothing to lock)."""
        # Re-entrant: up() calls start(), both locked.
        if self._lock_depth or (not create and not self.state_dir.is_dir()):
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.state_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
        finally:
            os.close(fd)

    # ----- public API ---------------------------------------------------------

    @_exclusive
    def up(self) -> StackOutputs:
        """Start whatever is not running; create everything on first use. Idempotent."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._load()
        if not self._state.get("initialized"):
            self._initialize()
        else:
            self._check_mode()
            self._check_db_name()
            self._ensure_socket_dir()
            for role in ROLES:
                if not self._server_alive(self._server_of(role)):
                    self.start(role)
            if not self._haproxy_alive():
                self._start_haproxy()
            if not self._state.get("db_name"):
                self._adopt_db_name()
        outputs = self._build_outputs()
        self._write_outputs(outputs)
        return outputs

    def down(self, *, purge: bool = False) -> list[FoundProcess]:
        """Stop every process of this state dir and return them; ``purge`` also deletes all data.

        The processes are found in /proc by their program and config file, not by the
        recorded pids alone: without (or with a corrupt) state file they would be orphans.
        """
        with self._state_lock(create=False):
            state_ok = self._load_if_usable()
            found = self.processes()
            # Before they exit: a long state dir's sockets live in a temp dir only they name.
            socket_dirs = self._tmp_socket_dirs(found)
            self._stop_processes(found)
            for tmp in socket_dirs:
                shutil.rmtree(tmp, ignore_errors=True)
            still: list[int] = []
            if state_ok:
                ports = [port for p in found for port in self._ports_of(p.name)]
                for name in (HAPROXY, *SERVER_NAMES):
                    self._set_pid(name, None)
                self._save()
                self._remove_tmp_socket_dir()
                still = [p for p in ports if _listening(p)]
            if purge:
                shutil.rmtree(self.state_dir, ignore_errors=True)
                self._state = {}
                self._state_mtime = None
            if still:
                raise LocalEnvError(f"after down, something still listens on ports {still}")
            return found

    def processes(self) -> list[FoundProcess]:
        """The live processes of this state dir (HAProxy first), found by their command lines."""
        return find_processes({name: self._marker(name) for name in (HAPROXY, *SERVER_NAMES)})

    def _load_if_usable(self) -> bool:
        """Load the state for ``down``: False, with a warning, when it is missing or corrupt."""
        try:
            self._load()
        except UnusableStateError as exc:
            log.warning(
                "cannot use the state in %s (%s); stopping the processes found by their command lines",
                self.state_dir,
                exc.problem,
            )
            self._state, self._state_mtime = {}, None
            return False
        return bool(self._state)

    def _stop_processes(self, found: list[FoundProcess]) -> None:
        """SIGTERM all, SIGKILL what has not exited after STOP_TIMEOUT_S; raise if any survives that."""
        for proc in found:
            self._signal_pid(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in found:
            if not self._wait_pid_exit(proc.pid, max(0.0, deadline - time.monotonic())):
                log.warning(
                    "%s (pid %d) ignored SIGTERM for %.0f s; killing it", proc.name, proc.pid, STOP_TIMEOUT_S
                )
                self._signal_pid(proc, signal.SIGKILL)
        left = [p for p in found if not self._wait_pid_exit(p.pid, 5.0)]
        if left:
            raise LocalEnvError(
                "still running after SIGKILL: " + ", ".join(f"{p.name} (pid {p.pid})" for p in left)
            )
        for proc in found:
            log.info("stopped %s (pid %d)", proc.name, proc.pid)

    def _signal_pid(self, proc: FoundProcess, sig: signal.Signals) -> None:
        # Checked again right before the signal: the pid may have exited and been reused.
        if runs(proc.pid, self._marker(proc.name)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)

    def _tmp_socket_dirs(self, found: list[FoundProcess]) -> set[Path]:
        """Socket dirs made by ``_ensure_socket_dir`` in the temp dir, as the processes' sockets name them."""
        tmp = Path(tempfile.gettempdir()).resolve()
        dirs = {Path(path).parent for p in found for path in unix_socket_paths(p.pid)}
        return {
            d
            for d in dirs
            if d.parent.resolve() == tmp
            and d.name.startswith(SOCKET_DIR_PREFIX)
            and not d.is_relative_to(self.state_dir)
        }

    def _running(self, name: str) -> bool:
        return self._haproxy_alive() if name == HAPROXY else self._server_alive(name)

    def _ports_of(self, name: str) -> list[int]:
        if name == HAPROXY:
            return [int(self._state["haproxy"]["writer_port"]), int(self._state["haproxy"]["reader_port"])]
        return [int(self._state["servers"][name]["port"])]

    def status(self) -> dict[str, Any]:
        """Processes, roles and replication state; never a password."""
        self._load()
        if not self._state:
            orphans = [dataclasses.asdict(p) for p in self.processes()]
            return {
                "state_dir": str(self.state_dir),
                "initialized": False,
                "processes": [],
                "orphans": orphans,
            }
        procs = [self._process_info(n) for n in (*SERVER_NAMES, HAPROXY)]
        roles = dict(self._state["roles"])
        result: dict[str, Any] = {
            "state_dir": str(self.state_dir),
            "initialized": bool(self._state.get("initialized")),
            "semi_sync": bool(self._state.get("semi_sync")),
            "db_name": self._state.get("db_name"),
            "roles": roles,
            "processes": [dataclasses.asdict(p) for p in procs],
            "replication": self._replication_status(roles["replica"]),
            "proxy": self._proxy_view(),
        }
        return result

    @_exclusive
    def kill(self, role: Role) -> None:
        """SIGKILL the server in ``role`` and wait until it has really exited."""
        self._halt(role, signal.SIGKILL, 10.0, "did not exit {timeout:.0f} s after SIGKILL")

    @_exclusive
    def stop(self, role: Role) -> None:
        """Shut the server in ``role`` down cleanly."""
        self._halt(role, signal.SIGTERM, STOP_TIMEOUT_S, "did not shut down within {timeout:.0f} s")

    def _halt(self, role: Role, sig: signal.Signals, timeout: float, failure: str) -> None:
        self._load()
        name = self._server_of(role)
        self._signal(name, sig)
        if not self._wait_exit(name, timeout):
            raise LocalEnvError(f"{role} ({name}) " + failure.format(timeout=timeout))
        self._wait_port_closed(name)

    def _wait_port_closed(self, name: str, timeout: float = 5.0) -> None:
        port = int(self._state["servers"][name]["port"])
        deadline = time.monotonic() + timeout
        while _listening(port):
            if time.monotonic() > deadline:
                raise LocalEnvError(f"{name} exited but port {port} still accepts connections")
            time.sleep(POLL_S)

    @_exclusive
    def start(self, role: Role) -> None:
        """(Re)start the server in ``role`` on its datadir and port; a replica resumes replicating."""
        self._load()
        name = self._server_of(role)
        if self._server_alive(name):
            return
        self._ensure_socket_dir()
        port = self._state["servers"][name]["port"]
        if not _port_free(port):
            raise LocalEnvError(f"cannot start {role} ({name}): port {port} is taken by another process")
        self._launch_server(name)
        self._wait_server_ready(name)
        if role == "replica" and self._state["servers"][name].get("needs_rejoin"):
            self._rejoin_as_replica(name)

    @_exclusive
    def failover(self) -> StackOutputs:
        """Promote the replica to primary, repoint HAProxy and rewrite outputs.json.

        Primary dead (the drill): the replica applies everything it received,
        then is promoted; the old primary is fenced (it restarts read-only) and
        rejoins as a replica on its next ``start("replica")``, which raises if
        it holds writes the new primary never got.
        Primary alive (a planned switchover): it is made read-only first and
        the replica catches up with it, so nothing is lost and it becomes the
        new replica at once.
        """
        self._load()
        old_primary, new_primary = self._server_of("primary"), self._server_of("replica")
        if not self._server_alive(new_primary):
            raise LocalEnvError(f"cannot fail over: the replica ({new_primary}) is not running")
        if self._state["servers"][new_primary].get("needs_rejoin"):
            raise LocalEnvError(
                f"cannot fail over: {new_primary} is a former primary that has not rejoined as a replica"
            )
        planned = self._server_alive(old_primary)
        if planned:
            self._fence_and_drain(old_primary, new_primary)
        self._promote(new_primary)
        self._state["roles"] = {"primary": new_primary, "replica": old_primary}
        self._state["servers"][old_primary]["needs_rejoin"] = not planned
        self._state["failovers"] = int(self._state.get("failovers", 0)) + 1
        self._save()
        if planned:
            self._root_sql(old_primary, self._change_master_sql(new_primary, "current_pos") + "START SLAVE;")
        self._sync_haproxy(cut_writer_sessions=planned)
        outputs = self._build_outputs()
        self._write_outputs(outputs)
        return outputs

    def _fence_and_drain(self, old_primary: str, replica: str, timeout: float = 10.0) -> None:
        """Stop writes on a live primary and wait until the replica has all of them."""
        self._root_sql(old_primary, "SET GLOBAL read_only = ON;")
        pos = self._root_sql(old_primary, "SELECT @@GLOBAL.gtid_binlog_pos;").strip()
        stuck_at = self._wait_for_position(replica, pos, timeout)
        if stuck_at is not None:
            # Give the writes back rather than promote a replica that lacks some.
            self._root_sql(old_primary, "SET GLOBAL read_only = OFF;")
            raise LocalEnvError(
                f"switchover aborted: {replica} did not reach {old_primary}'s GTID position {pos} "
                f"within {timeout:.0f} s (it is at {stuck_at or 'nothing'})"
            )

    def _wait_for_position(self, name: str, target: str, timeout: float) -> str | None:
        """Poll until ``name`` holds every transaction of GTID position ``target``.

        Returns None, or the position it was still at when ``timeout`` ran out. Its
        gtid_current_pos counts what it applied and what it wrote itself as a primary;
        MASTER_GTID_WAIT counts only the former, so after one failover it waited out its
        timeout for GTIDs (e.g. 0-1-21) that the former primary had written itself.
        """
        what = f"GTID position of {name}"
        deadline = time.monotonic() + timeout
        with self._ops_connection(name) as conn, contextlib.closing(conn.cursor()) as cur:
            while True:
                cur.execute("SELECT @@GLOBAL.gtid_current_pos")
                current = str(cur.fetchone()[0])
                if gtid_pos_reached(current, target, what):
                    return None
                if time.monotonic() > deadline:
                    return current
                time.sleep(POLL_S)

    def _promote(self, name: str, timeout: float = 10.0) -> None:
        """Apply every received transaction, then make the replica a writable primary."""
        with self._ops_connection(name) as conn, contextlib.closing(conn.cursor(dictionary=True)) as cur:
            # No new events from the old primary while the relay log drains.
            cur.execute("STOP SLAVE IO_THREAD")
            deadline = time.monotonic() + timeout
            while True:
                cur.execute("SHOW SLAVE STATUS")
                row = cur.fetchone()
                if row is None or row["Slave_SQL_Running"] != "Yes":
                    break
                if "read all relay log" in str(row["Slave_SQL_Running_State"]):
                    break
                if time.monotonic() > deadline:
                    raise LocalEnvError(f"{name} did not apply its relay log within {timeout:.0f} s")
                time.sleep(0.002)
            if row is not None and row["Last_SQL_Error"]:
                raise LocalEnvError(
                    f"{name} cannot be promoted: its SQL thread failed: {row['Last_SQL_Error']}"
                )
            cur.execute("STOP SLAVE")
            cur.execute("RESET SLAVE ALL")
            cur.execute("SET GLOBAL read_only = OFF")

    # ----- accessors tests use -------------------------------------------------

    @property
    def admin_password(self) -> Secret:
        self._load()
        return Secret(self._secrets["admin"])

    def port(self, target: Literal["primary", "replica", "writer", "reader"]) -> int:
        """The TCP port of a server (by role) or of a proxy port."""
        self._load()
        if target == "writer":
            return int(self._state["haproxy"]["writer_port"])
        if target == "reader":
            return int(self._state["haproxy"]["reader_port"])
        return int(self._state["servers"][self._server_of(target)]["port"])

    def pid(self, name: str) -> int | None:
        """Pid of ``primary``/``replica``/``haproxy`` (or a server name), None when stopped."""
        self._load()
        if name in ROLES:
            name = self._server_of("primary" if name == "primary" else "replica")
        return self._pid_of(name)

    def all_ports(self) -> list[int]:
        self._load()
        return self._all_ports()

    def connect(
        self,
        target: Literal["primary", "replica", "writer", "reader"] = "writer",
        *,
        user: str = ADMIN_USER,
        password: str | None = None,
        database: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """A TLS connection (certificate and host name verified) as the admin user by default."""
        # Imported here: the CLI's down/status do not need the connector.
        import mysql.connector

        if password is None:
            password = self.admin_password.reveal()
        params: dict[str, Any] = {
            "host": LOOPBACK,
            "port": self.port(target),
            "user": user,
            "password": password,
            "ssl_ca": str(self.ca_path),
            "ssl_verify_cert": True,
            "ssl_verify_identity": True,
            "autocommit": True,
            "connection_timeout": 5,
            "use_pure": True,
        }
        if database is not None:
            params["database"] = database
        params.update(kwargs)
        return mysql.connector.connect(**params)

    @contextlib.contextmanager
    def ops_cursor(self, role: Role) -> Iterator[Any]:
        """A privileged cursor over the server's unix socket (local management only)."""
        self._load()
        with self._ops_connection(self._server_of(role)) as conn, contextlib.closing(conn.cursor()) as cur:
            yield cur

    # ----- initialization ------------------------------------------------------

    def _initialize(self) -> None:
        if self._state:
            # A previous up failed half-way: start from nothing.
            self.down()
            self._wipe_generated()
        else:
            self._refuse_orphans()
        self._state = self._new_state()
        self._secrets = {k: _new_password() for k in ("admin", "repl", "ops")}
        _write_private(self.secrets_path, json.dumps(self._secrets))
        self._save()
        self._ensure_socket_dir()
        try:
            make_tls(self.tls_dir, self.ca_path)
            self._install_datadirs()
            for name in SERVER_NAMES:
                self._launch_server(name)
            for name in SERVER_NAMES:
                self._wait_server_ready(name)
            self._create_accounts(self._server_of("primary"))
            # Before the replica is attached, like the accounts: it replays both from the binlog.
            self._create_database(self._server_of("primary"))
            self._configure_replica(self._server_of("replica"), self._server_of("primary"))
            self._wait_replica_caught_up()
            self._check_admin_grants()
            self._start_haproxy()
        except BaseException:
            with contextlib.suppress(Exception):
                self.down()
            raise
        self._state["initialized"] = True
        self._save()

    def _refuse_orphans(self) -> None:
        """No state file, yet processes of this state dir run: a new topology would join the orphans."""
        orphans = self.processes()
        if orphans:
            which = ", ".join(f"{p.name} pid {p.pid}" for p in orphans)
            raise LocalEnvError(
                f"{self.state_path} is missing but processes of {self.state_dir} still run ({which}); "
                "run `down` to stop them, then `up`"
            )

    def _new_state(self) -> dict[str, Any]:
        ports = _pick_ports(4, set())
        return {
            "version": STATE_VERSION,
            "initialized": False,
            "semi_sync": self.semi_sync,
            "socket_dir": None,
            "servers": {
                name: {"port": ports[i], "server_id": i + 1, "pid": None, "needs_rejoin": False}
                for i, name in enumerate(SERVER_NAMES)
            },
            "roles": {"primary": SERVER_NAMES[0], "replica": SERVER_NAMES[1]},
            "haproxy": {"writer_port": ports[2], "reader_port": ports[3], "pid": None},
            "engine_version": None,
            "db_name": self.db_name or DEFAULT_DB_NAME,
        }

    def _wipe_generated(self) -> None:
        for sub in ("db1", "db2", "tls", "haproxy", "run"):
            shutil.rmtree(self.state_dir / sub, ignore_errors=True)
        for f in (self.outputs_path, self.state_path, self.secrets_path):
            f.unlink(missing_ok=True)

    def _check_mode(self) -> None:
        recorded = bool(self._state.get("semi_sync"))
        if recorded != self.semi_sync:
            want = "semi-sync" if self.semi_sync else "async"
            have = "semi-sync" if recorded else "async"
            raise LocalEnvError(
                f"{self.state_dir} holds a {have} environment but {want} was asked; "
                "run `down --purge` first to recreate it"
            )

    def _check_db_name(self) -> None:
        recorded = self._state.get("db_name")
        if self.db_name is not None and recorded and recorded != self.db_name:
            # RDS cannot rename dbName either (a new name means a new instance).
            raise LocalEnvError(
                f"{self.state_dir} holds database {recorded!r} but {self.db_name!r} was asked; "
                "run `down --purge` first to recreate it, or leave --db-name out to keep it"
            )

    def _adopt_db_name(self) -> None:
        """An environment made before db.database was filled in: give it its database now."""
        self._state["db_name"] = self.db_name or DEFAULT_DB_NAME
        self._create_database(self._server_of("primary"))
        self._save()

    def _create_database(self, name: str) -> None:
        db_name = str(self._state["db_name"])
        if not DB_NAME_RE.fullmatch(db_name):  # the state file is editable by hand
            raise LocalEnvError(f"{self.state_path}: db_name {db_name!r} does not match {DB_NAME_RE.pattern}")
        self._root_sql(
            name,
            f"CREATE DATABASE IF NOT EXISTS `{db_name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
        )

    def _install_datadirs(self) -> None:
        primary, replica = self._server_of("primary"), self._server_of("replica")
        self._write_server_cnf(primary)
        self._write_server_cnf(replica)
        seed_datadirs(self._cnf(primary), self._datadir(primary), self._datadir(replica))

    def _create_accounts(self, name: str) -> None:
        s = self._secrets
        self._root_sql(
            name,
            f"""
            CREATE USER '{OPS_USER}'@'localhost' IDENTIFIED VIA mysql_native_password
                USING PASSWORD('{s["ops"]}');
            GRANT ALL PRIVILEGES ON *.* TO '{OPS_USER}'@'localhost' WITH GRANT OPTION;
            CREATE USER '{REPL_USER}'@'{LOOPBACK}' IDENTIFIED VIA mysql_native_password
                USING PASSWORD('{s["repl"]}') REQUIRE SSL;
            GRANT REPLICATION SLAVE ON *.* TO '{REPL_USER}'@'{LOOPBACK}';
            CREATE USER '{ADMIN_USER}'@'%' IDENTIFIED VIA mysql_native_password
                USING PASSWORD('{s["admin"]}') REQUIRE SSL;
            GRANT {ADMIN_PRIVILEGES} ON *.* TO '{ADMIN_USER}'@'%' WITH GRANT OPTION;
            """,
        )
        self._state["engine_version"] = self._root_sql(name, "SELECT VERSION();").strip()

    def _check_admin_grants(self) -> None:
        for role in ROLES:
            with self.ops_cursor(role) as cur:
                cur.execute(f"SHOW GRANTS FOR '{ADMIN_USER}'@'%'")
                grants = " ".join(row[0] for row in cur.fetchall()).upper()
            for forbidden in ("READ_ONLY ADMIN", "SUPER", "ALL PRIVILEGES"):
                if forbidden in grants:
                    raise LocalEnvError(
                        f"the {ADMIN_USER} user on the {role} has {forbidden}; "
                        "it would bypass read_only on the replica"
                    )

    def _configure_replica(self, replica: str, primary: str) -> None:
        self._root_sql(replica, self._change_master_sql(primary, "slave_pos") + "START SLAVE;")

    def _change_master_sql(self, primary: str, gtid_mode: str) -> str:
        port = self._state["servers"][primary]["port"]
        password = self._secrets["repl"]
        if not _PASSWORD_RE.fullmatch(password):
            raise LocalEnvError("the replication password in secrets.json is not a generated one")
        return (
            f"STOP SLAVE; CHANGE MASTER TO MASTER_HOST='{LOOPBACK}', MASTER_PORT={port}, "
            f"MASTER_USER='{REPL_USER}', MASTER_PASSWORD='{password}', MASTER_SSL=1, "
            f"MASTER_SSL_CA='{self.ca_path}', MASTER_SSL_VERIFY_SERVER_CERT=1, "
            f"MASTER_CONNECT_RETRY=1, MASTER_USE_GTID={gtid_mode};"
        )

    def _wait_replica_caught_up(self, timeout: float = READY_TIMEOUT_S) -> None:
        pos = self._root_sql(self._server_of("primary"), "SELECT @@GLOBAL.gtid_binlog_pos;").strip()
        if not re.fullmatch(r"[0-9,-]*", pos):
            raise LocalEnvError(f"unexpected gtid_binlog_pos {pos!r} on the primary")
        # As root: the accounts this waits for may not have reached the replica yet.
        replica = self._server_of("replica")
        waited = self._root_sql(replica, f"SELECT MASTER_GTID_WAIT('{pos}', {timeout});").strip()
        if waited != "0":
            raise LocalEnvError(
                f"the replica did not reach the primary's GTID {pos} within {timeout:.0f} s: "
                f"{self._replication_status(replica)}"
            )

    # ----- servers -------------------------------------------------------------

    def _server_of(self, role: Role) -> str:
        if role not in ROLES:
            raise LocalEnvError(f"unknown role {role!r}; expected one of {ROLES}")
        if not self._state:
            raise LocalEnvError(f"no local environment in {self.state_dir}; run `up` first")
        return str(self._state["roles"][role])

    def _role_of(self, name: str) -> Role:
        return "primary" if self._state["roles"]["primary"] == name else "replica"

    def _datadir(self, name: str) -> Path:
        return self.state_dir / name / "data"

    def _cnf(self, name: str) -> Path:
        return self.state_dir / name / "my.cnf"

    def _error_log(self, name: str) -> Path:
        return self.state_dir / name / "error.log"

    def _socket(self, name: str) -> str:
        return f"{self._state['socket_dir']}/{name}.sock"

    def _write_server_cnf(self, name: str) -> None:
        rec = self._state["servers"][name]
        (self.state_dir / name).mkdir(parents=True, exist_ok=True)
        cnf = render_server_cnf(
            server_dir=self.state_dir / name,
            datadir=self._datadir(name),
            socket=self._socket(name),
            error_log=self._error_log(name),
            port=rec["port"],
            server_id=rec["server_id"],
            tls_dir=self.tls_dir,
            read_only=self._role_of(name) != "primary",
            semi_sync=self._state["semi_sync"],
        )
        self._cnf(name).write_text(cnf)

    def _launch_server(self, name: str) -> None:
        self._write_server_cnf(name)
        log = self.state_dir / name / "stdout.log"
        with open(log, "ab") as out:
            # --defaults-file must come first, and be absolute (plugins fail to load otherwise).
            proc = subprocess.Popen(
                [_binary("mariadbd"), f"--defaults-file={self._cnf(name)}"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._children[name] = proc
        self._set_pid(name, proc.pid)
        self._save()

    def _wait_server_ready(self, name: str, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait for a real ``SELECT 1`` (``mariadb-admin ping`` succeeds even on access denied)."""
        deadline = time.monotonic() + timeout
        pid = self._pid_of(name)
        sock = Path(self._socket(name))
        last_error = ""
        while time.monotonic() < deadline:
            if not _alive(pid):
                self._reap(name)
                raise LocalEnvError(
                    f"{name} (mariadbd, port {self._state['servers'][name]['port']}) exited during "
                    f"startup; tail of {self._error_log(name)}:\n{_tail(self._error_log(name))}"
                )
            if sock.exists():
                try:
                    self._root_sql(name, "SELECT 1;")
                    return
                except LocalEnvError as exc:
                    last_error = str(exc)
            time.sleep(POLL_S)
        raise LocalEnvError(
            f"{name} not ready after {timeout:.0f} s ({last_error or 'no socket yet'}); "
            f"tail of {self._error_log(name)}:\n{_tail(self._error_log(name))}"
        )

    def _server_alive(self, name: str) -> bool:
        return runs(self._pid_of(name), self._marker(name))

    def _rejoin_as_replica(self, name: str, timeout: float = 10.0) -> None:
        """A former primary follows the new one, unless it holds writes the new one never got."""
        primary = self._server_of("primary")
        cannot = f"{name} (former primary) restarted read-only but cannot rejoin as a replica of {primary}"
        advice = "its extra writes need a human (or rebuild the environment: down --purge, up)"
        # What it would ask the primary for (current_pos) must be in the primary's binlog,
        # else it holds writes the failover lost. Checked here, not left to error 1236,
        # which may arrive only after the replica looked caught up.
        own = self._root_sql(name, "SELECT @@GLOBAL.gtid_current_pos;").strip()
        logged = self._root_sql(primary, "SELECT @@GLOBAL.gtid_binlog_state;").strip()
        lost = gtids_missing_from(own, logged, f"GTIDs of {name} and {primary}")
        if lost:
            raise LocalEnvError(f"{cannot}: it has {', '.join(lost)}, which {primary} lacks; {advice}")
        self._root_sql(name, self._change_master_sql(primary, "current_pos") + "START SLAVE;")
        pos = self._root_sql(primary, "SELECT @@GLOBAL.gtid_binlog_pos;").strip()
        deadline = time.monotonic() + timeout
        while True:
            status = self._replication_status(name)
            caught_up = gtid_pos_reached(str(status.get("gtid_current_pos") or ""), pos, f"GTIDs of {name}")
            if (
                (caught_up and status.get("running"))
                or status.get("last_error")
                or time.monotonic() > deadline
            ):
                break
            time.sleep(POLL_S)
        if not caught_up or not status.get("running"):
            raise LocalEnvError(
                f"{cannot}: {status.get('last_error') or status.get('error') or 'did not catch up'}; {advice}"
            )
        self._state["servers"][name]["needs_rejoin"] = False
        self._save()
        self._sync_haproxy()
        self._write_outputs(self._build_outputs())

    def _root_sql(self, name: str, sql: str) -> str:
        """Run SQL as the OS-authenticated root over the unix socket (before any account exists).

        The SQL goes through stdin, never argv, so passwords in it are not in /proc.
        """
        try:
            done = subprocess.run(
                [_binary("mariadb"), "--no-defaults", f"--socket={self._socket(name)}",
                 f"--user={_os_user()}", "--batch", "--skip-column-names", "--connect-timeout=5"],
                input=sql.encode(),
                capture_output=True,
                timeout=60,
                check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise LocalEnvError(f"SQL on {name} did not finish within 60 s") from None
        if done.returncode != 0:
            raise LocalEnvError(f"SQL on {name} failed: {self._scrub(done.stderr.decode(errors='replace'))}")
        return done.stdout.decode()

    @contextlib.contextmanager
    def _ops_connection(self, name: str) -> Iterator[Any]:
        import mysql.connector

        conn = mysql.connector.connect(
            unix_socket=self._socket(name),
            user=OPS_USER,
            password=self._secrets["ops"],
            autocommit=True,
            connection_timeout=5,
            use_pure=True,
        )
        try:
            yield conn
        finally:
            conn.close()

    def _replication_status(self, name: str) -> dict[str, Any]:
        if not self._server_alive(name):
            return {"server": name, "running": False, "error": "server is not running"}
        try:
            with self._ops_connection(name) as conn, contextlib.closing(conn.cursor(dictionary=True)) as cur:
                cur.execute("SHOW SLAVE STATUS")
                row = cur.fetchone()
                cur.execute("SELECT @@GLOBAL.read_only AS ro, @@GLOBAL.gtid_current_pos AS pos")
                extra = cur.fetchone()
        except Exception as exc:  # status must report, not crash
            return {"server": name, "running": False, "error": self._scrub(str(exc))}
        if row is None:
            return {"server": name, "running": False, "error": "not configured as a replica"}
        return {
            "server": name,
            "running": row["Slave_IO_Running"] == "Yes" and row["Slave_SQL_Running"] == "Yes",
            "io_running": row["Slave_IO_Running"],
            "sql_running": row["Slave_SQL_Running"],
            "seconds_behind_master": row["Seconds_Behind_Master"],
            "gtid_io_pos": row["Gtid_IO_Pos"],
            "gtid_current_pos": extra["pos"],
            "read_only": bool(extra["ro"]),
            "last_error": self._scrub(row["Last_IO_Error"] or row["Last_SQL_Error"] or ""),
        }

    # ----- HAProxy -------------------------------------------------------------

    def _runtime_socket(self) -> str:
        return f"{self._state['socket_dir']}/haproxy.sock"

    def haproxy_spec(self) -> HAProxySpec:
        """The proxy's spec for the current roles (the runtime API mirrors it after a failover)."""
        self._load()
        primary, replica = self._server_of("primary"), self._server_of("replica")
        servers = self._state["servers"]
        return HAProxySpec(
            bind_address=LOOPBACK,
            writer_port=self._state["haproxy"]["writer_port"],
            reader_port=self._state["haproxy"]["reader_port"],
            primary=ServerSpec("primary", LOOPBACK, servers[primary]["port"]),
            replicas=(ServerSpec("replica1", LOOPBACK, servers[replica]["port"]),),
            runtime_api_socket=self._runtime_socket(),
            # Another topology's HAProxy must never share our ports.
            exclusive_bind=True,
            log_target="stderr format raw local0",
            header_comments=(f"local environment in {self.state_dir}",),
        )

    def _start_haproxy(self) -> None:
        for key in ("writer_port", "reader_port"):
            port = self._state["haproxy"][key]
            if not _port_free(port):
                raise LocalEnvError(f"cannot start HAProxy: {key} {port} is taken by another process")
        self.haproxy_cfg.parent.mkdir(parents=True, exist_ok=True)
        self.haproxy_cfg.write_text(render_haproxy_config(self.haproxy_spec()))
        log = self.haproxy_cfg.parent / "haproxy.log"
        with open(log, "ab") as out:
            # -db: stay in the foreground, so the pid we record is HAProxy's own.
            proc = subprocess.Popen(
                [_binary("haproxy"), "-db", "-f", str(self.haproxy_cfg)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._children[HAPROXY] = proc
        self._set_pid(HAPROXY, proc.pid)
        self._save()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if not _alive(proc.pid):
                self._reap(HAPROXY)
                raise LocalEnvError(f"HAProxy exited during startup; tail of {log}:\n{_tail(log)}")
            with contextlib.suppress(OSError):
                if "Name: HAProxy" in _runtime_api(self._runtime_socket(), "show info"):
                    return
            time.sleep(POLL_S)
        raise LocalEnvError(f"HAProxy not ready after {READY_TIMEOUT_S:.0f} s; tail of {log}:\n{_tail(log)}")

    def _haproxy_alive(self) -> bool:
        return runs(self._pid_of(HAPROXY), self._marker(HAPROXY))

    def haproxy_command(self, command: str) -> str:
        """Run a runtime API command (e.g. ``show servers state``)."""
        self._load()
        return _runtime_api(self._runtime_socket(), command)

    def _sync_haproxy(self, *, cut_writer_sessions: bool = False) -> None:
        """Point the running proxy at the current roles and rewrite its config file to match.

        ``cut_writer_sessions``: close the writer's open sessions, which still reach
        the old (read-only) primary; a cut connection is an error every client
        retries (2013), a read-only one (1290) is not.
        """
        spec = self.haproxy_spec()
        self.haproxy_cfg.write_text(render_haproxy_config(spec))
        if not self._haproxy_alive():
            return
        replica = spec.replicas[0]
        targets = [
            (WRITER_SECTION, spec.primary, self._server_of("primary")),
            (READER_SECTION, spec.primary, self._server_of("primary")),
            (READER_SECTION, replica, self._server_of("replica")),
        ]
        for backend, server, name in targets:
            where = f"{backend}/{server.name}"
            self._api_ok(f"set server {where} addr {server.host} port {server.port}")
            # Do not wait for health checks: we know which server is up.
            health = "up" if self._server_alive(name) else "down"
            self._api_ok(f"set server {where} health {health}")
        if cut_writer_sessions:
            self._api_ok(f"shutdown sessions server {WRITER_SECTION}/{spec.primary.name}")

    def _api_ok(self, command: str) -> None:
        api_ok(self._runtime_socket(), command)

    # ----- outputs ---------------------------------------------------------------

    def _build_outputs(self) -> StackOutputs:
        servers = self._state["servers"]
        primary, replica = self._server_of("primary"), self._server_of("replica")
        readers: tuple[Endpoint, ...] = ()
        if not servers[replica].get("needs_rejoin"):
            readers = (Endpoint(LOOPBACK, servers[replica]["port"]),)
        version = str(self._state.get("engine_version") or "")
        return StackOutputs(
            environment="local",
            vpc_id="local",
            host=HostInfo(
                instance_id="local", public_ip=LOOPBACK, public_dns="localhost", ssh_user=_os_user()
            ),
            db=DbInfo(
                engine="mariadb",
                # RDS reports "8.0.39"; the server says "10.11.19-MariaDB-0+deb12u1".
                engine_version=version.split("-", 1)[0],
                writer=Endpoint(LOOPBACK, servers[primary]["port"]),
                readers=readers,
                database=str(self._state.get("db_name") or ""),
                username=ADMIN_USER,
                publicly_accessible=False,
                multi_az=False,
            ),
            db_password=Secret(self._secrets["admin"]),
            proxy=ProxyInfo(
                host=LOOPBACK,
                writer_port=self._state["haproxy"]["writer_port"],
                reader_port=self._state["haproxy"]["reader_port"],
            ),
            ssl_ca=str(self.ca_path),
        )

    def _write_outputs(self, outputs: StackOutputs) -> None:
        text = json.dumps(outputs.to_dict(reveal_secrets=True), indent=2) + "\n"
        # Unchanged outputs are not rewritten: a second `up` changes nothing.
        if self.outputs_path.exists() and self.outputs_path.read_text() == text:
            return
        _write_private(self.outputs_path, text)

    # ----- state ---------------------------------------------------------------------

    def _load(self) -> None:
        """Read the state, again whenever another process (e.g. a CLI failover) rewrote it.

        No state file means no environment ({}); a file this code cannot use raises one
        line that names it and says what to do, rather than a KeyError somewhere later.
        """
        try:
            mtime = self.state_path.stat().st_mtime_ns
        except FileNotFoundError:
            self._state, self._secrets, self._state_mtime = {}, {}, None
            return
        if self._state and mtime == self._state_mtime:
            return
        state, problem = _read_json(self.state_path)
        problem = problem or _state_problem(state)
        if problem is None:
            secrets_, problem = _read_json(self.secrets_path)
            problem = problem or _secrets_problem(secrets_)
        if problem is not None:
            raise UnusableStateError(self.state_dir, problem)
        self._state, self._secrets, self._state_mtime = state, secrets_, mtime

    def _save(self) -> None:
        _write_private(self.state_path, json.dumps(self._state, indent=2) + "\n")
        self._state_mtime = self.state_path.stat().st_mtime_ns

    def _record(self, name: str) -> dict[str, Any]:
        if name == HAPROXY:
            return dict(self._state["haproxy"])
        return dict(self._state["servers"][name])

    def _pid_of(self, name: str) -> int | None:
        pid = self._record(name).get("pid")
        return int(pid) if pid is not None else None

    def _set_pid(self, name: str, pid: int | None) -> None:
        (self._state["haproxy"] if name == HAPROXY else self._state["servers"][name])["pid"] = pid

    def _all_ports(self) -> list[int]:
        if not self._state:
            return []
        ports = [int(s["port"]) for s in self._state["servers"].values()]
        return [
            *ports,
            int(self._state["haproxy"]["writer_port"]),
            int(self._state["haproxy"]["reader_port"]),
        ]

    def _ensure_socket_dir(self) -> None:
        """Unix sockets go under the state dir unless its path is too long for sockaddr_un."""
        current = self._state.get("socket_dir")
        if current and Path(current).is_dir():
            return
        preferred = self.state_dir / "run"
        longest = max([*SERVER_NAMES, HAPROXY], key=len) + ".sock"
        if len(str(preferred / longest).encode()) <= MAX_SOCKET_PATH:
            preferred.mkdir(mode=0o700, exist_ok=True)
            self._state["socket_dir"] = str(preferred)
        else:
            self._state["socket_dir"] = tempfile.mkdtemp(prefix=SOCKET_DIR_PREFIX)
        self._save()

    def _remove_tmp_socket_dir(self) -> None:
        current = self._state.get("socket_dir")
        if current and not Path(current).is_relative_to(self.state_dir):
            shutil.rmtree(current, ignore_errors=True)
            self._state["socket_dir"] = None
            self._save()

    # ----- process control ---------------------------------------------------------

    def _marker(self, name: str) -> ProcessMarker:
        """What ``name`` runs: exactly this state dir's config file, as launched (absolute paths)."""
        if name == HAPROXY:
            return ProcessMarker("haproxy", str(self.haproxy_cfg))
        return ProcessMarker("mariadbd", f"--defaults-file={self._cnf(name)}")

    def _signal(self, name: str, sig: signal.Signals) -> None:
        pid = self._pid_of(name)
        # Only a pid that still runs our own config file is ours (pids get reused).
        if pid is not None:
            self._signal_pid(FoundProcess(name, pid), sig)

    def _wait_exit(self, name: str, timeout: float) -> bool:
        pid = self._pid_of(name)
        return pid is None or self._wait_pid_exit(pid, timeout)

    def _wait_pid_exit(self, pid: int, timeout: float) -> bool:
        child = next((n for n, proc in self._children.items() if proc.pid == pid), None)
        if child is not None:
            # Our child: waitpid returns once every thread is gone, and reaps it.
            try:
                self._children[child].wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            del self._children[child]
            return True
        deadline = time.monotonic() + timeout
        while _alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S)
        return True

    def _reap(self, name: str) -> None:
        proc = self._children.get(name)
        if proc is not None and proc.poll() is not None:
            del self._children[name]

    def _process_info(self, name: str) -> ProcessInfo:
        role = "proxy" if name == HAPROXY else self._role_of(name)
        return ProcessInfo(
            name=name,
            role=role,
            pid=self._pid_of(name),
            ports=tuple(self._ports_of(name)),
            alive=self._running(name),
        )

    def _proxy_view(self) -> list[dict[str, Any]]:
        """HAProxy's own view of its servers, from the runtime API."""
        if not self._haproxy_alive():
            return []
        return servers_state(self._runtime_socket())

    def _scrub(self, text: str) -> str:
        for value in self._secrets.values():
            text = text.replace(value, "********")
        return text


def start_fresh(state_dir: Path, *, semi_sync: bool = False, db_name: str | None = None) -> LocalEnv:
    """A running environment in ``state_dir``; if ``up`` fails, nothing is left running or on disk."""
    env = LocalEnv(state_dir, semi_sync=semi_sync, db_name=db_name)
    try:
        env.up()
    except BaseException:
        env.down(purge=True)
        raise
    return env


# --- CLI ----------------------------------------------------------------------------


def _print_status(status: dict[str, Any]) -> None:
    print(f"state dir: {status['state_dir']}")
    if not status.get("initialized"):
        orphans = status.get("orphans") or []
        if orphans:
            which = ", ".join(f"{p['name']} pid {p['pid']}" for p in orphans)
            print(f"no state file, yet processes of this state dir still run ({which}): run `down`")
        else:
            print("no local environment here (run `up`)")
        return
    print(f"replication: {'semi-sync' if status['semi_sync'] else 'async'}; roles: {status['roles']}")
    print(f"database: {status.get('db_name') or '(none recorded: the next `up` creates it)'}")
    for p in status["processes"]:
        ports = ",".join(str(x) for x in p["ports"])
        state = "alive" if p["alive"] else "DOWN"
        print(f"  {p['name']:8} {p['role']:8} pid={p['pid']!s:8} port={ports:12} {state}")
    for s in status["proxy"]:
        print(f"  haproxy  {s['backend']}/{s['server']} -> {s['address']} {s['state']}")
    repl = status["replication"]
    print(
        "  replica {server}: running={running} io={io} sql={sql} behind={behind}s gtid={gtid} {err}".format(
            server=repl.get("server"),
            running=repl.get("running"),
            io=repl.get("io_running", "-"),
            sql=repl.get("sql_running", "-"),
            behind=repl.get("seconds_behind_master", "-"),
            gtid=repl.get("gtid_current_pos", "-"),
            err=repl.get("error") or repl.get("last_error") or "",
        ).rstrip()
    )


def _print_outputs(env: LocalEnv, outputs: StackOutputs, took: float) -> None:
    db, proxy = outputs.db, outputs.proxy
    assert proxy is not None
    print(f"local environment up in {took:.2f} s ({env.state_dir})")
    print(f"  writer   {db.writer.host}:{db.writer.port}   (primary, {db.engine} {db.engine_version})")
    for r in db.readers:
        print(f"  reader   {r.host}:{r.port}   (replica)")
    print(f"  proxy    {proxy.host}:{proxy.writer_port} writes, {proxy.host}:{proxy.reader_port} reads")
    print(f"  database {db.database} (utf8mb4; db.database in the outputs)")
    print(f"  user     {db.username} (password in {env.outputs_path}, mode 0600)")
    print(f"  TLS CA   {outputs.ssl_ca}")


def _describe_stopped(stopped: list[FoundProcess]) -> str:
    if not stopped:
        return "nothing was running"
    noun = "process" if len(stopped) == 1 else "processes"
    return f"stopped {len(stopped)} {noun} (" + ", ".join(f"{p.name} pid {p.pid}" for p in stopped) + ")"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.local_env",
        description="Local MariaDB primary/replica + HAProxy + TLS on loopback, "
        "with the stack outputs contract.",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help=f"where data, config, logs and outputs.json live (default: {DEFAULT_STATE_DIR})",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start (or create) the environment; idempotent")
    up.add_argument("--semi-sync", action="store_true", help="semi-synchronous replication (default async)")
    up.add_argument(
        "--db-name",
        metavar="NAME",
        help=f"database to create, as RDS does with dbName (default {DEFAULT_DB_NAME}); chosen when the "
        "environment is created and kept by later commands (another name needs `down --purge`)",
    )
    down = sub.add_parser("down", help="stop the processes this environment started")
    down.add_argument("--purge", action="store_true", help="also delete the state dir (data, TLS, outputs)")
    status = sub.add_parser("status", help="processes and replication state")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser("failover", help="promote the replica and repoint HAProxy to it")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Warnings from the library (e.g. down working without a usable state file) reach the user.
    logging.basicConfig(level=logging.WARNING, format="local_env: %(message)s", stream=sys.stderr)
    try:
        env = LocalEnv(
            args.state_dir,
            semi_sync=getattr(args, "semi_sync", False),
            db_name=getattr(args, "db_name", None),
        )
        if args.command == "up":
            started = time.monotonic()
            outputs = env.up()
            _print_outputs(env, outputs, time.monotonic() - started)
        elif args.command == "down":
            started = time.monotonic()
            stopped = env.down(purge=args.purge)
            print(
                f"local environment down in {time.monotonic() - started:.2f} s: {_describe_stopped(stopped)}"
            )
        elif args.command == "status":
            status = env.status()
            print(json.dumps(status, indent=2)) if args.json else _print_status(status)
        elif args.command == "failover":
            started = time.monotonic()
            outputs = env.failover()
            took = time.monotonic() - started
            print(f"failover done in {took:.2f} s; the writer is now port {outputs.db.writer.port}")
    except LocalEnvError as exc:
        print(f"local_env {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
