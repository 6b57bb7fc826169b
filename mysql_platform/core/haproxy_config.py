"""Render the HAProxy configuration of the read/write-split proxy.

One pure function, :func:`render_haproxy_config`, used by both the local
environment (``mysql-platform local``) and the EC2 host's user data on AWS, so
the configuration that is tested locally against real HAProxy is the one that
ships.

Routing:
- the writer port goes to the primary only;
- the reader port balances the replicas, with the primary as ``backup`` so
  reads keep working when every replica is down.

Health checks are plain TCP connects, not ``option mysql-check``: that check
logs in without TLS, which a server with ``require_secure_transport=ON`` (or an
RDS instance that requires TLS) refuses, so every server would be marked down.
Failure detection does not wait for the periodic check: ``observe layer4`` marks
a server down on its first failed connection (about 0.03 s instead of about
1 s measured locally), and ``on-marked-down shutdown-sessions`` cuts the
sessions of a dead server so clients reconnect instead of hanging.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from enum import StrEnum

# HAProxy accepts longer names; a short conservative alphabet keeps the names
# usable as runtime API arguments ("set server writer/primary ...") unquoted.
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")
# RFC 1123 host names (RDS endpoints are DNS names).
_HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
# Linux unix socket paths are limited to 107 bytes plus the terminating NUL.
_MAX_SOCKET_PATH = 107

#: Section names, also the backend names to use with the runtime API.
WRITER_SECTION = "mysql_writer"
READER_SECTION = "mysql_reader"


class Balance(StrEnum):
    """How the reader port spreads new connections over the replicas."""

    ROUNDROBIN = "roundrobin"
    LEASTCONN = "leastconn"


class HAProxyConfigError(ValueError):
    """A field of the spec has a value HAProxy or this renderer cannot use."""


@dataclass(frozen=True)
class ServerSpec:
    """One MySQL server behind the proxy."""

    name: str
    host: str
    port: int


@dataclass(frozen=True)
class HAProxySpec:
    """Everything the rendered configuration depends on.

    Defaults are tuned for MySQL behind a TCP proxy on a LAN or loopback.
    """

    #: Address the writer and reader ports listen on: an IP address, no CIDR.
    #: ``127.0.0.1`` locally; the host's private IP (or ``0.0.0.0`` with a
    #: security group in front) on EC2.
    bind_address: str
    writer_port: int
    reader_port: int
    primary: ServerSpec
    #: At least one replica; the primary is appended to the reader backend as ``backup``.
    replicas: tuple[ServerSpec, ...]
    balance: Balance = Balance.ROUNDROBIN
    #: Health check period; also how long a recovered server waits to come back.
    check_interval_ms: int = 500
    #: Consecutive failed checks before a server is marked down (a failed client
    #: connection marks it down at once through ``observe layer4``).
    fall: int = 2
    #: Consecutive good checks before a server is marked up again.
    rise: int = 1
    connect_timeout_ms: int = 2000
    #: MySQL clients hold idle pooled connections for long; 8 h matches the
    #: server's default ``wait_timeout`` so the proxy is not the one that cuts them.
    client_timeout_s: int = 28800
    server_timeout_s: int = 28800
    maxconn: int = 2000
    #: Unix socket of the runtime API (``level admin``), used to repoint
    #: servers on failover. ``None``: no runtime API.
    runtime_api_socket: str | None = None
    pidfile: str | None = None
    #: e.g. ``"/dev/log local0"`` on EC2 or ``"stderr format raw local0"`` locally; ``None``: no logging.
    log_target: str | None = None
    #: Unprivileged account HAProxy drops to after binding (``haproxy`` on EC2).
    run_as_user: str | None = None
    run_as_group: str | None = None
    #: Refuse to share a port (``noreuseport``). HAProxy binds with SO_REUSEPORT,
    #: so a second HAProxy on the same port would silently split the traffic;
    #: locally, where many topologies pick ports, that must fail instead. Leave
    #: off where seamless reloads rely on SO_REUSEPORT.
    exclusive_bind: bool = False
    #: Re-resolve server host names at run time through /etc/resolv.conf.
    #: Needed on AWS: an RDS endpoint keeps its name but changes its IP on a
    #: Multi-AZ failover, and HAProxy otherwise resolves only once at start.
    resolve_dns: bool = False
    #: When a replica comes back up, close the reader sessions still on the
    #: primary (backup), so pooled read connections return to the replicas
    #: instead of loading the primary until they are recycled.
    return_reads_to_replicas: bool = True
    #: Extra comment lines at the top (e.g. the stack name); never secrets.
    header_comments: tuple[str, ...] = field(default_factory=tuple)


def render_haproxy_config(spec: HAProxySpec) -> str:
    """Return the text of ``haproxy.cfg`` for ``spec``; raises :class:`HAProxyConfigError`."""
    _validate(spec)
    lines: list[str] = ["# Rendered by mysql_platform.core.haproxy_config; do not edit by hand."]
    lines += [f"# {c}" for c in spec.header_comments]
    lines += _global_section(spec)
    lines += _defaults_section(spec)
    if spec.resolve_dns:
        lines += _resolvers_section()
    lines += _writer_section(spec)
    lines += _reader_section(spec)
    return "\n".join(lines) + "\n"


# --- sections -----------------------------------------------------------------


def _global_section(spec: HAProxySpec) -> list[str]:
    out = ["", "global", f"    maxconn {spec.maxconn}"]
    if spec.exclusive_bind:
        out.append("    noreuseport")
    if spec.pidfile is not None:
        out.append(f"    pidfile {spec.pidfile}")
    if spec.runtime_api_socket is not None:
        # mode 600: whoever can write this socket can repoint the database traffic.
        out.append(f"    stats socket {spec.runtime_api_socket} mode 600 level admin")
    if spec.run_as_user is not None:
        out.append(f"    user {spec.run_as_user}")
    if spec.run_as_group is not None:
        out.append(f"    group {spec.run_as_group}")
    if spec.log_target is not None:
        out.append(f"    log {spec.log_target}")
    return out


def _defaults_section(spec: HAProxySpec) -> list[str]:
    out = ["", "defaults", "    mode tcp"]
    if spec.log_target is not None:
        out += ["    log global", "    option tcplog", "    option dontlognull"]
    out += [
        # A connect failure is retried, on another server where there is one.
        "    retries 2",
        "    option redispatch",
        f"    timeout connect {spec.connect_timeout_ms}ms",
        f"    timeout client {spec.client_timeout_s}s",
        f"    timeout server {spec.server_timeout_s}s",
        f"    timeout check {spec.connect_timeout_ms}ms",
        "    default-server " + _server_options(spec),
    ]
    return out


def _server_options(spec: HAProxySpec) -> str:
    opts = [
        f"inter {spec.check_interval_ms}ms",
        f"fall {spec.fall}",
        f"rise {spec.rise}",
        # The first failed client connection marks the server down, without
        # waiting for `fall` periodic checks.
        "observe layer4",
        "error-limit 1",
        "on-error mark-down",
        # Sessions to a dead server would otherwise hang until a TCP timeout.
        "on-marked-down shutdown-sessions",
    ]
    if spec.resolve_dns:
        opts += ["resolvers sysdns", "resolve-prefer ipv4", "init-addr last,libc,none"]
    return " ".join(opts)


def _resolvers_section() -> list[str]:
    return ["", "resolvers sysdns", "    parse-resolv-conf", "    hold valid 10s"]


def _writer_section(spec: HAProxySpec) -> list[str]:
    return [
        "",
        f"listen {WRITER_SECTION}",
        f"    bind {_bind(spec.bind_address, spec.writer_port)}",
        # Plain TCP connect check: see the module docstring.
        f"    server {spec.primary.name} {_addr(spec.primary)} check",
    ]


def _reader_section(spec: HAProxySpec) -> list[str]:
    out = [
        "",
        f"listen {READER_SECTION}",
        f"    bind {_bind(spec.bind_address, spec.reader_port)}",
        f"    balance {spec.balance.value}",
    ]
    back = " on-marked-up shutdown-backup-sessions" if spec.return_reads_to_replicas else ""
    out += [f"    server {r.name} {_addr(r)} check{back}" for r in spec.replicas]
    # The primary serves reads only when no replica is up.
    out.append(f"    server {spec.primary.name} {_addr(spec.primary)} check backup")
    return out


def _bind(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _addr(server: ServerSpec) -> str:
    return _bind(server.host, server.port)


# --- validation ---------------------------------------------------------------


def _fail(field_name: str, value: object, expected: str) -> HAProxyConfigError:
    return HAProxyConfigError(f"haproxy spec: field '{field_name}' is {value!r}; expected {expected}")


def _validate(spec: HAProxySpec) -> None:
    _validate_bind_address(spec.bind_address)
    _validate_port("writer_port", spec.writer_port)
    _validate_port("reader_port", spec.reader_port)
    if spec.writer_port == spec.reader_port:
        raise _fail("reader_port", spec.reader_port, "a port different from writer_port")
    _validate_server("primary", spec.primary)
    if not isinstance(spec.replicas, tuple) or not spec.replicas:
        raise _fail("replicas", spec.replicas, "a non-empty tuple of ServerSpec")
    seen = {spec.primary.name}
    for i, replica in enumerate(spec.replicas):
        _validate_server(f"replicas[{i}]", replica)
        if replica.name in seen:
            raise _fail(f"replicas[{i}].name", replica.name, "a name not used by another server")
        seen.add(replica.name)
    if not isinstance(spec.balance, Balance):
        raise _fail("balance", spec.balance, f"one of {[b.value for b in Balance]}")
    _validate_positive("check_interval_ms", spec.check_interval_ms, 10, 3_600_000)
    _validate_positive("fall", spec.fall, 1, 100)
    _validate_positive("rise", spec.rise, 1, 100)
    _validate_positive("connect_timeout_ms", spec.connect_timeout_ms, 1, 3_600_000)
    _validate_positive("client_timeout_s", spec.client_timeout_s, 1, 31_536_000)
    _validate_positive("server_timeout_s", spec.server_timeout_s, 1, 31_536_000)
    _validate_positive("maxconn", spec.maxconn, 1, 1_000_000)
    # Longer unix socket paths are cut by the kernel's sockaddr_un limit.
    _validate_path("runtime_api_socket", spec.runtime_api_socket, max_len=_MAX_SOCKET_PATH)
    _validate_path("pidfile", spec.pidfile, max_len=4096)
    _validate_single_line("log_target", spec.log_target)
    for name in ("run_as_user", "run_as_group"):
        value = getattr(spec, name)
        if value is not None and not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", value):
            raise _fail(name, value, "a POSIX user/group name such as 'haproxy'")
    for i, comment in enumerate(spec.header_comments):
        _validate_single_line(f"header_comments[{i}]", comment)


def _validate_bind_address(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except (ValueError, TypeError):
        raise _fail(
            "bind_address", value, "an IP address such as '127.0.0.1' (not a CIDR, not a host name)"
        ) from None


def _validate_port(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise _fail(name, value, "a TCP port, an int in 1-65535")


def _validate_positive(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(name, value, f"an int in {low}-{high}")


def _validate_server(path: str, server: ServerSpec) -> None:
    if not isinstance(server, ServerSpec):
        raise _fail(path, server, "a ServerSpec")
    if not isinstance(server.name, str) or not _NAME_RE.fullmatch(server.name):
        raise _fail(
            f"{path}.name",
            server.name,
            "1-32 characters: a letter, then letters, digits, '_', '.' or '-'",
        )
    if not _is_host(server.host):
        raise _fail(f"{path}.host", server.host, "an IP address or a DNS host name")
    _validate_port(f"{path}.port", server.port)


def _is_host(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(_HOSTNAME_RE.fullmatch(value))
    return True


def _validate_path(name: str, value: str | None, *, max_len: int) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value.startswith("/") or any(c.isspace() for c in value):
        raise _fail(name, value, "an absolute path without whitespace")
    if len(value.encode()) > max_len:
        raise _fail(name, value, f"a path of at most {max_len} bytes")


def _validate_single_line(name: str, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or "\n" in value or "\r" in value):
        raise _fail(name, value, "a single line of text")
