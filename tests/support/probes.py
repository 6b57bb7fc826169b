"""Probes the integration tests share: a query on one server, a port, a process."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from mysql_platform.local.env import LocalEnv


def scalar(env: LocalEnv, target: str, sql: str, *args: Any) -> Any:
    """The first column of the first row of ``sql`` run on ``target`` (primary, replica, writer, reader)."""
    with contextlib.closing(env.connect(target)) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute(sql, args or None)
        return cur.fetchone()[0]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int) -> bool:
    """A live process: exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def unrelated_ca(directory: Path) -> Path:
    """A self-signed CA certificate that signed nothing of the environment's."""
    ca = directory / "other-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(directory / "k.pem"), "-out", str(ca), "-days", "1", "-subj", "/CN=other"],
        capture_output=True,
        check=True,
    )  # fmt: skip
    return ca


def servers_lacking(env: LocalEnv, schema: str, timeout: float = 15.0) -> list[str]:
    """The servers (db1, db2, db3) that still lack database ``schema`` after ``timeout`` s, asked
    over their own sockets: a write replicated to every one of them leaves none."""
    env.store.load()
    lacking = env.store.current().names
    deadline = time.monotonic() + timeout
    while lacking and time.monotonic() < deadline:
        lacking = [name for name in lacking if not _has_schema(env, name, schema)]
        time.sleep(0.05)
    return lacking


def _has_schema(env: LocalEnv, name: str, schema: str) -> bool:
    try:
        with env.servers.ops_connection(name) as conn, contextlib.closing(conn.cursor()) as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,))
            return bool(cur.fetchone()[0])
    except Exception:  # down or starting: not there yet
        return False


def execute(env: LocalEnv, target: str, sql: str) -> None:
    """Run one statement that returns no rows on ``target`` as the admin user."""
    with contextlib.closing(env.connect(target)) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute(sql)
