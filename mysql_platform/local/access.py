"""What :class:`mysql_platform.local.env.LocalEnv` lends tests, benchmarks and tools: the admin password,
ports and pids by role, TLS connections as the admin user, a local management cursor, HAProxy's
spec and runtime API. Each reads the state again first (another process may have failed over)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from mysql_platform.core.contract import Secret
from mysql_platform.core.haproxy_config import HAProxySpec
from mysql_platform.local.procs import LOOPBACK
from mysql_platform.local.proxy import Proxy
from mysql_platform.local.servers import Servers
from mysql_platform.local.state import ADMIN_USER, ROLES, Role, StateStore


class Accessors:
    """Mixed into LocalEnv, which sets these attributes."""

    store: StateStore
    servers: Servers
    proxy: Proxy
    ca_path: Path

    @property
    def admin_password(self) -> Secret:
        self.store.load()
        return Secret(self.store.secrets.admin)

    def port(self, target: Literal["primary", "replica", "writer", "reader"]) -> int:
        """The TCP port of a server (by role) or of a proxy port."""
        self.store.load()
        state = self.store.current()
        if target == "writer":
            return state.haproxy.writer_port
        if target == "reader":
            return state.haproxy.reader_port
        return state.servers[self.servers.name_of(target)].port

    def pid(self, name: str) -> int | None:
        """Pid of ``primary``/``replica``/``haproxy`` (or a server name), None when stopped."""
        self.store.load()
        if name in ROLES:
            name = self.servers.name_of("primary" if name == "primary" else "replica")
        return self.store.current().pid_of(name)

    def all_ports(self) -> list[int]:
        state = self.store.load()
        return state.all_ports() if state is not None else []

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
        params: dict[str, Any] = dict(
            host=LOOPBACK, port=self.port(target), user=user, password=password,
            ssl_ca=str(self.ca_path), ssl_verify_cert=True, ssl_verify_identity=True,
            autocommit=True, connection_timeout=5, use_pure=True,
        )  # fmt: skip
        if database is not None:
            params["database"] = database
        return mysql.connector.connect(**{**params, **kwargs})

    @contextlib.contextmanager
    def ops_cursor(self, role: Role) -> Iterator[Any]:
        """A privileged cursor over the server's unix socket (local management only)."""
        self.store.load()
        with (
            self.servers.ops_connection(self.servers.name_of(role)) as conn,
            contextlib.closing(conn.cursor()) as cur,
        ):
            yield cur

    def haproxy_spec(self) -> HAProxySpec:
        """The proxy's spec for the current roles (the runtime API mirrors it after a failover)."""
        self.store.load()
        return self.proxy.spec()

    def haproxy_command(self, command: str) -> str:
        """Run a runtime API command (e.g. ``show servers state``)."""
        self.store.load()
        return self.proxy.command(command)
