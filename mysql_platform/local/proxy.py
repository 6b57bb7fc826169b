"""The environment's HAProxy process: its spec and config, start, and keeping it on the current roles.

The writer port goes to the primary; the reader port to the replica, with the primary as
backup. The rendering is the shared one (``mysql_platform.core.haproxy_config``), the same
as the EC2 host's; the runtime API client is :mod:`mysql_platform.local.haproxy`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from mysql_platform.core.haproxy_config import (
    READER_SECTION,
    WRITER_SECTION,
    HAProxySpec,
    ServerSpec,
    render_haproxy_config,
)
from mysql_platform.local.haproxy import api_ok_all, runtime_api, servers_state
from mysql_platform.local.layout import Paths
from mysql_platform.local.procs import (
    LOOPBACK,
    POLL_S,
    Children,
    LocalEnvError,
    ProcessMarker,
    alive,
    binary,
    port_free,
    runs,
    tail,
)
from mysql_platform.local.servers import READY_TIMEOUT_S, Servers
from mysql_platform.local.state import HAPROXY, StateStore

log = logging.getLogger(__name__)

# The names of the servers in the rendered config (the spec's, not db1/db2: roles move).
PRIMARY_SERVER = "primary"
REPLICA_SERVER = "replica1"


def replica_server(index: int) -> str:
    """HAProxy's name for the reader backend's ``index``-th replica (0-based): replica1, replica2."""
    return f"replica{index + 1}"


class Proxy:
    """HAProxy in front of the environment's servers."""

    def __init__(self, paths: Paths, store: StateStore, children: Children, servers: Servers) -> None:
        self.paths = paths
        self.store = store
        self.children = children
        self.servers = servers

    def marker(self) -> ProcessMarker:
        return ProcessMarker("haproxy", str(self.paths.haproxy_cfg))

    def runtime_socket(self) -> str:
        return f"{self.store.current().socket_dir}/haproxy.sock"

    def alive(self) -> bool:
        return runs(self.store.current().haproxy.pid, self.marker())

    def spec(self) -> HAProxySpec:
        """The proxy's spec for the current roles (the runtime API mirrors it after a failover)."""
        state = self.store.current()
        primary = state.servers[state.roles.primary]
        return HAProxySpec(
            bind_address=LOOPBACK,
            writer_port=state.haproxy.writer_port,
            reader_port=state.haproxy.reader_port,
            primary=ServerSpec(PRIMARY_SERVER, LOOPBACK, primary.port),
            replicas=tuple(
                ServerSpec(replica_server(i), LOOPBACK, state.servers[name].port)
                for i, name in enumerate(state.replicas)
            ),
            runtime_api_socket=self.runtime_socket(),
            # Another topology's HAProxy must never share our ports.
            exclusive_bind=True,
            log_target="stderr format raw local0",
            header_comments=(f"local environment in {self.paths.state_dir}",),
        )

    def start(self) -> None:
        """Start HAProxy on the current roles and wait until its runtime API answers."""
        state = self.store.current()
        for key, port in (
            ("writer_port", state.haproxy.writer_port),
            ("reader_port", state.haproxy.reader_port),
        ):
            if not port_free(port):
                raise LocalEnvError(f"cannot start HAProxy: {key} {port} is taken by another process")
        cfg = self.paths.haproxy_cfg
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(render_haproxy_config(self.spec()))
        log_path = cfg.parent / "haproxy.log"
        # -db: stay in the foreground, so the pid we record is HAProxy's own.
        pid = self.children.spawn(HAPROXY, [binary("haproxy"), "-db", "-f", str(cfg)], log_path)
        state.set_pid(HAPROXY, pid)
        self.store.save()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if not alive(pid):
                self.children.reap(HAPROXY)
                raise LocalEnvError(f"HAProxy exited during startup; tail of {log_path}:\n{tail(log_path)}")
            with contextlib.suppress(OSError):
                if "Name: HAProxy" in runtime_api(self.runtime_socket(), "show info"):
                    return
            time.sleep(POLL_S)
        raise LocalEnvError(
            f"HAProxy not ready after {READY_TIMEOUT_S:.0f} s; tail of {log_path}:\n{tail(log_path)}"
        )

    def command(self, command: str) -> str:
        """Run a runtime API command (e.g. ``show servers state``)."""
        return runtime_api(self.runtime_socket(), command)

    def view(self) -> list[dict[str, Any]]:
        """HAProxy's own view of its servers, from the runtime API ([] when it is not running)."""
        if not self.alive():
            return []
        try:
            return servers_state(self.runtime_socket())
        except OSError as exc:  # a hung HAProxy (TimeoutError) or a vanished socket
            raise LocalEnvError(
                f"HAProxy (pid {self.store.current().haproxy.pid}) does not answer on its runtime API "
                f"({exc or type(exc).__name__}): it may hang; `mysql-platform local down` then "
                "`mysql-platform local up` restarts it"
            ) from None

    def sync(self, *, cut_writer_sessions: bool = False) -> None:
        """Point the running proxy at the current roles and rewrite its config file to match.

        ``cut_writer_sessions``: close the writer's open sessions, which still reach
        the old (read-only) primary; a cut connection is an error every client
        retries (2013), a read-only one (1290) is not.
        """
        spec = self.spec()
        self.paths.haproxy_cfg.write_text(render_haproxy_config(spec))
        if not self.alive():
            return
        primary = self.servers.name_of("primary")
        targets = [
            (WRITER_SECTION, spec.primary, primary),
            (READER_SECTION, spec.primary, primary),
            *zip(
                (READER_SECTION,) * len(spec.replicas),
                spec.replicas,
                self.store.current().replicas,
                strict=True,
            ),
        ]
        commands = []
        for backend, server, name in targets:
            where = f"{backend}/{server.name}"
            commands.append(f"set server {where} addr {server.host} port {server.port}")
            # Do not wait for health checks: we know which server is up.
            commands.append(f"set server {where} health {'up' if self.servers.alive(name) else 'down'}")
        if cut_writer_sessions:
            commands.append(f"shutdown sessions server {WRITER_SECTION}/{spec.primary.name}")
        # One connection to the runtime API for all of them (a switchover waits for this).
        api_ok_all(self.runtime_socket(), commands)

    def expected_view(self) -> list[tuple[str, str, str, str]]:
        """(backend, server, address, state) that HAProxy should report for the current roles."""
        state = self.store.current()
        rows = []
        servers = [
            (WRITER_SECTION, PRIMARY_SERVER, state.roles.primary),
            *((READER_SECTION, replica_server(i), name) for i, name in enumerate(state.replicas)),
            (READER_SECTION, PRIMARY_SERVER, state.roles.primary),
        ]
        for backend, server, name in servers:
            address = f"{LOOPBACK}:{state.servers[name].port}"
            rows.append((backend, server, address, "UP" if self.servers.alive(name) else "DOWN"))
        return rows
