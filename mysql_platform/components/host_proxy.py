"""The read/write-split proxy on the EC2 host: its ingress, its HAProxy configuration and its export.

HAProxy is rendered by ``mysql_platform.core.haproxy_config``, the same renderer the local
environment runs, and installed by the host's user data at first boot.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi

from mysql_platform.components.db_shape import DatabaseShape
from mysql_platform.components.ec2_host import Ec2Host
from mysql_platform.components.security import IngressRule
from mysql_platform.components.settings import Settings
from mysql_platform.components.user_data import render_user_data
from mysql_platform.core import contract
from mysql_platform.core.haproxy_config import HAProxySpec, ServerSpec, render_haproxy_config

# HAProxy's own home on Amazon Linux (/run/haproxy may not exist at boot).
HAPROXY_RUNTIME_SOCKET: Final = "/var/lib/haproxy/admin.sock"


def proxy_ingress(settings: Settings) -> list[IngressRule]:
    """The proxy ports, open only to the allowed CIDRs and security groups."""
    if not settings.proxy_enabled:
        return []
    rules: list[IngressRule] = []
    for port in (settings.proxy_writer_port, settings.proxy_reader_port):
        rules += [
            IngressRule(port, "MySQL proxy from an allowed CIDR", cidr=c)
            for c in settings.proxy_allowed_cidrs
        ]
        rules += [
            IngressRule(port, "MySQL proxy from an allowed security group", security_group_id=g)
            for g in settings.proxy_allowed_security_group_ids
        ]
    return rules


def haproxy_spec(settings: Settings, writer: tuple[str, int], readers: list[dict[str, Any]]) -> HAProxySpec:
    """The host's proxy: same renderer and defaults the local environment runs, plus DNS re-resolution."""
    servers = [ServerSpec(f"replica{i + 1}", r["host"], r["port"]) for i, r in enumerate(readers)]
    if not servers:
        # Right after a promotion no replica follows the new writer: reads go to it.
        servers = [ServerSpec("writer-reads", writer[0], writer[1])]
    return HAProxySpec(
        # All interfaces of the host; the security group decides who gets in.
        bind_address="0.0.0.0",  # noqa: S104
        writer_port=settings.proxy_writer_port,
        reader_port=settings.proxy_reader_port,
        primary=ServerSpec("primary", writer[0], writer[1]),
        replicas=tuple(servers),
        runtime_api_socket=HAPROXY_RUNTIME_SOCKET,
        log_target="/dev/log local0",
        run_as_user="haproxy",
        run_as_group="haproxy",
        # RDS endpoints keep their names but change address on a Multi-AZ failover.
        resolve_dns=True,
        header_comments=(f"mysql-platform stack {settings.stack}",),
    )


def host_user_data(settings: Settings, db: DatabaseShape) -> pulumi.Output[str]:
    """The host's first-boot script: the MySQL client, plus HAProxy aimed at ``db`` when the proxy is on."""
    if not settings.proxy_enabled:
        return pulumi.Output.from_input(render_user_data())
    return pulumi.Output.all(db.writer_host, db.writer_port, db.readers).apply(
        lambda args: render_user_data(
            render_haproxy_config(haproxy_spec(settings, (args[0], args[1]), args[2]))
        )
    )


def proxy_export(settings: Settings, host: Ec2Host) -> dict[str, Any]:
    """The contract's ``proxy`` key when the proxy is on; nothing otherwise."""
    if not settings.proxy_enabled:
        return {}
    # The Elastic IP's public DNS name resolves to the private address inside the VPC and to
    # the public one outside, so it serves both kinds of allowed client, and it survives a
    # replaced host (any change to the proxy's configuration replaces it).
    return {
        contract.PROXY: {
            "host": host.public_dns,
            "writer_port": settings.proxy_writer_port,
            "reader_port": settings.proxy_reader_port,
        }
    }
