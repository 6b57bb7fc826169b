"""The HAProxy renderer, whole: golden texts, exact error messages and the bounds of every field.

Written against the survivors of a mutation run (tests/mutation/): the other tests check
properties of the rendered text; these compare it whole, so a changed or missing line fails.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mysql_platform.core.haproxy_config import (
    Balance,
    HAProxyConfigError,
    HAProxySpec,
    ServerSpec,
    render_haproxy_config,
)

PRIMARY = ServerSpec("primary", "10.0.1.10", 3306)
REPLICAS = (ServerSpec("replica1", "10.0.2.10", 3306), ServerSpec("replica2", "db-2.example.internal", 3307))


def _spec(**overrides: Any) -> HAProxySpec:
    base = HAProxySpec(
        bind_address="127.0.0.1", writer_port=6033, reader_port=6034, primary=PRIMARY, replicas=REPLICAS
    )
    return dataclasses.replace(base, **overrides)


def _error(**overrides: Any) -> str:
    with pytest.raises(HAProxyConfigError) as info:
        render_haproxy_config(_spec(**overrides))
    return str(info.value)


MINIMAL = """\
# Rendered by mysql_platform.core.haproxy_config; do not edit by hand.

global
    maxconn 2000

defaults
    mode tcp
    retries 2
    option redispatch
    timeout connect 2000ms
    timeout client 28800s
    timeout server 28800s
    timeout check 2000ms
    default-server inter 500ms fall 2 rise 1 observe layer4 error-limit 1 on-error mark-down \
on-marked-down shutdown-sessions

listen mysql_writer
    bind 127.0.0.1:6033
    server primary 10.0.1.10:3306 check

listen mysql_reader
    bind 127.0.0.1:6034
    balance roundrobin
    server replica1 10.0.2.10:3306 check on-marked-up shutdown-backup-sessions
    server replica2 db-2.example.internal:3307 check on-marked-up shutdown-backup-sessions
    server primary 10.0.1.10:3306 check backup
"""

EVERYTHING = """\
# Rendered by mysql_platform.core.haproxy_config; do not edit by hand.
# stack: prod
# region: eu-west-1

global
    maxconn 500
    noreuseport
    pidfile /run/haproxy.pid
    stats socket /run/haproxy/admin.sock mode 600 level admin
    user haproxy
    group haproxy
    log /dev/log local0

defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    retries 2
    option redispatch
    timeout connect 150ms
    timeout client 60s
    timeout server 90s
    timeout check 150ms
    default-server inter 250ms fall 3 rise 4 observe layer4 error-limit 1 on-error mark-down \
on-marked-down shutdown-sessions resolvers sysdns resolve-prefer ipv4 init-addr last,libc,none

resolvers sysdns
    parse-resolv-conf
    hold valid 10s

listen mysql_writer
    bind [::1]:3306
    server primary 10.0.1.10:3306 check

listen mysql_reader
    bind [::1]:3307
    balance leastconn
    server replica1 10.0.2.10:3306 check
    server replica2 db-2.example.internal:3307 check
    server primary 10.0.1.10:3306 check backup
"""


def test_renders_the_minimal_spec_exactly() -> None:
    assert render_haproxy_config(_spec()) == MINIMAL


def test_renders_every_option_exactly() -> None:
    spec = _spec(
        bind_address="::1",
        writer_port=3306,
        reader_port=3307,
        balance=Balance.LEASTCONN,
        check_interval_ms=250,
        fall=3,
        rise=4,
        connect_timeout_ms=150,
        client_timeout_s=60,
        server_timeout_s=90,
        maxconn=500,
        runtime_api_socket="/run/haproxy/admin.sock",
        pidfile="/run/haproxy.pid",
        log_target="/dev/log local0",
        run_as_user="haproxy",
        run_as_group="haproxy",
        exclusive_bind=True,
        resolve_dns=True,
        return_reads_to_replicas=False,
        header_comments=("stack: prod", "region: eu-west-1"),
    )
    assert render_haproxy_config(spec) == EVERYTHING


def test_logging_alone_adds_exactly_the_log_lines() -> None:
    minimal = MINIMAL.splitlines()
    logged = render_haproxy_config(_spec(log_target="stderr format raw local0")).splitlines()
    added = [line for line in logged if line not in minimal]
    assert added == [
        "    log stderr format raw local0",
        "    log global",
        "    option tcplog",
        "    option dontlognull",
    ]
    assert [line for line in logged if line not in added] == minimal


# --- exact messages: they name the field, quote the value and say what is expected ------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"bind_address": "10.0.0.0/8"},
            "haproxy spec: field 'bind_address' is '10.0.0.0/8'; expected an IP address such as "
            "'127.0.0.1' (not a CIDR, not a host name)",
        ),
        (
            {"bind_address": None},
            "haproxy spec: field 'bind_address' is None; expected an IP address such as "
            "'127.0.0.1' (not a CIDR, not a host name)",
        ),
        (
            {"writer_port": 65536},
            "haproxy spec: field 'writer_port' is 65536; expected a TCP port, an int in 1-65535",
        ),
        (
            {"reader_port": "6034"},
            "haproxy spec: field 'reader_port' is '6034'; expected a TCP port, an int in 1-65535",
        ),
        (
            {"reader_port": 6033},
            "haproxy spec: field 'reader_port' is 6033; expected a port different from writer_port",
        ),
        (
            {"primary": "10.0.1.10:3306"},
            "haproxy spec: field 'primary' is '10.0.1.10:3306'; expected a ServerSpec",
        ),
        (
            {"primary": ServerSpec("1primary", "10.0.1.10", 3306)},
            "haproxy spec: field 'primary.name' is '1primary'; expected 1-32 characters: a letter, "
            "then letters, digits, '_', '.' or '-'",
        ),
        (
            {"primary": ServerSpec(7, "10.0.1.10", 3306)},
            "haproxy spec: field 'primary.name' is 7; expected 1-32 characters: a letter, "
            "then letters, digits, '_', '.' or '-'",
        ),
        (
            {"primary": ServerSpec("primary", "-bad-.example", 3306)},
            "haproxy spec: field 'primary.host' is '-bad-.example'; expected an IP address "
            "or a DNS host name",
        ),
        (
            {"primary": ServerSpec("primary", 10, 3306)},
            "haproxy spec: field 'primary.host' is 10; expected an IP address or a DNS host name",
        ),
        (
            {"primary": ServerSpec("primary", "10.0.1.10", 65536)},
            "haproxy spec: field 'primary.port' is 65536; expected a TCP port, an int in 1-65535",
        ),
        ({"replicas": ()}, "haproxy spec: field 'replicas' is (); expected a non-empty tuple of ServerSpec"),
        (
            {"replicas": list(REPLICAS)[:1]},
            "haproxy spec: field 'replicas' is [ServerSpec(name='replica1', host='10.0.2.10', port=3306)]; "
            "expected a non-empty tuple of ServerSpec",
        ),
        (
            {"replicas": (REPLICAS[0], ServerSpec("r2", "10.0.3.10", 0))},
            "haproxy spec: field 'replicas[1].port' is 0; expected a TCP port, an int in 1-65535",
        ),
        (
            {"replicas": (REPLICAS[0], ServerSpec("replica1", "10.0.3.10", 3306))},
            "haproxy spec: field 'replicas[1].name' is 'replica1'; expected a name not used "
            "by another server",
        ),
        (
            {"balance": "roundrobin"},
            "haproxy spec: field 'balance' is 'roundrobin'; expected one of ['roundrobin', 'leastconn']",
        ),
        (
            {"check_interval_ms": 9},
            "haproxy spec: field 'check_interval_ms' is 9; expected an int in 10-3600000",
        ),
        ({"fall": 101}, "haproxy spec: field 'fall' is 101; expected an int in 1-100"),
        ({"rise": 0}, "haproxy spec: field 'rise' is 0; expected an int in 1-100"),
        ({"rise": 101}, "haproxy spec: field 'rise' is 101; expected an int in 1-100"),
        (
            {"connect_timeout_ms": 0},
            "haproxy spec: field 'connect_timeout_ms' is 0; expected an int in 1-3600000",
        ),
        (
            {"connect_timeout_ms": 3_600_001},
            "haproxy spec: field 'connect_timeout_ms' is 3600001; expected an int in 1-3600000",
        ),
        (
            {"client_timeout_s": 0},
            "haproxy spec: field 'client_timeout_s' is 0; expected an int in 1-31536000",
        ),
        (
            {"client_timeout_s": 31_536_001},
            "haproxy spec: field 'client_timeout_s' is 31536001; expected an int in 1-31536000",
        ),
        (
            {"server_timeout_s": 0},
            "haproxy spec: field 'server_timeout_s' is 0; expected an int in 1-31536000",
        ),
        (
            {"server_timeout_s": 31_536_001},
            "haproxy spec: field 'server_timeout_s' is 31536001; expected an int in 1-31536000",
        ),
        ({"maxconn": 0}, "haproxy spec: field 'maxconn' is 0; expected an int in 1-1000000"),
        ({"maxconn": 1_000_001}, "haproxy spec: field 'maxconn' is 1000001; expected an int in 1-1000000"),
        ({"maxconn": True}, "haproxy spec: field 'maxconn' is True; expected an int in 1-1000000"),
        ({"maxconn": 2000.0}, "haproxy spec: field 'maxconn' is 2000.0; expected an int in 1-1000000"),
        (
            {"pidfile": "/run/my haproxy.pid"},
            "haproxy spec: field 'pidfile' is '/run/my haproxy.pid'; expected an absolute "
            "path without whitespace",
        ),
        (
            {"pidfile": "/" + "p" * 4096},
            f"haproxy spec: field 'pidfile' is '/{'p' * 4096}'; expected a path of at most 4096 bytes",
        ),
        (
            {"runtime_api_socket": 7},
            "haproxy spec: field 'runtime_api_socket' is 7; expected an absolute path without whitespace",
        ),
        (
            {"log_target": "/dev/log\rlocal0"},
            "haproxy spec: field 'log_target' is '/dev/log\\rlocal0'; expected a single line of text",
        ),
        ({"log_target": 0}, "haproxy spec: field 'log_target' is 0; expected a single line of text"),
        (
            {"run_as_group": "Haproxy"},
            "haproxy spec: field 'run_as_group' is 'Haproxy'; expected a POSIX user/group "
            "name such as 'haproxy'",
        ),
        (
            {"header_comments": ("ok", "two\rlines")},
            "haproxy spec: field 'header_comments[1]' is 'two\\rlines'; expected a single line of text",
        ),
    ],
)
def test_rejects_with_an_exact_message(overrides: dict[str, Any], message: str) -> None:
    assert _error(**overrides) == message


# --- boundary values are accepted -------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"writer_port": 1, "reader_port": 65535},
        {"writer_port": 65535, "reader_port": 1},
        {"replicas": (ServerSpec("replica1", "10.0.2.10", 1), ServerSpec("replica2", "10.0.3.10", 65535))},
        {"check_interval_ms": 10},
        {"check_interval_ms": 3_600_000},
        {"fall": 1, "rise": 100},
        {"fall": 100, "rise": 1},
        {"connect_timeout_ms": 1},
        {"connect_timeout_ms": 3_600_000},
        {"client_timeout_s": 1, "server_timeout_s": 31_536_000},
        {"client_timeout_s": 31_536_000, "server_timeout_s": 1},
        {"maxconn": 1},
        {"maxconn": 1_000_000},
        {"runtime_api_socket": "/" + "s" * 106},
        {"pidfile": "/" + "p" * 4095},
        {"primary": ServerSpec("p" * 32, "10.0.1.10", 3306)},
        {"primary": ServerSpec("primary", "2001:db8::1", 3306)},
        {"run_as_user": "_" + "a" * 31, "run_as_group": "a-b_0"},
    ],
)
def test_accepts_boundary_values(overrides: dict[str, Any]) -> None:
    text = render_haproxy_config(_spec(**overrides))
    for value in overrides.values():
        if isinstance(value, int):
            assert str(value) in text
        elif isinstance(value, str):
            assert value in text
        elif isinstance(value, ServerSpec):
            assert f"server {value.name} " in text
        else:
            assert all(f"server {s.name} " in text for s in value)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"runtime_api_socket": "/" + "s" * 107}, "runtime_api_socket"),
        ({"primary": ServerSpec("p" * 33, "10.0.1.10", 3306)}, "primary.name"),
        ({"run_as_user": "a" * 33}, "run_as_user"),
        ({"replicas": (ServerSpec("replica1", "10.0.2.10", True),)}, "replicas[0].port"),
        ({"replicas": (REPLICAS[0], "replica2")}, "replicas[1]"),
    ],
)
def test_rejects_just_past_the_bound(overrides: dict[str, Any], field: str) -> None:
    assert f"field '{field}' is " in _error(**overrides)


def test_a_multibyte_path_is_measured_in_bytes() -> None:
    # 53 two-byte characters: 107 bytes with the slash is the limit; 54 are one byte too many.
    assert "stats socket /" + "é" * 53 in render_haproxy_config(_spec(runtime_api_socket="/" + "é" * 53))
    assert "at most 107 bytes" in _error(runtime_api_socket="/" + "é" * 54)
