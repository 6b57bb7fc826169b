"""The HAProxy renderer: routing, checks and validation (no HAProxy needed)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mysql_platform.core.haproxy_config import (
    READER_SECTION,
    WRITER_SECTION,
    Balance,
    HAProxyConfigError,
    HAProxySpec,
    ServerSpec,
    render_haproxy_config,
)


def _spec(**overrides: Any) -> HAProxySpec:
    base = HAProxySpec(
        bind_address="127.0.0.1",
        writer_port=6033,
        reader_port=6034,
        primary=ServerSpec("primary", "10.0.1.10", 3306),
        replicas=(ServerSpec("replica1", "10.0.2.10", 3306), ServerSpec("replica2", "10.0.3.10", 3306)),
    )
    return dataclasses.replace(base, **overrides)


def _section(cfg: str, header: str) -> list[str]:
    """The indented lines of one section."""
    lines = cfg.splitlines()
    start = lines.index(header)
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        body.append(line.strip())
    return body


def test_writer_port_routes_to_the_primary_only() -> None:
    writer = _section(render_haproxy_config(_spec()), f"listen {WRITER_SECTION}")
    assert "bind 127.0.0.1:6033" in writer
    assert [line for line in writer if line.startswith("server ")] == ["server primary 10.0.1.10:3306 check"]


def test_reader_port_balances_replicas_with_the_primary_as_backup() -> None:
    reader = _section(render_haproxy_config(_spec(balance=Balance.LEASTCONN)), f"listen {READER_SECTION}")
    assert "bind 127.0.0.1:6034" in reader
    assert "balance leastconn" in reader
    servers = [line for line in reader if line.startswith("server ")]
    assert servers == [
        "server replica1 10.0.2.10:3306 check on-marked-up shutdown-backup-sessions",
        "server replica2 10.0.3.10:3306 check on-marked-up shutdown-backup-sessions",
        "server primary 10.0.1.10:3306 check backup",
    ]


def test_reads_can_stay_on_the_primary_after_a_replica_recovers() -> None:
    reader = _section(
        render_haproxy_config(_spec(return_reads_to_replicas=False)), f"listen {READER_SECTION}"
    )
    assert "server replica1 10.0.2.10:3306 check" in reader
    assert not any("shutdown-backup-sessions" in line for line in reader)


def test_default_balance_is_roundrobin() -> None:
    assert "balance roundrobin" in _section(render_haproxy_config(_spec()), f"listen {READER_SECTION}")


def test_checks_are_tcp_and_failures_are_detected_fast() -> None:
    cfg = render_haproxy_config(_spec())
    # mysql-check logs in without TLS: refused by require_secure_transport.
    assert "mysql-check" not in cfg
    assert "mode tcp" in _section(cfg, "defaults")
    default_server = next(line for line in _section(cfg, "defaults") if line.startswith("default-server"))
    for option in (
        "inter 500ms",
        "fall 2",
        "rise 1",
        "observe layer4",
        "error-limit 1",
        "on-error mark-down",
        "on-marked-down shutdown-sessions",
    ):
        assert option in default_server


def test_timeouts_suit_long_lived_mysql_connections() -> None:
    defaults = _section(render_haproxy_config(_spec()), "defaults")
    assert "timeout client 28800s" in defaults
    assert "timeout server 28800s" in defaults
    assert "timeout connect 2000ms" in defaults


def test_runtime_api_pidfile_and_user_are_optional() -> None:
    bare = render_haproxy_config(_spec())
    assert "stats socket" not in bare and "pidfile" not in bare and "user " not in bare
    full = _section(
        render_haproxy_config(
            _spec(
                runtime_api_socket="/run/haproxy/admin.sock",
                pidfile="/run/haproxy.pid",
                run_as_user="haproxy",
                run_as_group="haproxy",
            )
        ),
        "global",
    )
    assert "stats socket /run/haproxy/admin.sock mode 600 level admin" in full
    assert "pidfile /run/haproxy.pid" in full
    assert "user haproxy" in full and "group haproxy" in full


def test_exclusive_bind_refuses_port_sharing() -> None:
    assert "noreuseport" in _section(render_haproxy_config(_spec(exclusive_bind=True)), "global")
    assert "noreuseport" not in render_haproxy_config(_spec())


def test_dns_names_are_re_resolved_when_asked() -> None:
    cfg = render_haproxy_config(
        _spec(primary=ServerSpec("primary", "db.abc.eu-west-1.rds.amazonaws.com", 3306), resolve_dns=True)
    )
    assert "resolvers sysdns" in cfg and "parse-resolv-conf" in cfg
    assert "server primary db.abc.eu-west-1.rds.amazonaws.com:3306 check" in cfg
    assert "resolvers sysdns" not in render_haproxy_config(_spec())


def test_ipv6_addresses_are_bracketed() -> None:
    cfg = render_haproxy_config(_spec(bind_address="::1", primary=ServerSpec("primary", "fd00::10", 3306)))
    assert "bind [::1]:6033" in cfg
    assert "server primary [fd00::10]:3306 check" in cfg


def test_rendering_is_deterministic_and_never_opens_to_the_world() -> None:
    first = render_haproxy_config(_spec())
    assert first == render_haproxy_config(_spec())
    assert "0.0.0.0/0" not in first
    assert first.endswith("\n")


# --- validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        ({"writer_port": 0}, "writer_port", "1-65535"),
        ({"reader_port": 70000}, "reader_port", "1-65535"),
        ({"writer_port": True}, "writer_port", "1-65535"),
        ({"reader_port": 6033}, "reader_port", "different from writer_port"),
        ({"replicas": ()}, "replicas", "non-empty"),
        ({"bind_address": "0.0.0.0/0"}, "bind_address", "not a CIDR"),
        ({"bind_address": "localhost"}, "bind_address", "IP address"),
        ({"primary": ServerSpec("bad name", "10.0.0.1", 3306)}, "primary.name", "a letter"),
        ({"primary": ServerSpec("primary", "10.0.0.1", 0)}, "primary.port", "1-65535"),
        ({"primary": ServerSpec("primary", "not a host!", 3306)}, "primary.host", "host name"),
        ({"replicas": (ServerSpec("primary", "10.0.0.2", 3306),)}, "replicas[0].name", "not used"),
        (
            {"replicas": (ServerSpec("r1", "10.0.0.2", 3306), ServerSpec("r1", "10.0.0.3", 3306))},
            "replicas[1].name",
            "not used",
        ),
        ({"fall": 0}, "fall", "1-100"),
        ({"check_interval_ms": 5}, "check_interval_ms", "10-3600000"),
        ({"runtime_api_socket": "relative.sock"}, "runtime_api_socket", "absolute path"),
        ({"runtime_api_socket": "/" + "s" * 120}, "runtime_api_socket", "at most 107 bytes"),
        ({"run_as_user": "Root Admin"}, "run_as_user", "POSIX user"),
        ({"header_comments": ("two\nlines",)}, "header_comments[0]", "single line"),
    ],
)
def test_rejects_invalid_spec(overrides: dict[str, Any], field: str, expected: str) -> None:
    with pytest.raises(HAProxyConfigError) as info:
        render_haproxy_config(_spec(**overrides))
    message = str(info.value)
    assert f"field '{field}'" in message
    assert expected in message
    # The message quotes the value received.
    value = overrides[field.split(".")[0].split("[")[0]]
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        assert f"is {value!r};" in message
