"""The environment's two MariaDB server processes: start, wait, stop, and talk to them locally.

Servers are named ``db1``/``db2``; which one is the primary is the state's ``roles``.
Local management goes over each server's unix socket: as the OS-authenticated root
(``mariadb`` client, SQL through stdin) before any account exists, then as the ops user.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mysql_platform.local.layout import Paths
from mysql_platform.local.mariadb import render_server_cnf
from mysql_platform.local.procs import (
    POLL_S,
    Children,
    LocalEnvError,
    ProcessMarker,
    alive,
    binary,
    listening,
    os_user,
    runs,
    signal_if_ours,
    tail,
)
from mysql_platform.local.state import OPS_USER, ROLES, Role, StateStore

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


class Servers:
    """The MariaDB servers of one environment, as its state records them."""

    def __init__(self, paths: Paths, store: StateStore, children: Children) -> None:
        self.paths = paths
        self.store = store
        self.children = children

    # ----- names, files, markers --------------------------------------------------

    def name_of(self, role: Role) -> str:
        """The server (db1/db2) that has ``role`` now."""
        if role not in ROLES:
            raise LocalEnvError(f"unknown role {role!r}; expected one of {ROLES}")
        return self.store.current().roles.of(role)

    def socket(self, name: str) -> str:
        return f"{self.store.current().socket_dir}/{name}.sock"

    def marker(self, name: str) -> ProcessMarker:
        """What ``name`` runs: exactly this state dir's config file, as launched (absolute path)."""
        return ProcessMarker("mariadbd", f"--defaults-file={self.paths.cnf(name)}")

    def alive(self, name: str) -> bool:
        return runs(self.store.current().servers[name].pid, self.marker(name))

    def scrub(self, text: str) -> str:
        """``text`` without any of the environment's passwords."""
        for value in self.store.known_secrets():
            text = text.replace(value, "********")
        return text

    def write_cnf(self, name: str) -> None:
        state = self.store.current()
        rec = state.servers[name]
        self.paths.server_dir(name).mkdir(parents=True, exist_ok=True)
        cnf = render_server_cnf(
            server_dir=self.paths.server_dir(name),
            datadir=self.paths.datadir(name),
            socket=self.socket(name),
            error_log=self.paths.error_log(name),
            port=rec.port,
            server_id=rec.server_id,
            tls_dir=self.paths.tls_dir,
            read_only=state.role_of(name) != "primary",
            semi_sync=state.semi_sync,
        )
        self.paths.cnf(name).write_text(cnf)

    # ----- lifecycle ------------------------------------------------------------------

    def launch(self, name: str) -> None:
        """Start ``name`` with a freshly written my.cnf and record its pid (not waiting for it)."""
        self.write_cnf(name)
        # --defaults-file must come first, and be absolute (plugins fail to load otherwise).
        pid = self.children.spawn(
            name,
            [binary("mariadbd"), f"--defaults-file={self.paths.cnf(name)}"],
            self.paths.server_dir(name) / "stdout.log",
        )
        self.store.current().set_pid(name, pid)
        self.store.save()
        log.debug("launched %s (pid %d)", name, pid)

    def wait_ready(self, name: str, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait for a real ``SELECT 1`` (``mariadb-admin ping`` succeeds even on access denied)."""
        deadline = time.monotonic() + timeout
        rec = self.store.current().servers[name]
        sock = Path(self.socket(name))
        error_log = self.paths.error_log(name)
        last_error = ""
        while time.monotonic() < deadline:
            if not alive(rec.pid):
                self.children.reap(name)
                raise LocalEnvError(
                    f"{name} (mariadbd, port {rec.port}) exited during "
                    f"startup; tail of {error_log}:\n{tail(error_log)}"
                )
            if sock.exists():
                try:
                    self.root_sql(name, "SELECT 1;")
                    return
                except LocalEnvError as exc:
                    last_error = str(exc)
            time.sleep(POLL_S)
        raise LocalEnvError(
            f"{name} not ready after {timeout:.0f} s ({last_error or 'no socket yet'}); "
            f"tail of {error_log}:\n{tail(error_log)}"
        )

    def halt(self, name: str, sig: signal.Signals, timeout: float) -> bool:
        """Signal ``name`` and wait for it to exit and its port to close; False if it did not exit."""
        pid = self.store.current().servers[name].pid
        # Only a pid that still runs our own config file is ours (pids get reused).
        if pid is not None:
            signal_if_ours(pid, self.marker(name), sig)
            if not self.children.wait_exit(pid, timeout):
                return False
        self.wait_port_closed(name)
        return True

    def wait_port_closed(self, name: str, timeout: float = 5.0) -> None:
        port = self.store.current().servers[name].port
        deadline = time.monotonic() + timeout
        while listening(port):
            if time.monotonic() > deadline:
                raise LocalEnvError(f"{name} exited but port {port} still accepts connections")
            time.sleep(POLL_S)

    # ----- SQL ------------------------------------------------------------------------

    def root_sql(self, name: str, sql: str) -> str:
        """Run SQL as the OS-authenticated root over the unix socket (before any account exists).

        The SQL goes through stdin, never argv, so passwords in it are not in /proc.
        """
        try:
            done = subprocess.run(
                [binary("mariadb"), "--no-defaults", f"--socket={self.socket(name)}",
                 f"--user={os_user()}", "--batch", "--skip-column-names", "--connect-timeout=5"],
                input=sql.encode(),
                capture_output=True,
                timeout=60,
                check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise LocalEnvError(f"SQL on {name} did not finish within 60 s") from None
        if done.returncode != 0:
            raise LocalEnvError(f"SQL on {name} failed: {self.scrub(done.stderr.decode(errors='replace'))}")
        return done.stdout.decode()

    def ops_connect(self, name: str, *, timeout: float = 5.0) -> Any:
        """A privileged connection over the server's unix socket (local management only);
        ``timeout`` bounds each wait on it. The caller closes it."""
        # Imported here: the CLI's down/status do not need the connector.
        import mysql.connector

        return mysql.connector.connect(
            unix_socket=self.socket(name),
            user=OPS_USER,
            password=self.store.secrets.ops,
            autocommit=True,
            connection_timeout=timeout,
            use_pure=True,
        )

    @contextlib.contextmanager
    def ops_connection(self, name: str) -> Iterator[Any]:
        """:meth:`ops_connect`, closed on leaving."""
        conn = self.ops_connect(name)
        try:
            yield conn
        finally:
            conn.close()

    def writable_status(self, name: str) -> dict[str, Any]:
        """``name``'s ``read_only`` (None: unknown, with ``error``); never raises (status reports it)."""
        if not self.alive(name):
            return {"server": name, "read_only": None, "error": "server is not running"}
        try:
            with self.ops_connection(name) as conn, contextlib.closing(conn.cursor()) as cur:
                cur.execute("SELECT @@GLOBAL.read_only")
                return {"server": name, "read_only": bool(cur.fetchone()[0]), "error": None}
        except Exception as exc:  # status must report, not crash
            return {"server": name, "read_only": None, "error": self.scrub(str(exc))}

    def replication_status(self, name: str) -> dict[str, Any]:
        """``name``'s replica threads, position and last error; never raises (status reports it)."""
        if not self.alive(name):
            return {"server": name, "running": False, "error": "server is not running"}
        try:
            with self.ops_connection(name) as conn, contextlib.closing(conn.cursor(dictionary=True)) as cur:
                cur.execute("SHOW SLAVE STATUS")
                row = cur.fetchone()
                cur.execute("SELECT @@GLOBAL.read_only AS ro, @@GLOBAL.gtid_current_pos AS pos")
                extra = cur.fetchone()
        except Exception as exc:  # status must report, not crash
            return {"server": name, "running": False, "error": self.scrub(str(exc))}
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
            "last_error": self.scrub(row["Last_IO_Error"] or row["Last_SQL_Error"] or ""),
        }
