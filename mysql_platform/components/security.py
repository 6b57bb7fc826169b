"""Security-group ingress: one rule per source, so each CIDR or group is its own auditable resource."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class IngressRule:
    """One TCP port admitted from exactly one source: a CIDR (IPv4 or IPv6) or a security group."""

    port: int
    description: str
    cidr: str | None = None
    security_group_id: pulumi.Input[str] | None = None


def add_ingress(
    name: str,
    security_group_id: pulumi.Input[str],
    rule: IngressRule,
    parent: pulumi.Resource,
    tags: Mapping[str, str] | None = None,
) -> aws.vpc.SecurityGroupIngressRule:
    """Declare ``rule`` on the group as a standalone rule resource (not an inline block)."""
    is_v6 = rule.cidr is not None and ":" in rule.cidr
    return aws.vpc.SecurityGroupIngressRule(
        name,
        security_group_id=security_group_id,
        ip_protocol="tcp",
        from_port=rule.port,
        to_port=rule.port,
        cidr_ipv4=rule.cidr if rule.cidr is not None and not is_v6 else None,
        cidr_ipv6=rule.cidr if is_v6 else None,
        referenced_security_group_id=rule.security_group_id,
        description=rule.description,
        tags=dict(tags or {}),
        opts=pulumi.ResourceOptions(parent=parent),
    )
